"""Sparkplug B payloads to and from protobuf bytes (needs the `protobuf` package of the `mqtt` extra)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.message import DecodeError

from lotline.connectors.sparkplug import sparkplug_b_pb2 as pb
from lotline.connectors.sparkplug.model import (
    DataSet,
    DataType,
    Metric,
    Payload,
    PropertyValue,
    Raw,
    Template,
)
from lotline.connectors.sparkplug.values import field_for, from_wire, to_wire

PB = pb.Payload


class PayloadError(ValueError):
    """The bytes are not a Sparkplug B payload."""


# --- decoding ----------------------------------------------------------------------------------------------
def decode(data: bytes) -> Payload:
    msg = PB()
    try:
        msg.ParseFromString(data)
    except DecodeError as exc:
        raise PayloadError(f"not a Sparkplug B protobuf payload: {exc}") from None
    return Payload(
        timestamp=msg.timestamp if msg.HasField("timestamp") else None,
        seq=msg.seq if msg.HasField("seq") else None,
        metrics=tuple(_metric(m) for m in msg.metrics),
        uuid=msg.uuid if msg.HasField("uuid") else None,
        body=msg.body if msg.HasField("body") else None,
    )


def _datatype(code: int) -> DataType:
    try:
        return DataType(code)
    except ValueError:
        raise PayloadError(f"unknown Sparkplug datatype {code}") from None


def _metric(m: Any) -> Metric:
    datatype = _datatype(m.datatype) if m.HasField("datatype") else None
    which = m.WhichOneof("value")
    value: Any = None
    if m.is_null or which is None:
        value = None
    elif which == "dataset_value":
        value = _dataset(m.dataset_value)
    elif which == "template_value":
        value = _template(m.template_value)
    elif which == "extension_value":
        value = Raw(which, None)
    elif datatype is None:
        value = Raw(which, getattr(m, which))
    else:
        value = from_wire(getattr(m, which), datatype)
    return Metric(
        name=m.name if m.HasField("name") else None,
        alias=m.alias if m.HasField("alias") else None,
        datatype=datatype,
        value=value,
        timestamp=m.timestamp if m.HasField("timestamp") else None,
        is_historical=m.is_historical,
        is_transient=m.is_transient,
        is_null=m.is_null,
        properties=_propertyset(m.properties) if m.HasField("properties") else None,
    )


def _plain(v: Any, code: int) -> Any:
    """A DataSetValue, Parameter or PropertyValue: its oneof value converted with the given type code."""
    which = v.WhichOneof("value")
    if which is None or which == "extension_value":
        return None
    raw = getattr(v, which)
    if which == "propertyset_value":
        return _propertyset(raw)
    if which == "propertysets_value":
        return [_propertyset(ps) for ps in raw.propertyset]
    return from_wire(raw, _datatype(code))


def _dataset(ds: Any) -> DataSet:
    types = tuple(_datatype(t) for t in ds.types)
    rows = tuple(tuple(_plain(e, t) for e, t in zip(row.elements, types, strict=False)) for row in ds.rows)
    return DataSet(columns=tuple(ds.columns), types=types, rows=rows)


def _template(t: Any) -> Template:
    return Template(
        metrics=tuple(_metric(m) for m in t.metrics),
        version=t.version if t.HasField("version") else None,
        template_ref=t.template_ref if t.HasField("template_ref") else None,
        is_definition=t.is_definition,
        parameters={p.name: PropertyValue(_datatype(p.type), _plain(p, p.type)) for p in t.parameters},
    )


def _propertyset(ps: Any) -> dict[str, PropertyValue]:
    return {
        k: PropertyValue(_datatype(v.type), None if v.is_null else _plain(v, v.type), v.is_null)
        for k, v in zip(ps.keys, ps.values, strict=False)
    }


# --- encoding ----------------------------------------------------------------------------------------------
def encode(payload: Payload) -> bytes:
    msg = PB()
    if payload.timestamp is not None:
        msg.timestamp = payload.timestamp
    if payload.seq is not None:
        msg.seq = payload.seq
    if payload.uuid is not None:
        msg.uuid = payload.uuid
    if payload.body is not None:
        msg.body = payload.body
    for m in payload.metrics:
        _fill_metric(msg.metrics.add(), m)
    return bytes(msg.SerializeToString())


def _fill_metric(out: Any, m: Metric) -> None:
    if m.name is not None:
        out.name = m.name
    if m.alias is not None:
        out.alias = m.alias
    if m.timestamp is not None:
        out.timestamp = m.timestamp
    if m.datatype is not None:
        out.datatype = int(m.datatype)
    if m.is_historical:
        out.is_historical = True
    if m.is_transient:
        out.is_transient = True
    if m.properties is not None:
        _fill_propertyset(out.properties, m.properties)
    if m.is_null or m.value is None:
        out.is_null = True
        return
    if isinstance(m.value, Raw):
        setattr(out, m.value.field, m.value.value)
    elif m.datatype is None:
        raise ValueError(f"metric {m.name or m.alias}: a value needs a datatype (or a Raw value)")
    elif m.datatype == DataType.DataSet:
        _fill_dataset(out.dataset_value, m.value)
    elif m.datatype == DataType.Template:
        _fill_template(out.template_value, m.value)
    else:
        setattr(out, field_for(m.datatype), to_wire(m.value, m.datatype))


def _fill_plain(out: Any, value: Any, datatype: DataType) -> None:
    if value is None:
        return
    if datatype == DataType.PropertySet:
        _fill_propertyset(out.propertyset_value, value)
    elif datatype == DataType.PropertySetList:
        for ps in value:
            _fill_propertyset(out.propertysets_value.propertyset.add(), ps)
    else:
        setattr(out, field_for(datatype), to_wire(value, datatype))


def _fill_dataset(out: Any, ds: DataSet) -> None:
    out.num_of_columns = len(ds.columns)
    out.columns.extend(ds.columns)
    out.types.extend(int(t) for t in ds.types)
    for row in ds.rows:
        pb_row = out.rows.add()
        for value, t in zip(row, ds.types, strict=True):
            _fill_plain(pb_row.elements.add(), value, t)


def _fill_template(out: Any, t: Template) -> None:
    if t.version is not None:
        out.version = t.version
    if t.template_ref is not None:
        out.template_ref = t.template_ref
    out.is_definition = t.is_definition
    for m in t.metrics:
        _fill_metric(out.metrics.add(), m)
    for name, pv in t.parameters.items():
        p = out.parameters.add()
        p.name, p.type = name, int(pv.datatype)
        _fill_plain(p, pv.value, pv.datatype)


def _fill_propertyset(out: Any, props: Mapping[str, PropertyValue]) -> None:
    for key, pv in props.items():
        out.keys.append(key)
        v = out.values.add()
        v.type = int(pv.datatype)
        if pv.is_null or pv.value is None:
            v.is_null = True
        else:
            _fill_plain(v, pv.value, pv.datatype)
