"""Rows grouped by key read back the same from a dense pointer array and from a sparse one, and the sorted
search behind the sparse one tells keys it holds from keys it does not."""

from __future__ import annotations

from array import array

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotline.trace import csr as csr_module
from lotline.trace.csr import Sparse, csr, find_sorted, gather, grouping, packed_grouping


@given(st.lists(st.integers(0, 9), max_size=60), st.integers(0, 5), st.sampled_from([1, 3, 1 << 16]))
def test_rows_are_grouped_by_key_in_their_original_order_within_a_key(
    keys: list[int], extra: int, piece: int
) -> None:
    """(The order is worked out as one sorted int64 a row, in slices of `piece` rows: the same as a stable
    sort of the keys.)"""
    size = (max(keys) + 1 if keys else 0) + extra
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csr_module, "_PIECE", piece)
        ptr, order = grouping(np.array(keys, dtype=np.int32), size)
    assert [keys[i] for i in order.tolist()] == sorted(keys)
    assert order.tolist() == sorted(range(len(keys)), key=keys.__getitem__)
    assert ptr.tolist() == [sum(1 for k in keys if k < key) for key in range(size + 1)]


def test_rows_packed_as_they_come_are_grouped_in_their_own_memory_cut_to_four_bytes_a_row() -> None:
    """The trace index's build writes its containment spans as key << 32 | row and groups them there: the
    array ends up holding the order in half its size (the peak of the build at ten million events)."""
    keys = np.random.default_rng(3).integers(0, 1000, size=100_001)
    packed = array("q", ((int(k) << 32) | row for row, k in enumerate(keys.tolist())))
    ptr, order = packed_grouping(packed, 1000)
    assert order.dtype == np.int32 and order.tolist() == np.argsort(keys, kind="stable").tolist()
    assert len(packed) * packed.itemsize == 4 * 100_002  # (an odd count: the last row's half word to spare)
    assert ptr[-1] == 100_001 and ptr.tolist() == np.searchsorted(np.sort(keys), np.arange(1001)).tolist()


def test_rows_packed_in_an_array_someone_else_views_are_grouped_all_the_same() -> None:
    """(A profiler holding the build's frames can keep a view of the array alive: it cannot be cut then.)"""
    packed = array("q", [(3 << 32) | 0, (1 << 32) | 1, (3 << 32) | 2, (0 << 32) | 3])
    held = memoryview(packed)
    ptr, order = packed_grouping(packed, 4)
    assert order.tolist() == [3, 1, 0, 2] and ptr.tolist() == [0, 1, 2, 2, 4]
    held.release()


def test_a_sparse_csr_finds_the_same_rows_as_a_dense_one() -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 50, size=200)
    values = np.arange(200)
    ptr, (dense,) = csr(keys, 60, values)
    table, (sparse,) = Sparse.of(keys, values)
    asked = np.array([59, 3, 3, 0, 49, 55, 17], dtype=np.int64)  # some with rows, some without, repeats
    owner, rows = gather(ptr, asked)
    owner2, rows2 = table.gather(asked)
    assert owner.tolist() == owner2.tolist() and dense[rows].tolist() == sparse[rows2].tolist()
    assert table.gather(np.zeros(0, dtype=np.int64))[0].tolist() == []
    empty, _ = Sparse.of(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert empty.gather(asked)[1].tolist() == []


def test_a_sorted_search_finds_what_the_table_holds_in_its_own_type() -> None:
    table = np.array([2, 5, 9], dtype=np.int32)
    at, hit = find_sorted(table, np.array([9, 1, 5, 10, 2], dtype=np.int64))
    assert hit.tolist() == [True, False, True, False, True] and at[hit].tolist() == [2, 1, 0]
    at, hit = find_sorted(np.zeros(0, dtype=np.int32), np.array([1], dtype=np.int64))
    assert hit.tolist() == [False]
