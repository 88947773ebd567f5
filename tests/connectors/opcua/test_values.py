"""OPC UA values as JSON, and the ids that make a re-read observation recognisable (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from asyncua import ua

from lotline.connectors.opcua._payload import Change, change_message
from lotline.connectors.opcua._values import jsonable, to_change

WHEN = datetime(2026, 12, 1, 13, 5, 1, 123456, tzinfo=UTC)


def test_values_become_plain_json() -> None:
    assert jsonable(WHEN) == "2026-12-01T13:05:01.123456Z"
    assert jsonable(b"\x00\xff") == "AP8="
    assert jsonable(ua.LocalizedText("bottle jam", "en")) == "bottle jam"
    assert jsonable(ua.NodeId(ua.String("Filler.GoodCount"), ua.Int16(2))) == "ns=2;s=Filler.GoodCount"
    assert jsonable(ua.QualifiedName("GoodCount", ua.UInt16(2))) == "2:GoodCount"
    assert jsonable([1.5, None, True, "L1"]) == [1.5, None, True, "L1"]
    assert jsonable(ua.Variant([1, 2], ua.VariantType.UInt32)) == [1, 2]
    assert jsonable(ua.TimeZoneDataType(Offset=60, DaylightSavingInOffset=False)) == {
        "Offset": 60,
        "DaylightSavingInOffset": False,
    }
    orjson.dumps(jsonable(ua.EUInformation()))  # any structure ends up serialisable


def _change(value: object, vtype: ua.VariantType, when: datetime | None, status: int = 0) -> Change:
    dv = ua.DataValue(ua.Variant(value, vtype), StatusCode=ua.StatusCode(ua.UInt32(status)))
    dv.SourceTimestamp = when
    dv.ServerTimestamp = datetime.now(UTC)
    return to_change("good", "ns=2;s=Filler.GoodCount", "2:GoodCount", dv)


def test_message_ids_depend_on_what_was_observed_and_when() -> None:
    one = _change(42, ua.VariantType.UInt32, WHEN)
    assert one.message_id == f"good@2026-12-01T13:05:01.123456Z#{one.digest}"
    assert _change(42, ua.VariantType.UInt32, WHEN).message_id == one.message_id  # re-read: same id
    assert _change(43, ua.VariantType.UInt32, WHEN).message_id != one.message_id
    assert _change(42, ua.VariantType.UInt32, WHEN, status=0x80000000).digest != one.digest  # bad status
    restamped = _change(42, ua.VariantType.UInt32, datetime.now(UTC))
    assert restamped.digest == one.digest and restamped.message_id != one.message_id


def test_a_bad_status_is_delivered_with_its_name() -> None:
    bad = _change(None, ua.VariantType.Null, WHEN, status=ua.StatusCodes.BadSensorFailure)
    doc = orjson.loads(change_message(bad, "line-2", "opc.tcp://plc:4840/").payload)
    assert doc["status"] == "BadSensorFailure" and doc["value"] is None and doc["variant_type"] == "Null"
