"""The explorer's graph from a trace result: edges from the item each was reached from, containers around
their contents, parties linked to what the shipment carried."""

from __future__ import annotations

from lotline.ui.graph import EventFacts, build

LOT = "urn:epc:class:lgtin:4012345.000001.SUGAR-1"
BATCH = "urn:epc:class:lgtin:4012345.000002.B1"
CASE = "urn:epc:id:sgtin:4012345.000002.7"
PALLET = "urn:epc:id:sscc:4012345.0000000001"
CUSTOMER = "urn:epc:id:pgln:0614141.00001"


def _facts() -> dict[str, EventFacts]:
    return {
        "mix": EventFacts("mix", "TransformationEvent", "commissioning", 1),
        "case": EventFacts("case", "ObjectEvent", "commissioning", 2),
        "pack": EventFacts("pack", "AggregationEvent", "packing", 3),
        "ship": EventFacts(
            "ship", "ObjectEvent", "shipping", 4, frozenset({"https://id.gs1.org/00/040123450000000016"})
        ),
    }


def _trace() -> dict[str, object]:
    return {
        "root": LOT,
        "direction": "forward",
        "items": [
            {"id": BATCH, "kind": "lot", "depth": 1, "path": ["mix"]},
            {"id": CASE, "kind": "serial", "depth": 2, "path": ["mix", "case"]},
            {"id": PALLET, "kind": "container", "depth": 3, "path": ["mix", "case", "pack"]},
        ],
        "parties": [{"id": CUSTOMER, "relation": "destination", "events": ["ship"]}],
        "events": ["case", "mix", "pack", "ship"],
    }


def test_edges_follow_the_paths_and_carry_the_event() -> None:
    graph = build(_trace(), _facts())
    edges = {(e["source"], e["target"]): e for e in graph["edges"]}
    assert edges[(LOT, BATCH)]["event"] == "mix"
    assert edges[(BATCH, CASE)]["label"] == "commissioning"
    assert edges[(CASE, PALLET)]["label"] == "packing"
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[PALLET]["pred"] == CASE
    assert graph["max_depth"] == 4  # the party sits one level beyond the deepest item


def test_a_container_holds_what_was_packed_into_it() -> None:
    nodes = {n["id"]: n for n in build(_trace(), _facts())["nodes"]}
    assert nodes[CASE]["parent"] == PALLET
    assert "parent" not in nodes[BATCH]


def test_a_party_is_linked_to_what_its_shipment_carried() -> None:
    graph = build(_trace(), _facts())
    party = f"party:{CUSTOMER}"
    assert (PALLET, party) in {(e["source"], e["target"]) for e in graph["edges"]}
    assert {n["id"]: n for n in graph["nodes"]}[party]["kind"] == "party"


def test_an_unknown_shipment_links_the_party_to_the_root() -> None:
    facts = _facts()
    del facts["ship"]
    graph = build(_trace(), facts)
    assert (LOT, f"party:{CUSTOMER}") in {(e["source"], e["target"]) for e in graph["edges"]}
