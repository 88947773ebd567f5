"""Done when: real X12 856 and DESADV samples become receiving events whose lots trace.

Import through the normal capture path into a real store (SQLite, and PostgreSQL when configured), then
trace with the genealogy engine (lotline.trace.index.TraceIndex, what the trace API uses)."""

from __future__ import annotations

import sqlalchemy as sa

from lotline.edi.capture import capture_ship_notices
from lotline.edi.documents import ship_notices
from lotline.trace.index import TraceIndex
from tests.edi.conftest import CROSSDOCK, DESADV_CARTONS, TARE_LOTS, text
from tests.trace.builders import ids, party_ids

SUPPLIER = "urn:lotline:edi:SENDER:party:92:000009"  # N1*SF*SOME COMPANY*92*000009 (no GLN in the sample)
CARTON = "urn:lotline:edi:SENDER:unit:00000715670002152360"  # MAN*GM with a bad check digit: a private id
ITEM = "https://id.gs1.org/01/00000000000642"  # LIN**UP*0000000000642, a valid GTIN


def test_a_real_856_is_received_and_its_goods_trace(engine: sa.Engine) -> None:
    (result,) = capture_ship_notices(engine, ship_notices(text(CROSSDOCK)), message_id="crossdock.edi")
    assert (result.outcome.stored, result.outcome.rejected) == (6, 0)
    receiving_id = result.outcome.stored_ids[0]
    index = TraceIndex(engine)

    # backward from the product: the receipt and the party it came from
    back = index.trace("backward", ITEM)
    assert back.found
    assert party_ids(back) == {SUPPLIER}
    assert back.parties[0]["relation"] == "source" and receiving_id in back.parties[0]["events"]
    assert receiving_id in back.events

    # from the carton: what it held, and where it came from
    forward = index.trace("forward", CARTON)
    assert ITEM in ids(forward)
    backward = index.trace("backward", CARTON)
    assert party_ids(backward) == {SUPPLIER} and receiving_id in backward.events

    # importing the same document again stores nothing new
    (again,) = capture_ship_notices(engine, ship_notices(text(CROSSDOCK)), message_id="crossdock.edi")
    assert (again.outcome.stored, again.outcome.duplicates) == (0, 6)


def test_desadv_lots_inside_nested_cartons_trace_to_the_supplier(engine: sa.Engine) -> None:
    capture_ship_notices(engine, ship_notices(text(DESADV_CARTONS)))
    index = TraceIndex(engine)
    lot = "https://id.gs1.org/01/04012345000016/10/MP-26-0301"
    back = index.trace("backward", lot)
    assert party_ids(back) == {"https://id.gs1.org/417/4000000000006"}
    pallet = index.trace("forward", "urn:epc:id:sscc:5412345.3000000101")  # the pallet, as an EPC URN
    assert {lot, "https://id.gs1.org/00/354123450000001028"} <= ids(pallet)


def test_item_level_packs_of_a_real_856_trace(engine: sa.Engine) -> None:
    capture_ship_notices(engine, ship_notices(text(TARE_LOTS)))
    index = TraceIndex(engine)
    tare = index.trace("forward", "urn:lotline:edi:054481205:unit:GS87939")
    assert {
        "urn:lotline:edi:054481205:unit:S3489",
        "urn:lotline:edi:054481205:unit:S2387",
        "urn:lotline:edi:054481205:item:BP:6500012G00",
    } <= ids(tare)
    back = index.trace("backward", "urn:lotline:edi:054481205:item:BP:6500012G00")
    assert party_ids(back) == {"urn:lotline:edi:054481205:party:92:1234567"}
