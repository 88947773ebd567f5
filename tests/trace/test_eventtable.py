"""The index keeps its events as columns: every event reads back as it was added (identifiers in the forms
captured, references, eventIDs in lotline's hash form or any other), and is found again by its eventID."""

from __future__ import annotations

import pytest

from lotline.trace import nodes
from lotline.trace.eventtable import EventTable
from lotline.trace.facts import Light
from lotline.trace.graph import Graph
from lotline.trace.nodes import PrefixedTexts, RawColumn

HASHED = "ni:///sha-256;" + "0123456789abcdef" * 4 + "?ver=CBV2.0"
LOT = "https://id.gs1.org/01/09521234543213/10/L1"
LOT_URN = "urn:epc:class:lgtin:952123.4543213.L1"
PALLET = "https://id.gs1.org/00/095212340000000017"


def light(pk: int, event_id: str, epcs: list[tuple[str, str, str | None]], **fields: object) -> Light:
    values: dict[str, object] = {
        "event_type": "ObjectEvent",
        "action": "OBSERVE",
        "time": 1_700_000_000_000 + pk,
        "biz_step": "shipping",
        "transformation_id": None,
        "declared": False,
        "refs": [("d", "owning_party", "urn:epc:id:pgln:0614141.00001.0", None)],
    } | fields
    return Light.build(pk=pk, event_id=event_id, epcs=epcs, **values)  # type: ignore[arg-type]


def test_events_read_back_as_added_with_their_captured_forms() -> None:
    graph = Graph()
    first = light(3, HASHED, [("e", LOT, LOT_URN), ("e", PALLET, None)])
    # the same lot captured later as a Digital Link with a query string: a form of its own
    second = light(
        9,
        "urn:uuid:6f1c4a1e-0000-4000-8000-000000000001",
        [("i", LOT, LOT + "?linkType=all"), ("o", PALLET, None), ("t", "urn:x:other", "X")],
        event_type="TransformationEvent",
        action=None,
        biz_step=None,
        transformation_id="tx-1",
        refs=[],
    )
    graph.add(first)
    graph.add(second)
    assert graph.events[3] == first and graph.events.get(9) == second
    assert list(graph.events) == [3, 9] == list(graph.added) and len(graph.events) == 2
    assert 3 in graph.events and 4 not in graph.events and graph.events.get(4) is None
    with pytest.raises(KeyError):
        graph.events[100]
    assert graph.events.event_id(3) == HASHED and graph.events.time(9) == second.time
    assert graph.events.event_type(9) == "TransformationEvent"


def test_events_are_found_by_event_id_in_any_form() -> None:
    graph = Graph()
    ids = [HASHED, HASHED.upper(), "urn:uuid:x", "ni:///sha-256;" + "g" * 64 + "?ver=CBV2.0"]
    for pk, event_id in enumerate(ids, start=1):
        graph.add(light(pk, event_id, [("e", LOT, None)]))
    graph.add(light(7, HASHED, [("e", PALLET, None)]))  # captured twice: both are found
    assert graph.events.find(HASHED) == [1, 7]
    assert [graph.events.find(e) for e in ids[1:]] == [[2], [3], [4]]
    assert graph.events.find("urn:uuid:never") == []
    assert [graph.events.event_id(pk) for pk in (1, 2, 3, 4, 7)] == [*ids, HASHED]
    assert graph.events.event_ids([7, 3]) == {7: HASHED, 3: "urn:uuid:x"}
    pks = [4, 1, 2, 3, 7]  # all at once, as one by one
    assert graph.events.event_ids(pks) == {pk: graph.events.event_id(pk) for pk in pks}
    assert graph.events.event_ids([]) == {}
    with pytest.raises(KeyError):
        graph.events.event_ids([1, 5])  # no event 5


def test_a_large_table_finds_every_event_after_its_batches_are_merged() -> None:
    keys = PrefixedTexts()
    raws = RawColumn(keys)
    keys.append(LOT)
    raws.append(None)
    table = EventTable(keys, raws)
    count = 150_000  # more than one merge of the eventID index
    for pk in range(1, count + 1):
        event_id = f"ni:///sha-256;{pk:064x}?ver=CBV2.0" if pk % 3 else f"urn:uuid:{pk}"
        table.append(light(pk, event_id, [("e", LOT, None)]), [0], [None])
    for pk in (1, 2, 3, 65_536, 65_537, 99_999, count):
        event_id = f"ni:///sha-256;{pk:064x}?ver=CBV2.0" if pk % 3 else f"urn:uuid:{pk}"
        assert table.find(event_id) == [pk]
        assert table[pk].event_id == event_id


def test_references_read_back_as_captured_also_after_their_codes_are_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("lotline.trace.eventtable._REFS_REMEMBERED", 2)  # forgotten every few events
    graph = Graph()
    added = []
    for pk in range(1, 12):
        refs = [
            ("bizTransaction", "po", f"urn:epcglobal:cbv:bt:0614141000005:PO-{pk % 4}", None),
            ("d", "owning_party", "https://id.gs1.org/417/0614141000005", "urn:epc:id:pgln:0614141.00000.5"),
            ("s", "", "urn:x:site:é", None),  # no type; text beyond ASCII
        ]
        added.append(light(pk, f"urn:uuid:{pk}", [("e", LOT, None)], refs=refs))
    graph.add_all(added)
    for event in added:
        assert graph.events.refs(event.pk) == tuple(event.refs)
        assert graph.events[event.pk].refs == event.refs


def test_more_distinct_steps_and_reference_types_than_two_bytes_number_still_read_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (the word and shape columns are two bytes a code until there are 65,536 of them: then they widen, with
    # what they hold)
    monkeypatch.setattr("lotline.trace.eventtable._WORDS_NARROW", 8)
    graph = Graph()
    added = [
        light(
            pk,
            f"urn:uuid:{pk}",
            [("e", LOT, None)],
            biz_step=f"urn:x:step:{pk}",
            refs=[("d", f"t{pk}", "v", None)],
        )
        for pk in range(1, 12)
    ]
    graph.add_all(added)
    assert len(graph.events._words) > 8 and graph.events._ref_type.typecode == "I"
    assert len(graph.events._shapes) > 8 and graph.events._shape.typecode == "I"
    for event in added:
        assert graph.events[event.pk].biz_step == event.biz_step and graph.events.refs(event.pk) == tuple(
            event.refs
        )


def test_events_read_back_after_the_occurrence_offsets_outgrow_four_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nodes, "NARROW", 10)  # (4 billion identifiers named, in small)
    graph = Graph()
    events = [
        light(pk, f"urn:uuid:{pk}", [("e", f"{LOT}{pk}", None), ("e", PALLET, None)]) for pk in range(1, 21)
    ]
    graph.add_all(events)
    for event in events:
        back = graph.events[event.pk]
        assert back.ids == event.ids and back.refs == event.refs
    assert graph.events.occurrences(18, 20) is not None


def test_an_event_whose_pk_does_not_fit_is_refused_whole() -> None:
    keys = PrefixedTexts()
    raws = RawColumn(keys)
    keys.append(LOT)
    raws.append(None)
    table = EventTable(keys, raws)
    table.append(light(1, HASHED, [("e", LOT, None)]), [0], [None])
    with pytest.raises(OverflowError, match="below 2\\*\\*31"):
        table.append(light(2**31, "urn:uuid:big", [("e", LOT, None)]), [0], [None])
    assert len(table) == 1 and list(table) == [1] and table[1].ids == (LOT,)
    assert table.occurrences(0, 1) is not None and table.times(1)[0].tolist() == [1]
