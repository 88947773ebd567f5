"""Comparison operators shared by the fakes' filters (Odoo domains, Frappe filters, OData $filter) and the
OData V2 date format."""

from __future__ import annotations

import calendar
import operator
import re
from collections.abc import Callable
from typing import Any

Compare = Callable[[Any, Any], bool]


def _in(a: Any, b: Any) -> bool:
    return a in b


def _not_in(a: Any, b: Any) -> bool:
    return a not in b


OPS: dict[str, Compare] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "in": _in, "not in": _not_in,
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge,
}  # fmt: skip


def to_ms(iso: str) -> int:
    """Milliseconds since the epoch of `2026-12-01T08:15:00.250Z` (or a bare date)."""
    iso = iso.rstrip("Z")
    day, _, clock = iso.partition("T")
    h, m, s = [*clock.split(":"), "0", "0", "0"][:3] if clock else ["0", "0", "0"]
    seconds = float(s)
    y, mo, d = (int(x) for x in day.split("-"))
    return calendar.timegm((y, mo, d, int(h), int(m), int(seconds), 0, 0, 0)) * 1000 + round(
        seconds % 1 * 1000
    )


def odata_date(iso: str) -> str:
    """An ISO time as OData V2 JSON `/Date(ms+0000)/`."""
    return f"/Date({to_ms(iso)}+0000)/"


def from_odata(value: Any) -> Any:
    """The milliseconds of an OData V2 date, or the value itself."""
    found = re.fullmatch(r"/Date\((-?\d+)(?:[+-]\d+)?\)/", str(value))
    return int(found.group(1)) if found else value
