"""The compact hash -> rows index returns every row added under a hash, oldest first, before and after its
batches are merged, and hashes that collide keep all of their rows."""

from __future__ import annotations

from lotline.trace.hashindex import HashIndex, text_hash


def test_rows_come_back_oldest_first_across_merges() -> None:
    index = HashIndex()
    for row in range(200_000):
        index.add(row % 70_001, row)  # about three rows a hash, spread over several merges
    assert len(index) == 200_000
    assert index.rows(5) == [5, 70_006, 140_007]
    assert index.rows(70_000) == [70_000, 140_001]
    assert index.rows(-1) == [] and index.rows(70_001) == []


def test_colliding_hashes_keep_every_row() -> None:
    index = HashIndex()
    index.add(42, 1)
    index.add(42, 2)
    assert index.rows(42) == [1, 2]


def test_text_hashes_are_stable_across_processes() -> None:
    assert text_hash("urn:uuid:x") == text_hash("urn:uuid:x") != text_hash("urn:uuid:y")
    assert text_hash("") == -5_426_141_060_434_712_860  # blake2b, 8 bytes: the same in every run
