"""EPCIS 2.0 query schedules: cron-like fields, each a comma list of numbers and `[a-b]` ranges.

    {"hour": "1", "minute": "5"}                 every day at 01:05:00
    {"second": "0,30"}                           twice a minute
    {"minute": "[0-59]", "dayOfWeek": "[1-5]"}   every minute on weekdays (1 = Monday ... 7 = Sunday)

As in the EPCIS 1.2 QuerySchedule (§8.2.5.3), which the REST binding's schedule fields carry over: a field
left out matches any value, except that the fields finer than the finest one given default to their
minimum (so `{"hour": "1"}` fires once, at 01:00:00, not every second of that hour). `a-b` and `a/step`
(as in the binding's example `"0/30"`) are accepted too. Times are UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FIELDS = ("second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek")
_RANGES = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (1, 7),
}
_SEARCH_DAYS = 366 * 5  # long enough for 29 February on a given weekday


class ScheduleError(ValueError):
    """A schedule field is not a list of numbers and ranges within its bounds."""


@dataclass(frozen=True, slots=True)
class Schedule:
    second: frozenset[int]
    minute: frozenset[int]
    hour: frozenset[int]
    day_of_month: frozenset[int]
    month: frozenset[int]
    day_of_week: frozenset[int]

    @classmethod
    def parse(cls, fields: Mapping[str, str]) -> Schedule:
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise ScheduleError(f"unknown schedule field {unknown[0]!r}; use {', '.join(FIELDS)}")
        if not any(str(fields.get(f, "")).strip() for f in FIELDS):
            raise ScheduleError("a schedule needs at least one of " + ", ".join(FIELDS))
        given_times = [i for i, f in enumerate(FIELDS[:3]) if str(fields.get(f, "")).strip()]
        finest = min(given_times) if given_times else 3  # only days given: fire at 00:00:00
        sets: dict[str, frozenset[int]] = {}
        for index, name in enumerate(FIELDS):
            raw = str(fields.get(name, "")).strip()
            low, high = _RANGES[name]
            if raw:
                sets[name] = _parse_field(name, raw, low, high)
            elif index < finest:
                sets[name] = frozenset({low})  # finer than the finest given: its minimum
            else:
                sets[name] = frozenset(range(low, high + 1))
        return cls(
            sets["second"], sets["minute"], sets["hour"], sets["dayOfMonth"], sets["month"], sets["dayOfWeek"]
        )

    def next_after(self, after: datetime) -> datetime:
        """The first matching time strictly after `after` (UTC, whole seconds)."""
        start = after.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if (
                day.month in self.month
                and day.day in self.day_of_month
                and day.isoweekday() in self.day_of_week
                and day.day <= calendar.monthrange(day.year, day.month)[1]
            ):
                first_day = day == start.date()
                for hour in sorted(self.hour):
                    if first_day and hour < start.hour:
                        continue
                    for minute in sorted(self.minute):
                        if first_day and hour == start.hour and minute < start.minute:
                            continue
                        for second in sorted(self.second):
                            moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
                            if moment >= start:
                                return moment
            day += timedelta(days=1)
        raise ScheduleError("the schedule never fires (no date matches its fields)")


def _parse_field(name: str, raw: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for element in raw.split(","):
        element = element.strip()
        try:
            if element.startswith("[") and element.endswith("]"):
                first, _, last = element[1:-1].partition("-")
                values.update(range(int(first), int(last) + 1))
            elif "/" in element:
                first, _, step = element.partition("/")
                values.update(range(low if first in ("", "*") else int(first), high + 1, int(step)))
            elif "-" in element:
                first, _, last = element.partition("-")
                values.update(range(int(first), int(last) + 1))
            elif element == "*":
                values.update(range(low, high + 1))
            else:
                values.add(int(element))
        except ValueError:
            raise ScheduleError(
                f"schedule {name}: {element!r} is not a number, [a-b] range or a/step"
            ) from None
    if not values or min(values) < low or max(values) > high:
        raise ScheduleError(f"schedule {name}: values must lie within {low} to {high}, got {raw!r}")
    return frozenset(values)
