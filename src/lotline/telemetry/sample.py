"""The normalised telemetry sample every rule is fed: one value of one signal of one piece of equipment.

Whatever the source (Sparkplug metric, OPC UA data change, plain JSON), a sample says which equipment (a
line or a machine), which signal, the value, the *source* timestamp (when the value was measured, in
microseconds since the epoch, UTC: lotline's one time unit) and the quality. Rules take time only from
these timestamps, never from a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = ["Quality", "Sample", "as_number", "as_text", "to_datetime"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Quality(StrEnum):
    """Quality of a value, reduced from OPC UA status codes / Sparkplug quality to three levels."""

    good = "good"
    uncertain = "uncertain"
    bad = "bad"


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one signal. `time` is the source timestamp in microseconds since the epoch (UTC)."""

    equipment: str
    signal: str
    value: Any
    time: int
    quality: Quality = Quality.good

    @property
    def usable(self) -> bool:
        """A bad or missing value carries no information: the rules skip it (and count it)."""
        return self.quality is not Quality.bad and self.value is not None


def as_number(value: Any) -> float | None:
    """The value as a finite number (booleans and numeric strings included), or None."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> str | None:
    """The value as a code: strings stripped, whole numbers without `.0`, booleans as true/false; None for
    nothing (None or an empty string)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def to_datetime(micros: int) -> datetime:
    """Microseconds since the epoch -> an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=micros)
