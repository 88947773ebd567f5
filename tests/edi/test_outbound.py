"""Outbound: shipping events -> ship notice -> 856 / DESADV, and back with our own parsers unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from lotline.edi.desadv_out import write_desadv
from lotline.edi.documents import ship_notices
from lotline.edi.edifact_write import EdifactEnvelope
from lotline.edi.errors import EdiError
from lotline.edi.outbound import ship_notice_from_events
from lotline.edi.receiving import receiving_events
from lotline.edi.shipnotice import ShipNotice
from lotline.edi.x12_856_out import write_856
from lotline.edi.x12_write import ControlNumbers, Envelope, write_interchange
from tests.edi.conftest import DESADV_CARTONS, NOW, TARE_LOTS, text
from tests.trace.builders import CUSTOMER_A, PLANT, at, lot, pack, serial, ship, sscc


def _shipment() -> list[dict[str, Any]]:
    shipping = ship([sscc(1)], CUSTOMER_A, at(4))
    shipping["bizTransactionList"].append(
        {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4300001000005:PO-77"}
    )
    return [
        pack(sscc(2), [lot("011111", "L1"), lot("022222", "L9")], at(3)),
        pack(sscc(1), [sscc(2), serial("011111", 17)], at(3, 9)),
        shipping,
    ]


def test_shipping_events_become_a_ship_notice() -> None:
    notice = ship_notice_from_events(_shipment())
    assert (notice.number, notice.orders, notice.ship_time) == ("ASN1", ["PO-77"], "2026-03-04T08:00:00")
    assert [(p.code, p.gln) for p in notice.parties] == [("SF", "4012345000009"), ("ST", "4300001000006")]
    assert [(c.sscc, c.level, c.parent) for c in notice.containers] == [
        ("040123450000000016", "T", None),
        ("040123450000000023", "P", "040123450000000016"),
    ]
    assert [(i.gtin, i.lot, i.serials, i.quantity, i.uom, i.container) for i in notice.items] == [
        ("04012345111118", "L1", [], 100, "KG", "040123450000000023"),
        ("04012345222227", "L9", [], 100, "KG", "040123450000000023"),
        ("04012345111118", None, ["17"], 1, "EA", "040123450000000016"),
    ]
    assert PLANT.startswith("urn:epc:id:pgln:4012345")


def test_856_round_trip() -> None:
    notice = ship_notice_from_events(_shipment(), sender="ZZ:LOTLINE", receiver="ZZ:PARTNER")
    envelope = Envelope(("ZZ", "LOTLINE"), ("ZZ", "PARTNER"), NOW)
    document = write_856(notice, envelope, ControlNumbers(100))
    assert document == write_856(notice, envelope, ControlNumbers(100))  # deterministic
    assert document.startswith(
        "ISA*00*          *00*          *ZZ*LOTLINE        *ZZ*PARTNER        *260302*1500*"
    )
    assert "MAN*GM*040123450000000016~" in document and "LIN*1*UK*04012345111118*LT*L1~" in document
    (back,) = ship_notices(document)
    assert back.comparable() == notice.comparable()
    assert (back.interchange_control, back.control) == ("000000100", "0102")


def test_desadv_round_trip() -> None:
    notice = ship_notice_from_events(_shipment())
    envelope = EdifactEnvelope(("4012345000009", "14"), ("4300001000006", "14"), NOW)
    document = write_desadv(notice, envelope, ControlNumbers(7))
    assert "GIN+BJ+040123450000000016'" in document and "PIA+1+L1:NB'" in document
    (back,) = ship_notices(document)
    assert back.comparable() == notice.comparable()


@pytest.mark.parametrize("path", [TARE_LOTS, DESADV_CARTONS], ids=lambda p: p.name)
def test_inbound_notices_survive_both_writers(path: Any) -> None:
    """What we read from a partner, written again as 856 and as DESADV, reads back the same."""
    for notice in ship_notices(text(path)):
        as_856 = write_856(notice, Envelope(("ZZ", "US"), ("ZZ", "THEM"), NOW), ControlNumbers(1))
        as_desadv = write_desadv(
            notice, EdifactEnvelope(("US", "ZZZ"), ("THEM", "ZZZ"), NOW), ControlNumbers(1)
        )
        for document in (as_856, as_desadv):
            (back,) = ship_notices(document)
            assert _without_lines(back) == _without_lines(notice)


def _without_lines(notice: ShipNotice) -> dict[str, Any]:
    data = notice.comparable()
    for item in data["items"]:
        item.pop("line")
    return data


def test_received_856_of_our_own_shipment_traces_the_same_ids() -> None:
    notice = ship_notice_from_events(_shipment(), sender="ZZ:LOTLINE")
    (back,) = ship_notices(
        write_856(notice, Envelope(("ZZ", "LOTLINE"), ("ZZ", "PARTNER"), NOW), ControlNumbers(1))
    )
    receiving = receiving_events(back)[0]
    assert receiving["epcList"][:2] == [
        "https://id.gs1.org/00/040123450000000016",
        "https://id.gs1.org/00/040123450000000023",
    ]


def test_outbound_needs_one_shipping_event_and_a_number() -> None:
    with pytest.raises(EdiError, match="exactly one shipping ObjectEvent"):
        ship_notice_from_events(_shipment()[:2])
    shipping = ship([sscc(1)], CUSTOMER_A, at(4))
    shipping["bizTransactionList"] = []
    with pytest.raises(EdiError, match="no desadv"):
        ship_notice_from_events([shipping])


def test_x12_values_holding_a_delimiter_are_refused() -> None:
    with pytest.raises(EdiError, match="holds the delimiter"):
        write_interchange(Envelope(("ZZ", "A"), ("ZZ", "B"), NOW), "SH", "004010", [("856", [["BSN", "00", "A~B"]])],
                          ControlNumbers(1))  # fmt: skip
