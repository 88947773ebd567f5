"""Recall impact on hand-built genealogies: what was reached, where it is now, how it left, where it came from.

The scenario: a supplier lot of sugar (100 kg) and one of cocoa are received; 60 kg of the sugar and the cocoa
are mixed into a batch; the batch is finished into a lot of bars (100 kg, 90 kg of batch) and two serialised
units (10 kg of batch). Bars are packed 40 kg on pallet 1 (with unit 1), 30 kg on pallet 2 and 20 kg on
pallet 3; pallet 3 is unpacked again before it ships. Pallet 1 goes to customer A (despatch advice and bill
of lading), pallets 2 and 3 to customer B, unit 2 is in transit to our other site. Left on hand: 40 kg of
sugar and 30 kg of bars.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa

from lotline.errors import IdentifierError
from lotline.pipeline.prepare import PreparedEvent, prepare_event
from lotline.trace.index import TraceIndex
from lotline.trace.recall import recall_impact
from tests.trace.builders import (
    BATCH,
    CUSTOMER_A,
    CUSTOMER_B,
    FINISHED,
    PLANT,
    RAW,
    RAW_2,
    SITE_1,
    SITE_2,
    SUPPLIER,
    at,
    attach,
    declared_in_error,
    index_of,
    lot,
    pack,
    qty,
    receive,
    serial,
    ship,
    sscc,
    transform,
    unpack,
)

UNIT_1, UNIT_2 = serial("000030", 1), serial("000030", 2)
PALLET_1, PALLET_2, PALLET_3 = sscc(1), sscc(2), sscc(3)
SUPPLIER_2 = "urn:epc:id:pgln:0614141.00002"
PO = "urn:epcglobal:cbv:bt:0614141000005:PO-77"
ASN = "urn:epcglobal:cbv:bt:4012345000009:ASN1"
BOL = "urn:epcglobal:cbv:bt:4012345000009:BOL-9"
NOPE = lot("000099", "NOPE")


def amounts(event: dict[str, Any], **by_list: dict[str, float]) -> dict[str, Any]:
    """The event with other quantities in its quantity lists than the builders' 100."""
    event = copy.deepcopy(event)
    for name, values in by_list.items():
        for element in event[name]:
            element["quantity"] = values.get(element["epcClass"], element["quantity"])
    return event


def scenario() -> dict[str, dict[str, Any]]:
    to_a = ship([PALLET_1], CUSTOMER_A, at(6))
    to_a["bizTransactionList"].append({"type": "bol", "bizTransaction": BOL})
    return {
        "receipt": receive([RAW], SUPPLIER, at(1), bizTransactionList=[{"type": "po", "bizTransaction": PO}]),
        "receipt_2": receive([RAW_2], SUPPLIER_2, at(1, 9)),
        "mixing": amounts(transform([RAW, RAW_2], [BATCH], at(2)), inputQuantityList={RAW: 60}),
        "finishing": amounts(transform([BATCH], [FINISHED], at(3)), inputQuantityList={BATCH: 90}),
        "units": amounts(transform([BATCH], [UNIT_1, UNIT_2], at(3, 10)), inputQuantityList={BATCH: 10}),
        "pack_1": amounts(pack(PALLET_1, [FINISHED, UNIT_1], at(4)), childQuantityList={FINISHED: 40}),
        "pack_2": amounts(pack(PALLET_2, [FINISHED], at(4, 9)), childQuantityList={FINISHED: 30}),
        "pack_3": amounts(pack(PALLET_3, [FINISHED], at(4, 10)), childQuantityList={FINISHED: 20}),
        "unpack_3": unpack(PALLET_3, [FINISHED], at(5)),
        "to_a": to_a,
        "to_b": ship([PALLET_2], CUSTOMER_B, at(6, 10)),
        "to_b_empty": ship([PALLET_3], CUSTOMER_B, at(6, 11)),
        "transfer": ship([UNIT_2], PLANT, at(7)),
    }


def load(engine: sa.Engine) -> tuple[TraceIndex, dict[str, str]]:
    """Capture the scenario; returns the index and each event's eventID by name."""
    events = scenario()
    index = index_of(engine, *events.values())
    ids = {}
    for name, event in events.items():
        prepared = prepare_event(event)
        assert isinstance(prepared, PreparedEvent)
        ids[name] = prepared.event_id
    return index, ids


def place(state: str, quantity: float, uom: str, **where: Any) -> dict[str, Any]:
    return {
        "state": state,
        "location": where.get("location"),
        "party": where.get("party"),
        "container": where.get("container"),
        "disposition": where.get("disposition"),
        "quantity": quantity,
        "uom": uom,
        "quantity_complete": True,
    }


