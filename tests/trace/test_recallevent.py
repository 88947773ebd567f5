"""What a recall reads from an event's stored body: where it happened, its disposition, and the quantities of
each identifier in the roles it is named in (a count of one for an instance-level identifier)."""

from __future__ import annotations

from lotline.epcis.identifiers import identity_key
from lotline.store import schema as s
from lotline.trace.facts import Light
from lotline.trace.ledger import EACH
from lotline.trace.recallevent import event_of

SUGAR = "urn:epc:class:lgtin:4012345.011111.S1"
CAKE = "urn:epc:class:lgtin:4012345.022222.C1"
SERIAL = "urn:epc:id:sgtin:4012345.033333.7"


def light() -> Light:
    epcs = [
        (s.ROLE_INPUT_QTY, identity_key(SUGAR), SUGAR),
        (s.ROLE_OUTPUT_QTY, identity_key(CAKE), CAKE),
        (s.ROLE_OUTPUT, identity_key(SERIAL), SERIAL),
    ]
    return Light.build(
        pk=1,
        event_id="urn:uuid:1",
        event_type="TransformationEvent",
        action=None,
        time=0,
        biz_step="commissioning",
        transformation_id=None,
        declared=False,
        epcs=epcs,
        refs=[],
    )


def test_quantities_locations_and_disposition_come_from_the_body() -> None:
    body = {
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},  # no bizLocation: the read point
        "disposition": "https://ref.gs1.org/cbv/Disp-in_progress",
        "inputQuantityList": [
            {"epcClass": SUGAR, "quantity": 20, "uom": "KGM"},
            {"epcClass": SUGAR, "quantity": 5, "uom": "KGM"},  # named twice: added up
            {"epcClass": "not an identifier", "quantity": 1},  # skipped, not fatal
        ],
        "outputQuantityList": [{"epcClass": CAKE, "quantity": 40}],  # no uom: a count of instances
    }
    ev = event_of(light(), body)
    assert ev.location == "urn:epc:id:sgln:4012345.00001.0" and ev.disposition == "in_progress"
    assert ev.offset == "+00:00"
    assert ev.amount(identity_key(SUGAR), {s.ROLE_INPUT_QTY}) == (25.0, "KGM")
    assert ev.amount(identity_key(CAKE), {s.ROLE_OUTPUT_QTY}) == (40.0, EACH)
    assert ev.amount(identity_key(SERIAL), {s.ROLE_OUTPUT}) == (1.0, EACH)  # an instance: one
    assert ev.amount(identity_key(SUGAR), {s.ROLE_OUTPUT_QTY}) == (None, None)  # not in that role
