"""The JSON shape of a decoded Sparkplug message as lotline hands it to the mapping engine (docs/mqtt.md)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from lotline.connectors.sparkplug.model import DataSet, DataType, Metric, PropertyValue, Raw, Template


def jsonable(value: Any) -> Any:
    """A metric value as JSON: bytes as base64 text, data sets and templates as objects."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, Raw):
        return jsonable(value.value)
    if isinstance(value, DataSet):
        return {
            "columns": list(value.columns),
            "types": [t.name for t in value.types],
            "rows": [[jsonable(v) for v in row] for row in value.rows],
        }
    if isinstance(value, Template):
        return {
            "template_ref": value.template_ref,
            "version": value.version,
            "is_definition": value.is_definition,
            "parameters": properties(value.parameters),
            "metrics": [metric(m, m.name, m.datatype) for m in value.metrics],
        }
    if isinstance(value, PropertyValue):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def properties(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in props.items()}


def metric(m: Metric, name: str | None, datatype: DataType | None) -> dict[str, Any]:
    """One metric with its name and datatype resolved (from the birth when the message had only the alias)."""
    out: dict[str, Any] = {
        "name": name,
        "alias": m.alias,
        "datatype": datatype.name if datatype is not None else None,
        "value": None if m.is_null else jsonable(m.value),
        "timestamp": m.timestamp,
        "historical": m.is_historical,
        "transient": m.is_transient,
        "null": m.is_null,
    }
    if m.properties:
        out["properties"] = properties(m.properties)
    return out
