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


def test_hashes_alike_in_their_low_32_bits_come_back_together_for_the_caller_to_tell_apart() -> None:
    index = HashIndex()
    index.add(7, 1)
    index.add(7 + (1 << 32), 2)  # kept in 4 bytes: the same as 7
    index.add(-(1 << 40) + 7, 3)
    assert index.rows(7) == [1, 2, 3] == index.rows(7 - (1 << 33))
    index.add_many(list(range(100, 70_000)), list(range(10, 69_910)))  # merged straight into the columns
    assert index.rows(7) == [1, 2, 3] and index.rows(100 + (5 << 32)) == [10]
