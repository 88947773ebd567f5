"""The SQL of SQL polling, and how positions and rows become JSON. Pure functions, no connections.

A position is the tuple of the ordering columns' values (the watermark column(s), then the key column(s))
of one row. "After the position" is the lexicographic comparison written out as OR/AND, which every
database plans with an index on the same columns and which needs no row-value support:

    (w > :w) OR (w = :w AND k > :k)
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa

Position = tuple[Any, ...]

_DECODERS: dict[str, Any] = {
    "int": int,
    "float": float,
    "decimal": Decimal,
    "str": str,
    "bool": bool,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "uuid": uuid.UUID,
    "bytes": bytes.fromhex,
}


def source_clause(table: str | None, query: str | None) -> sa.FromClause:
    """What is polled: a table (`name` or `schema.name`) or a SELECT wrapped as a subquery."""
    if table is not None:
        schema, _, name = table.rpartition(".")
        return sa.table(name, schema=schema or None)
    assert query is not None
    return sa.text(query.strip().rstrip(";")).columns().subquery("lotline_polled")


def after(columns: Sequence[str], position: Position) -> sa.ColumnElement[bool]:
    """Rows strictly after `position` in (columns...) order."""
    terms = []
    for i, name in enumerate(columns):
        equal = [sa.column(columns[j]) == position[j] for j in range(i)]
        terms.append(sa.and_(*equal, sa.column(name) > position[i]))
    return sa.or_(*terms)


def poll_statement(
    source: sa.FromClause, columns: Sequence[str], position: Position | None, limit: int
) -> sa.Select[Any]:
    """The next `limit` rows after `position` (from the start when None), in (columns...) order."""
    statement = sa.select(sa.text("*")).select_from(source)
    if position is not None:
        statement = statement.where(after(columns, position))
    return statement.order_by(*(sa.column(c) for c in columns)).limit(limit)


def late_statement(
    source: sa.FromClause, columns: Sequence[str], low: Any, position: Position
) -> sa.Select[Any]:
    """Rows at or before `position` whose first watermark is above `low`: the lookback window, where rows
    committed late (with an older watermark than rows already read) show up."""
    return (
        sa.select(sa.text("*"))
        .select_from(source)
        .where(sa.column(columns[0]) > low, sa.not_(after(columns, position)))
        .order_by(*(sa.column(c) for c in columns))
    )


def window_start(value: Any, lookback: float) -> Any:
    """`value` minus the lookback: seconds for a time watermark, units for a numeric one."""
    if isinstance(value, dt.datetime):
        return value - dt.timedelta(seconds=lookback)
    if isinstance(value, dt.date):
        return value - dt.timedelta(days=math.ceil(lookback / 86400))
    if isinstance(value, bool):
        raise TypeError("a lookback window needs a numeric or time watermark, not a boolean")
    if isinstance(value, int):
        return value - math.ceil(lookback)
    if isinstance(value, float):
        return value - lookback
    if isinstance(value, Decimal):
        return value - Decimal(str(lookback))
    raise TypeError(f"a lookback window needs a numeric or time watermark, not {type(value).__name__}")


# --- positions as JSON ----------------------------------------------------------------------------------


def encode_value(value: Any) -> list[Any]:
    """One position value as [type, JSON value], so it reads back as the same Python (and SQL) type."""
    if value is None:
        raise ValueError("watermark and key columns must not be NULL (a NULL row cannot be ordered)")
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, kind):
            return [name, value]
    if isinstance(value, Decimal):
        return ["decimal", str(value)]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return [type(value).__name__, value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["uuid", str(value)]
    if isinstance(value, bytes | memoryview):
        return ["bytes", bytes(value).hex()]
    raise TypeError(f"cannot keep a position value of type {type(value).__name__}")


def decode_value(item: Sequence[Any]) -> Any:
    kind, value = item
    if kind not in _DECODERS:
        raise ValueError(f"unknown position value type {kind!r}")
    return _DECODERS[kind](value)


def encode_position(columns: Sequence[str], position: Position) -> dict[str, Any]:
    return {"columns": list(columns), "values": [encode_value(v) for v in position]}


def decode_position(columns: Sequence[str], stored: Mapping[str, Any], source: str) -> Position:
    if list(stored.get("columns", [])) != list(columns):
        raise ValueError(
            f"the stored position of source {source!r} is for columns {stored.get('columns')}, but the "
            f"source now orders by {list(columns)}: give the source a new name to start over, or delete "
            f"its row from source_positions"
        )
    return tuple(decode_value(item) for item in stored["values"])


# --- rows as JSON ---------------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # an exact JSON number when a double keeps every digit (quantities, prices); else the exact text
        return float(value) if len(value.as_tuple().digits) <= 15 and value.is_finite() else str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot put a {type(value).__name__} in JSON")


def row_json(row: Mapping[str, Any]) -> bytes:
    """A row as a JSON object: times in ISO 8601 (as stored: naive stays naive), DECIMAL as a number
    when a double holds it exactly (else as a string), binary as base64."""
    return orjson.dumps(dict(row), default=_default)


def payload_of(row: Mapping[str, Any], column: str | None) -> bytes:
    """The message payload: the row as JSON, or the value of `column` (bytes and text as they are, any
    other value as JSON, NULL as empty)."""
    if column is None:
        return row_json(row)
    value = row.get(column)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return b"" if value is None else orjson.dumps(value, default=_default)


def text_of(values: Sequence[Any]) -> str:
    """Values as message-id text: `a` or `a,b` (times in ISO 8601)."""
    return ",".join(v.isoformat() if isinstance(v, dt.date | dt.time) else str(v) for v in values)
