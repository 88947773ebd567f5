"""Sparkplug B payloads: protobuf round trips, datatype encodings, topics (no broker needed)."""

from __future__ import annotations

import struct

import pytest

from lotline.connectors.sparkplug import (
    DataSet,
    DataType,
    Metric,
    Payload,
    PropertyValue,
    Raw,
    Template,
    Topic,
    TopicError,
    parse,
)
from lotline.connectors.sparkplug import sparkplug_b_pb2 as pb
from lotline.connectors.sparkplug.codec import PayloadError, decode, encode
from lotline.connectors.sparkplug.values import from_wire, to_wire

T = DataType


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (T.Int8, -128), (T.Int8, 127), (T.Int16, -2), (T.Int32, -2_000_000_000), (T.Int64, -(2**63)),
        (T.UInt8, 255), (T.UInt16, 65535), (T.UInt32, 2**32 - 1), (T.UInt64, 2**64 - 1),
        (T.Float, 1.5), (T.Double, -0.1), (T.Boolean, True), (T.String, "Ü-lot"), (T.Text, "long"),
        (T.UUID, "0b8c8c1e-0000-4000-8000-000000000001"), (T.DateTime, 1_764_590_400_000),
        (T.Bytes, b"\x00\xff"), (T.File, b"%PDF"),
        (T.Int8Array, [-1, 0, 1]), (T.Int16Array, [-300, 300]), (T.Int32Array, [-5]), (T.Int64Array, [-(2**40)]),
        (T.UInt8Array, [0, 255]), (T.UInt16Array, [65535]), (T.UInt32Array, [1, 2]), (T.UInt64Array, [2**63]),
        (T.FloatArray, [1.5, -2.0]), (T.DoubleArray, [0.1]), (T.BooleanArray, [True, False, True, True, False,
        True, False, False, True]), (T.StringArray, ["a", "", "ü"]), (T.DateTimeArray, [1_764_590_400_000]),
    ],
)  # fmt: skip
def test_every_datatype_round_trips(datatype: DataType, value: object) -> None:
    payload = Payload(timestamp=1, seq=0, metrics=(Metric("m", 7, datatype, value, timestamp=2),))
    assert decode(encode(payload)) == payload


def test_signed_integers_accept_both_reference_encodings() -> None:
    assert from_wire(0xFF, T.Int8) == -1 and from_wire(0xFFFFFFFF, T.Int8) == -1  # Python / Java Tahu
    assert to_wire(-1, T.Int16) == 0xFFFF and to_wire(-1, T.Int64) == 2**64 - 1


def test_arrays_use_the_spec_layouts() -> None:
    # Sparkplug 3.0, 6.4.17: little-endian; BooleanArray = 4-byte count then bits, most significant first.
    assert to_wire([-23, 123], T.Int8Array) == bytes([0xE9, 0x7B])  # the spec prints 0xEF: a typo for -23
    assert to_wire([-1, 315338746], T.Int32Array) == bytes([0xFF, 0xFF, 0xFF, 0xFF, 0xFA, 0xAF, 0xCB, 0x12])
    assert to_wire([30, 52360], T.UInt16Array) == bytes([0x1E, 0x00, 0x88, 0xCC])
    assert to_wire(
        [False, False, True, True, False, True, False, False, True, True, False, True], T.BooleanArray
    ) == (struct.pack("<I", 12) + bytes([0x34, 0xD0]))
    assert to_wire(["ABC", "hello"], T.StringArray) == b"ABC\x00hello\x00"
    with pytest.raises(ValueError, match="whole number"):
        from_wire(b"\x00\x01\x02", T.Int16Array)


def test_data_sets_templates_and_properties_round_trip() -> None:
    ds = DataSet(("lot", "qty", "ok"), (T.String, T.Int32, T.Boolean), (("L1", -3, True), ("L2", 4, False)))
    tpl = Template(
        metrics=(Metric("speed", None, T.Double, 12.5), Metric("state", None, T.String, "RUN")),
        version="1.0",
        template_ref="Filler",
        parameters={"line": PropertyValue(T.String, "2")},
    )
    props = {
        "engUnit": PropertyValue(T.String, "kg"),
        "Quality": PropertyValue(T.Int32, 192),
        "limits": PropertyValue(T.PropertySet, {"hi": PropertyValue(T.Double, 9.5)}),
        "missing": PropertyValue(T.String, None, is_null=True),
    }
    payload = Payload(
        timestamp=5,
        seq=1,
        metrics=(
            Metric("batch", 1, T.DataSet, ds),
            Metric("filler", 2, T.Template, tpl),
            Metric("weight", 3, T.Float, 2.5, properties=props),
        ),
        uuid="schema-1",
        body=b"raw",
    )
    assert decode(encode(payload)) == payload


def test_historical_transient_and_null_flags_survive() -> None:
    payload = Payload(
        timestamp=5,
        metrics=(
            Metric(alias=3, value=Raw("double_value", 1.25), timestamp=100, is_historical=True),
            Metric(alias=4, datatype=T.String, is_null=True, is_transient=True),
        ),
    )
    back = decode(encode(payload))
    assert back.metrics[0] == Metric(
        alias=3, value=Raw("double_value", 1.25), timestamp=100, is_historical=True
    )
    assert back.metrics[1].is_null and back.metrics[1].is_transient and back.metrics[1].value is None


def test_data_metrics_without_datatype_decode_to_raw_values() -> None:
    msg = pb.Payload(timestamp=1, seq=2)
    m = msg.metrics.add()
    m.alias, m.int_value = 9, 0xFFFFFFFE
    [metric] = decode(msg.SerializeToString()).metrics
    assert metric.value == Raw("int_value", 0xFFFFFFFE) and metric.datatype is None


def test_garbage_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        decode(b"\xff\xff\xff")


def test_topics() -> None:
    assert parse("spBv1.0/G1/NBIRTH/E1") == Topic("NBIRTH", "G1", "E1")
    assert parse("spBv1.0/G1/DDATA/E1/D1") == Topic("DDATA", "G1", "E1", "D1")
    assert parse("spBv1.0/STATE/scada-1") == Topic("STATE", host_id="scada-1")
    for t in ("spBv1.0/G1/DDATA/E1/D1", "spBv1.0/G1/NCMD/E1", "spBv1.0/STATE/h"):
        assert str(parse(t)) == t
    for bad in (
        "spAv1.0/G/NBIRTH/E",
        "spBv1.0/G/NBIRTH/E/D",
        "spBv1.0/G/DDATA/E",
        "spBv1.0/G/XDATA/E",
        "spBv1.0/STATE",
    ):
        with pytest.raises(TopicError):
            parse(bad)
