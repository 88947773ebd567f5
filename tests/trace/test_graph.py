"""A Multimap keeps one value bare and makes a list from the second: what it returns is the same either way.
Transformation groups read back the inputs and outputs appended."""

from __future__ import annotations

import pytest

from lotline.trace.graph import GroupFacts
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


def test_group_facts_read_back_as_the_inputs_and_outputs_appended() -> None:
    facts = GroupFacts()
    assert len(facts) == 0 and list(facts) == []
    a, b = facts.new(), facts.new()
    assert facts[a] == ([], [])
    facts.add_input(a, 3, 10)
    facts.add_output(a, 0, 10)  # node 0 as an output (stored as ~0: -1)
    facts.add_input(b, 5, 11)
    facts.add_input(a, 4, 12)
    facts.add_output(a, 2**31 - 1, 2**31 - 1)
    assert facts[a] == ([(3, 10), (4, 12)], [(0, 10), (2**31 - 1, 2**31 - 1)])
    assert list(facts) == [facts[a], ([(5, 11)], [])] and len(facts) == 2
    with pytest.raises(OverflowError):  # node numbers and pks are int32 in the index (as in its EventTable)
        facts.add_input(a, 3, 2**31)
    assert facts[a] == ([(3, 10), (4, 12)], [(0, 10), (2**31 - 1, 2**31 - 1)])  # (nothing half added)
