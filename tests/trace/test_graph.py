"""A Multimap keeps one value bare and makes a list from the second: what it returns is the same either way.
Transformation facts iterate as the pairs appended."""

from __future__ import annotations

import pytest

from lotline.trace.graph import Facts
from lotline.trace.multimap import Multimap


def test_values_come_back_in_the_order_added_however_many_there_are() -> None:
    table: Multimap[int, str] = Multimap()
    assert table.get(1) == () and 1 not in table
    table.add(1, "a")
    assert list(table.get(1)) == ["a"]
    table.add(1, "a")
    table.add(1, "b")
    assert list(table.get(1)) == ["a", "a", "b"]
    assert list(table) == [1] and len(table) == 1 and 1 in table


def test_facts_iterate_as_the_pairs_appended() -> None:
    facts = Facts()
    assert list(facts) == [] and len(facts) == 0
    for fact in ((3, 10), (4, 10), (3, 2**31 - 1)):
        facts.append(fact)
    assert list(facts) == [(3, 10), (4, 10), (3, 2**31 - 1)] and len(facts) == 3
    with pytest.raises(OverflowError):  # node numbers and pks are int32 in the index (as in its EventTable)
        facts.append((3, 2**31))