def without_paths(items: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {
        group: [{k: v for k, v in i.items() if k != "path"} for i in entries]
        for group, entries in items.items()
    }


def test_the_recall_report_of_a_supplier_lot(engine: sa.Engine) -> None:
    index, eid = load(engine)
    report = recall_impact(index, [RAW, NOPE])
    assert report.found
    assert report.suspects == [
        {"id": RAW, "found": True, "kind": "lot", "reached": 7},
        {"id": NOPE, "found": False},
    ]

    def item(id_: str, kind: str, depth: int, *placements: dict[str, Any]) -> dict[str, Any]:
        return {"id": id_, "kind": kind, "depth": depth, "suspects": [RAW], "placements": list(placements)}

    on_site_1 = {"location": SITE_1}
    assert without_paths(report.items) == {
        "finished": [
            item(
                FINISHED,
                "lot",
                2,
                place("on_hand", 30, "KGM", **on_site_1),
                place("delivered", 40, "KGM", party=CUSTOMER_A, container=PALLET_1),
                place("delivered", 30, "KGM", party=CUSTOMER_B, container=PALLET_2),
            ),
            item(UNIT_1, "serial", 2, place("delivered", 1, "EA", party=CUSTOMER_A, container=PALLET_1)),
            item(UNIT_2, "serial", 2, place("in_transit", 1, "EA", party=PLANT, disposition="in_transit")),
        ],
        "intermediate": [
            item(
                RAW,
                "lot",
                0,
                place("on_hand", 40, "KGM", **on_site_1, disposition="in_progress"),
                place("consumed", 60, "KGM", **on_site_1),
            ),
            item(BATCH, "lot", 1, place("consumed", 100, "KGM", **on_site_1)),
        ],
        "containers": [
            item(
                PALLET_1,
                "container",
                3,
                place("delivered", 1, "EA", party=CUSTOMER_A, disposition="in_transit"),
            ),
            item(
                PALLET_2,
                "container",
                3,
                place("delivered", 1, "EA", party=CUSTOMER_B, disposition="in_transit"),
            ),
            # held the bars for a while, then shipped empty of them: itself delivered, with no suspect inside
            item(
                PALLET_3,
                "container",
                3,
                place("delivered", 1, "EA", party=CUSTOMER_B, disposition="in_transit"),
            ),
        ],
        "devices": [],
    }
    paths = {i["id"]: i["path"] for group in report.items.values() for i in group}
    assert paths[RAW] == [] and paths[BATCH] == [eid["mixing"]]
    assert paths[FINISHED] == [eid["mixing"], eid["finishing"]]
    assert paths[PALLET_3][-1] == eid["pack_3"] and len(paths[PALLET_3]) == 3
    assert set(report.events) >= {e for path in paths.values() for e in path}

    def shipment(
        name: str, kind: str, party: str, refs: list[tuple[str, str]], *items: dict[str, Any]
    ) -> Any:
        return {
            "kind": kind,
            "event": eid[name],
            "time": {"to_a": "2026-03-06T07:00:00.000Z", "to_b": "2026-03-06T09:00:00.000Z"}.get(
                name, "2026-03-07T07:00:00.000Z"
            ),
            "biz_step": "shipping",
            "disposition": "in_transit",
            "location": SITE_1,
            "from": {"locations": [], "parties": [PLANT]},
            "to": {"locations": [], "parties": [party]},
            "references": [{"type": t, "id": v} for t, v in refs],
            "items": list(items),
        }

    def carried(id_: str, kind: str, quantity: float, uom: str, container: str | None = None) -> Any:
        return {"id": id_, "kind": kind, "quantity": quantity, "uom": uom, "container": container}

    assert report.shipments == [
        shipment(
            "to_a",
            "delivery",
            CUSTOMER_A,
            [("desadv", ASN), ("bol", BOL)],
            carried(PALLET_1, "container", 1, "EA"),
            carried(UNIT_1, "serial", 1, "EA", PALLET_1),
            carried(FINISHED, "lot", 40, "KGM", PALLET_1),
        ),
        shipment(
            "to_b",
            "delivery",
            CUSTOMER_B,
            [("desadv", ASN)],
            carried(PALLET_2, "container", 1, "EA"),
            carried(FINISHED, "lot", 30, "KGM", PALLET_2),
        ),
        shipment("transfer", "transfer", PLANT, [("desadv", ASN)], carried(UNIT_2, "serial", 1, "EA")),
    ], "pallet 3 left without the bars: not a shipment of the recall"

    def quantity(state: str, product: str, amount: float, uom: str, items: list[str], **where: Any) -> Any:
        row = place(state, amount, uom, **where)
        del row["container"]
        return {**row, "product": product, "items": items}

    sugar, bars, mix, units = "04012345000016", "04012345000207", "04012345000108", "04012345000306"
    assert [{**q, "quantity": q["quantity"]} for q in report.quantities] == [
        quantity("on_hand", sugar, 40, "KGM", [RAW], **on_site_1, disposition="in_progress"),
        quantity("on_hand", bars, 30, "KGM", [FINISHED], **on_site_1),
        quantity("in_transit", units, 1, "EA", [UNIT_2], party=PLANT, disposition="in_transit"),
        quantity("delivered", bars, 40, "KGM", [FINISHED], party=CUSTOMER_A),
        quantity("delivered", units, 1, "EA", [UNIT_1], party=CUSTOMER_A),
        quantity("delivered", bars, 30, "KGM", [FINISHED], party=CUSTOMER_B),
        quantity("consumed", sugar, 60, "KGM", [RAW], **on_site_1),
        quantity("consumed", mix, 100, "KGM", [BATCH], **on_site_1),
    ]

    assert report.suppliers == {
        "parties": [{"id": SUPPLIER, "suspects": [RAW], "receipts": [eid["receipt"]]}],
        "receipts": [
            {
                "event": eid["receipt"],
                "time": "2026-03-01T07:00:00.000Z",
                "biz_step": "receiving",
                "disposition": "in_progress",
                "location": SITE_1,
                "from": {"locations": [], "parties": [SUPPLIER]},
                "to": {"locations": [SITE_1], "parties": [PLANT]},
                "references": [{"type": "po", "id": PO}],
                "items": [carried(RAW, "lot", 100, "KGM")],
            }
        ],
        "upstream": [],
    }
    assert set(report.as_json()) == {
        "generated_at", "suspects", "items", "shipments", "quantities", "suppliers", "events"
    }  # fmt: skip


def test_several_suspects_merge_and_a_finished_lot_has_its_ingredients_upstream(engine: sa.Engine) -> None:
    index, _ = load(engine)
    report = recall_impact(index, [FINISHED, RAW])
    finished = {i["id"]: i for i in report.items["finished"]}
    assert finished[FINISHED]["depth"] == 0 and finished[FINISHED]["suspects"] == sorted([FINISHED, RAW])
    assert {i["id"] for i in report.items["containers"]} == {PALLET_1, PALLET_2, PALLET_3}
    alone = recall_impact(index, [FINISHED])
    assert [(u["id"], u["depth"]) for u in alone.suppliers["upstream"]] == [(BATCH, 1), (RAW, 2), (RAW_2, 2)]
    assert [p["id"] for p in alone.suppliers["parties"]] == [SUPPLIER, SUPPLIER_2]
    assert {s["to"]["parties"][0] for s in alone.shipments} == {CUSTOMER_A, CUSTOMER_B}
    assert UNIT_1 not in {i["id"] for group in alone.items.values() for i in group}


def test_a_transfer_received_at_our_other_site_is_on_hand_there(engine: sa.Engine) -> None:
    pallet = sscc(20)
    index = index_of(
        engine,
        transform([RAW], [FINISHED], at(2)),
        amounts(pack(pallet, [FINISHED], at(3)), childQuantityList={FINISHED: 70}),
        ship([pallet], PLANT, at(4)),
        receive([pallet], PLANT, at(5), site=SITE_2),
    )
    report = recall_impact(index, [RAW])
    (bars,) = report.items["finished"]
    assert bars["placements"] == [
        place("on_hand", 30, "KGM", location=SITE_1),
        place("on_hand", 70, "KGM", location=SITE_2, container=pallet, disposition=None),
    ]
    assert [s["kind"] for s in report.shipments] == ["transfer"]


def test_stock_destroyed_or_declared_in_error_is_accounted_for(engine: sa.Engine) -> None:
    wrong = ship([UNIT_1], CUSTOMER_A, at(4))
    destroy = {
        "type": "ObjectEvent",
        "eventTime": at(5),
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "bizStep": "destroying",
        "disposition": "destroyed",
        "quantityList": [{"epcClass": FINISHED, "quantity": 25, "uom": "KGM"}],
        "readPoint": {"id": SITE_1},
    }
    index = index_of(
        engine,
        transform([RAW], [FINISHED, UNIT_1], at(2)),
        wrong,
        destroy,
        declared_in_error(wrong, at(6)),
    )
    report = recall_impact(index, [RAW])
    where = {i["id"]: i["placements"] for i in report.items["finished"]}
    assert where[FINISHED] == [
        place("on_hand", 75, "KGM", location=SITE_1),
        place("destroyed", 25, "KGM", location=SITE_1, disposition="destroyed"),
    ]
    assert where[UNIT_1] == [place("on_hand", 1, "EA", location=SITE_1)], "the shipment was declared in error"
    assert report.shipments == []


def test_named_own_parties_make_a_shipment_a_transfer(engine: sa.Engine) -> None:
    index, _ = load(engine)
    report = recall_impact(index, [UNIT_1], own_parties=[CUSTOMER_A])
    assert [s["kind"] for s in report.shipments] == ["transfer"]
    assert report.items["finished"][0]["placements"][0]["state"] == "in_transit"


def test_unknown_and_malformed_ids(engine: sa.Engine) -> None:
    index, _ = load(engine)
    report = recall_impact(index, [NOPE])
    assert not report.found and report.suspects == [{"id": NOPE, "found": False}]
    assert report.shipments == [] and report.ctes == []
    with pytest.raises(IdentifierError):
        recall_impact(index, ["urn:epc:id:sgtin:12"])


def test_new_events_are_picked_up_by_the_next_recall(engine: sa.Engine) -> None:
    index, _ = load(engine)
    assert len(recall_impact(index, [RAW]).shipments) == 3
    loose = ship([], CUSTOMER_B, at(8))
    del loose["epcList"]
    index_of(engine, {**loose, "quantityList": [qty(FINISHED, 30)]})
    report = recall_impact(index, [RAW])
    assert len(report.shipments) == 4
    assert report.shipments[-1]["items"] == [
        {"id": FINISHED, "kind": "lot", "quantity": 30, "uom": "KGM", "container": None}
    ]


def test_a_data_logger_on_a_suspect_pallet_is_a_device_not_a_product(engine: sa.Engine) -> None:
    """A logger attached to the suspect pallet (AssociationEvent) is listed under `devices`, and left out of
    the finished items, the product quantities and the FSMA 204 lines; the pallet's lot is in all three."""
    logger = "urn:epc:id:giai:4012345.LOGGER9"
    index = index_of(
        engine,
        receive([FINISHED], SUPPLIER, at(4)),
        pack(PALLET_1, [FINISHED], at(5)),
        attach(PALLET_1, logger, at(5, 9)),
        ship([PALLET_1], CUSTOMER_A, at(6)),
    )
    report = recall_impact(index, [PALLET_1])
    assert [i["id"] for i in report.items["devices"]] == [logger]
    assert [i["id"] for i in report.items["finished"]] == [FINISHED]
    assert all(logger not in q["items"] for q in report.quantities)
    assert any(FINISHED in q["items"] for q in report.quantities)
    lines = [line.identifier for cte in report.ctes for line in cte.lines]
    assert logger not in lines and FINISHED in lines


def test_serials_of_one_run_packed_together_are_each_placed_by_their_own_history(engine: sa.Engine) -> None:
    # the recall works a ledger out once for the items that share a history (made by one event, packed in
    # one case); a serial taken out of the case before it shipped has a history of its own
    units = [serial("000031", n) for n in range(1, 5)]
    case, pallet = sscc(30), sscc(31)
    index = index_of(
        engine,
        transform([RAW], units, at(2)),
        pack(case, units[:3], at(3)),
        pack(pallet, [case, units[3]], at(3, 10)),
        unpack(case, [units[2]], at(4)),
        ship([pallet], CUSTOMER_A, at(5)),
    )
    report = recall_impact(index, [RAW])
    placed = {item["id"]: item["placements"] for item in report.items["finished"]}
    assert set(placed) == set(units)
    delivered = [place("delivered", 1, "EA", party=CUSTOMER_A, container=pallet)]
    assert placed[units[0]] == placed[units[1]] == placed[units[3]] == delivered
    assert placed[units[2]] == [place("on_hand", 1, "EA", location=SITE_1)]


def test_without_the_spreadsheet_the_report_is_the_same_and_has_no_fsma_lines(engine: sa.Engine) -> None:
    index, _ = load(engine)
    full = recall_impact(index, [RAW])
    light = recall_impact(index, [RAW], spreadsheet=False)
    assert full.ctes and full.tlc_sources  # (the FSMA 204 lines: only for the CSV and XLSX)
    assert light.ctes == [] and light.tlc_sources == {}
    doc, light_doc = full.as_json(), light.as_json()
    doc.pop("generated_at"), light_doc.pop("generated_at")
    assert light_doc == doc
