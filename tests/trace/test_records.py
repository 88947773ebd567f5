"""Records kept in a temporary file read back the same, by row and many at once, across the block still in
memory and the blocks written out."""

from __future__ import annotations

import pytest

from lotline.trace import records
from lotline.trace.records import RecordFile


def record(row: int) -> bytes:
    return row.to_bytes(4, "little") * 2


def test_records_read_back_from_the_file_and_from_the_block_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(records, "_BLOCK", 8 * 100)  # a block of 100 records: 1,050 make ten in the file
    column = RecordFile(8)
    for row in range(1_050):
        column.append(record(row))
    assert len(column) == 1_050 and column._file is not None
    assert [column[row] for row in (0, 99, 100, 999, 1_000, 1_049)] == [
        record(row) for row in (0, 99, 100, 999, 1_000, 1_049)
    ]
    rows = [1_049, 3, 700, 4, 3, 1_000, 0, 999, 512, 2, 1_048]  # unordered, repeated, near and far apart
    assert column.many(rows) == b"".join(record(row) for row in rows)
    assert column.many([]) == b""


def test_a_row_not_written_is_an_index_error() -> None:
    column = RecordFile(8)
    column.append(record(1))
    with pytest.raises(IndexError):
        column[1]
    with pytest.raises(IndexError):
        column.many([0, 1])
    with pytest.raises(ValueError, match="8 bytes"):
        column.append(b"short")


def test_a_small_column_makes_no_file() -> None:
    column = RecordFile(32)
    for _ in range(100):
        column.append(bytes(32))
    assert column._file is None and column.many([5, 2]) == bytes(64)
