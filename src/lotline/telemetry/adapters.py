"""From a source message to samples: the Sparkplug and OPC UA connectors' JSON payloads, and plain JSON.

Written against what the connectors emit today:

- `sparkplug` (lotline.connectors.sparkplug.host): one record per NBIRTH/NDATA/DBIRTH/DDATA with
  `group_id`, `edge_node_id`, `device_id`, `timestamp` (ms) and `metrics` (aliases already resolved to
  `name`; `value`, `timestamp` in ms, `null`, optional `properties`). Births carry current values too, so
  they become samples. A metric's own timestamp wins over the payload's (one with neither is an error); a
  metric whose alias the host could not resolve (`name` null) is skipped. Quality comes from the `Quality` property
  when the edge node sends one (OPC DA codes: 192+ good, 64-191 uncertain, below bad); a null metric is bad.
  Deaths and non-scalar values (data sets, templates) give no samples.
- `opcua` (lotline.connectors.opcua._payload): one `data_change` per message with `node` (the configured
  name), `value`, `status_code`, `source_timestamp` / `server_timestamp` (RFC 3339). OPC UA events give no
  samples. Status: severity bits 10 bad, 01 uncertain, 00 good.
- plain JSON: `{"equipment", "signal", "value", "time", "quality"?}`, or `{"equipment", "time",
  "values": {signal: value, ...}}`, or a list of these. `time` is RFC 3339 or epoch milliseconds.

A message without a usable timestamp is an error (the mapping stage dead-letters it): rules have no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from lotline.connectors.base import Message
from lotline.epcis.timefmt import parse_time
from lotline.telemetry.sample import Quality, Sample

__all__ = ["InputOptions", "OpcuaOptions", "SparkplugOptions", "from_json", "from_opcua", "from_sparkplug"]

_SCALAR = (bool, int, float, str)


class SparkplugOptions(BaseModel):
    """How Sparkplug messages name equipment."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    equipment: Literal["device", "node", "path"] = Field(
        default="device",
        description="device: the device id (the edge node id for node metrics); node: the edge node id; "
        "path: group/node[/device].",
    )


class OpcuaOptions(BaseModel):
    """How OPC UA node names split into equipment and signal."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    equipment: str | None = Field(
        default=None, description="One equipment for every node of the source; the node name is the signal."
    )
    separator: str = Field(
        default=".",
        min_length=1,
        description="Otherwise the node name splits at its last separator: 'Filler1.GoodCount' is signal "
        "GoodCount of equipment Filler1 (a name without it belongs to the connector's source name).",
    )


class InputOptions(BaseModel):
    """Options of the payload adapters, per kind of source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sparkplug: SparkplugOptions = SparkplugOptions()
    opcua: OpcuaOptions = OpcuaOptions()


def samples_of(message: Message, options: InputOptions) -> list[Sample]:
    """The samples in a message, whatever its kind (told by the connector's headers or the payload's shape),
    sorted by time (stable, so same-time samples keep their order)."""
    if message.headers.get("opcua.kind") == "event":
        return []  # OPC UA events (JSON or a raw payload field) are not samples
    data = orjson.loads(message.payload)
    if "sparkplug-message-type" in message.headers or _looks_sparkplug(data):
        found = from_sparkplug(data, options.sparkplug)
    elif "opcua.kind" in message.headers or (isinstance(data, dict) and data.get("kind") == "data_change"):
        found = from_opcua(data, options.opcua, message.source)
    else:
        found = from_json(data)
    return sorted(found, key=lambda s: s.time)


def _looks_sparkplug(data: Any) -> bool:
    return isinstance(data, dict) and "metrics" in data and "message_type" in data


def from_sparkplug(record: Mapping[str, Any], options: SparkplugOptions) -> list[Sample]:
    kind = record.get("message_type")
    if kind not in ("NBIRTH", "NDATA", "DBIRTH", "DDATA"):
        return []
    node, device = str(record.get("edge_node_id") or ""), record.get("device_id")
    if options.equipment == "node":
        equipment = node
    elif options.equipment == "path":
        parts = [str(record.get("group_id") or ""), node, *([str(device)] if device else [])]
        equipment = "/".join(parts)
    else:
        equipment = str(device) if device else node
    default_ms = record.get("timestamp")
    out: list[Sample] = []
    for metric in record.get("metrics") or ():
        name, stamp = metric.get("name"), metric.get("timestamp") or default_ms
        value = None if metric.get("null") else metric.get("value")
        if name is None or not (value is None or isinstance(value, _SCALAR)):
            continue
        if not isinstance(stamp, int):
            raise ValueError(f"Sparkplug metric {name} has no timestamp, and neither has its payload")
        quality = (
            Quality.bad if value is None else _da_quality((metric.get("properties") or {}).get("Quality"))
        )
        out.append(Sample(equipment, str(name), value, stamp * 1000, quality))
    return out


def _da_quality(code: Any) -> Quality:
    if not isinstance(code, int) or isinstance(code, bool):
        return Quality.good
    return Quality.good if code >= 192 else Quality.uncertain if code >= 64 else Quality.bad


def from_opcua(change: Mapping[str, Any], options: OpcuaOptions, source: str) -> list[Sample]:
    if change.get("kind") != "data_change":
        return []
    node = str(change.get("node") or change.get("node_id") or "")
    if options.equipment is not None:
        equipment, signal = options.equipment, node
    elif options.separator in node:
        equipment, signal = node.rsplit(options.separator, 1)
    else:
        equipment, signal = source, node
    stamp = change.get("source_timestamp") or change.get("server_timestamp")
    if not isinstance(stamp, str):
        raise ValueError(f"OPC UA data change of {node} has no source or server timestamp")
    code = change.get("status_code")
    severity = (code >> 30) & 0b11 if isinstance(code, int) else 0
    quality = Quality.bad if severity >= 2 else Quality.uncertain if severity == 1 else Quality.good
    value = change.get("value")
    if not (value is None or isinstance(value, _SCALAR)):
        return []
    return [Sample(equipment, signal, value, parse_time(stamp), quality)]


def from_json(data: Any) -> list[Sample]:
    """Plain JSON samples (see the module docstring)."""
    items = data if isinstance(data, list) else [data]
    out: list[Sample] = []
    for index, item in enumerate(items):
        where = f"sample {index}" if isinstance(data, list) else "the sample"
        if not isinstance(item, dict) or not isinstance(item.get("equipment"), str):
            raise ValueError(f"{where}: expected an object with `equipment` (a string)")
        time = _time(item.get("time"), where)
        quality = Quality(item.get("quality", "good"))
        if isinstance(item.get("values"), dict):
            for signal, value in item["values"].items():
                out.append(Sample(item["equipment"], str(signal), value, time, quality))
        elif isinstance(item.get("signal"), str):
            out.append(Sample(item["equipment"], item["signal"], item.get("value"), time, quality))
        else:
            raise ValueError(f"{where}: give `signal` and `value`, or `values` {{signal: value}}")
    return out


def _time(value: Any, where: str) -> int:
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 1000  # epoch milliseconds
    raise ValueError(f"{where}: `time` is required (RFC 3339 text or epoch milliseconds)")
