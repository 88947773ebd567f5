"""Offsets kept in blocks read back as appended, one by one, many at once and as slices, before and after
a long block turns the column into whole offsets."""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import pytest

from lotline.trace import offsets
from lotline.trace.offsets import Offsets


def filled(lengths: list[int]) -> tuple[Offsets, list[int]]:
    column = Offsets()
    ends = list(accumulate(lengths, initial=0))
    for end in ends[1:]:
        column.append(end)
    return column, ends


def test_offsets_read_back_across_blocks() -> None:
    column, ends = filled([7, 0, 300, 12] * 50)  # 201 offsets: six blocks and a bit
    assert len(column) == len(ends) == 201 and column.parts()[2] is None
    assert [column[i] for i in range(201)] == ends
    at = np.array([200, 0, 31, 32, 33, 64, 5], dtype=np.int64)
    assert column.take(at).tolist() == [ends[i] for i in at.tolist()]
    assert column.slice(30, 70).tolist() == ends[30:70] and column.slice(190, 500).tolist() == ends[190:]
    assert column.narrow_copy(201).dtype == np.int32 and column.narrow_copy(201).tolist() == ends
    assert column.nbytes() == 8 * 7 + 2 * 201  # against 4 * 201 as 4-byte offsets


def test_a_block_past_64_kib_turns_the_column_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offsets, "_SPAN", 100)
    column, ends = filled([2] * 40 + [150] + [3] * 40)
    _, rel, whole = column.parts()
    assert whole is not None and len(rel) == 41  # turned whole at the long text
    assert [column[i] for i in range(len(ends))] == ends
    assert column.take(np.array([0, 40, 41, 81])).tolist() == [ends[i] for i in (0, 40, 41, 81)]
    assert column.slice(35, 45).tolist() == ends[35:45] and column.nbytes() == 8 * len(ends)
