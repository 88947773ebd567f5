"""The index's tables keyed by node hold what a dict of lists would, whether a slot a node (`NodeLists`) or
sorted pairs merged in batches (`SparseLists`, here merged every few pairs)."""

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotline.trace import nodelists
from lotline.trace.nodelists import NodeLists, NodeTable, SparseLists


@pytest.fixture(autouse=True)
def _small_batches() -> Iterator[None]:
    saved = nodelists._MERGE_AT
    nodelists._MERGE_AT = 2  # (SparseLists merge every few nodes: reads span the columns and the batch)
    yield
    nodelists._MERGE_AT = saved


TABLES = [NodeLists, SparseLists]


@pytest.mark.parametrize("make", TABLES)
def test_values_come_back_in_the_order_added_whether_one_or_several(make: Callable[[], NodeTable]) -> None:
    table = make()
    table.add(5, 70)
    table.add(2, 0)
    table.add(5, 71)
    table.add(5, 70)
    assert list(table.get(5)) == [70, 71, 70]
    assert list(table.get(2)) == [0]  # 0 is a value, not "none"
    assert table.get(3) == () and table.get(10_000) == ()
    assert 5 in table and 2 in table and 3 not in table and 10_000 not in table
    assert list(table) == [2, 5] and len(table) == 2
    assert [(n, list(v)) for n, v in table.items()] == [(2, [0]), (5, [70, 71, 70])]


@pytest.mark.parametrize("make", TABLES)
def test_add_once_keeps_a_node_free_of_repeats(make: Callable[[], NodeTable]) -> None:
    table = make()
    for value in (3, 3, 4, 3, 4, 5):
        table.add_once(1, value)
    assert list(table.get(1)) == [3, 4, 5]


@pytest.mark.parametrize("make", TABLES)
def test_pairs_are_by_node_then_in_the_order_added_and_stop_at_the_bound(
    make: Callable[[], NodeTable],
) -> None:
    table = make()
    for node, value in [(4, 1), (0, 9), (4, 2), (7, 3), (0, 8)]:
        table.add(node, value)
    nodes, values = table.pairs(5)
    assert nodes.tolist() == [0, 0, 4, 4] and values.tolist() == [9, 8, 1, 2]
    nodes, values = table.pairs(100)  # beyond the slots made so far: nothing more
    assert nodes.tolist() == [0, 0, 4, 4, 7]


@pytest.mark.parametrize("make", TABLES)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 2**31 - 1)), max_size=200))
def test_it_holds_what_a_dict_of_lists_holds(
    make: Callable[[], NodeTable], entries: list[tuple[int, int]]
) -> None:
    table, reference = make(), dict[int, list[int]]()
    for node, value in entries:
        table.add(node, value)
        reference.setdefault(node, []).append(value)
    assert {n: list(v) for n, v in table.items()} == reference and len(table) == len(reference)
    assert all((n in table) == (n in reference) for n in range(302))
    nodes, values = table.pairs(301)
    assert list(zip(nodes.tolist(), values.tolist(), strict=True)) == [
        (n, v) for n in sorted(reference) for v in reference[n]
    ]


def test_sparse_tables_refuse_what_does_not_fit_four_bytes_and_keep_what_they_had() -> None:
    table = SparseLists()
    table.add(1, 5)
    with pytest.raises(OverflowError):
        table.add(1, 2**31)
    assert list(table.get(1)) == [5] and len(table) == 1


def test_a_compacted_sparse_table_holds_the_same_and_goes_on_growing() -> None:
    table = SparseLists()
    for node, value in [(3, 1), (1, 2), (3, 3)]:
        table.add(node, value)
    table.compact()
    table.compact()  # (nothing waiting: nothing to do)
    table.add(3, 4)
    assert {n: list(v) for n, v in table.items()} == {1: [2], 3: [1, 3, 4]} and len(table) == 2


@pytest.mark.parametrize("make", TABLES)
def test_the_largest_values_come_back_first_or_not(make: Callable[[], NodeTable]) -> None:
    table = make()
    top = 2**31 - 1
    for node, values in {0: [top, 0, top - 1], 1: [top - 2, 5], 2: [0, top]}.items():
        for value in values:
            table.add(node, value)
    assert [list(table.get(n)) for n in range(3)] == [[top, 0, top - 1], [top - 2, 5], [0, top]]
    nodes, values = table.pairs(3)
    assert nodes.tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert values.tolist() == [top, 0, top - 1, top - 2, 5, 0, top]
