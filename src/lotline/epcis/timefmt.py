"""EPCIS timestamps: ISO 8601 with an offset in, UTC microseconds since the epoch inside, ISO 8601 out.

Times are stored as integers so that ordering and range queries behave the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from lotline.errors import IdentifierError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(value: str) -> int:
    """`2024-05-01T10:00:00.123+02:00` -> microseconds since the epoch (UTC). A timezone is required."""
    if not isinstance(value, str):
        raise IdentifierError(f"expected a date-time string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise IdentifierError(
            f"{value!r} is not a valid date-time (expected e.g. 2024-05-01T10:00:00.000+02:00)"
        ) from None
    if parsed.tzinfo is None:
        raise IdentifierError(f"{value!r} has no timezone offset (add Z or e.g. +02:00)")
    delta = parsed - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=64)  # one record time serves every event of a capture batch
def format_time(micros: int) -> str:
    """Microseconds since the epoch -> `2024-05-01T08:00:00.123Z` (milliseconds, UTC)."""
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_micros() -> int:
    delta = datetime.now(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
