"""A Multimap keeps one value bare and makes a list from the second: what it returns is the same either way.
Transformation groups read back the inputs and outputs of their events."""

from __future__ import annotations

from lotline.trace.facts import Light
from lotline.trace.graph import Graph
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


def test_transformation_groups_read_back_the_inputs_and_outputs_of_their_events() -> None:
    graph = Graph()
    facts = graph.group_facts
    assert len(facts) == 0 and list(facts) == []
    lot, bulk, batch, other = (f"https://id.gs1.org/01/09521234543213/10/{x}" for x in ("L", "B", "O", "X"))

    def transformation(pk: int, tid: str, epcs: list[tuple[str, str, str | None]]) -> Light:
        return Light.build(
            pk=pk,
            event_id=f"urn:uuid:{pk}",
            event_type="TransformationEvent",
            action=None,
            time=pk,
            biz_step="commissioning",
            transformation_id=tid,
            declared=False,
            epcs=epcs,
            refs=[],
        )

    # two events of group T (the second arrives after an event of group U), a quantity input among them
    graph.add_all([transformation(10, "T", [("i", lot, None), ("o", batch, None)])])
    graph.add_all([transformation(11, "U", [("i", other, None)])])
    graph.add_all([transformation(12, "T", [("n", bulk, None), ("t", batch, None), ("i", lot, None)])])
    t, u = graph.group_of(10), graph.group_of(11)
    assert t is not None and u is not None and graph.group_of(12) == t
    n = graph.ids.get
    assert facts[t] == ([(n(lot), 10), (n(bulk), 12), (n(lot), 12)], [(n(batch), 10), (n(batch), 12)])
    assert list(facts) == [facts[t], ([(n(other), 11)], [])] and len(facts) == 2
    inputs, outputs = facts.pairs(3, last=11)  # (node, group, pk) as added; events after pk 11 left out
    assert [list(column) for column in inputs] == [[n(lot), n(other)], [t, u], [10, 11]]
    assert [list(column) for column in outputs] == [[n(batch)], [t], [10]]
