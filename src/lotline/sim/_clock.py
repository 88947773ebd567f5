"""Simulated time: integer milliseconds since the epoch (UTC), written as local ISO 8601 with an offset.

Both plants follow the EU summer-time rule (since 1996: from 01:00 UTC on the last Sunday of March to
01:00 UTC on the last Sunday of October), so a history that crosses March or October shows the offset
change the way a real plant's events do.
"""

from __future__ import annotations

from datetime import date, timedelta

HOUR = 3_600_000
DAY = 24 * HOUR
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def utc_midnight(day: date) -> int:
    """Milliseconds since the epoch of 00:00 UTC on `day`."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


def _last_sunday_1am_utc(year: int, month: int) -> int:
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    return utc_midnight(sunday) + HOUR


class Zone:
    """A plant's time zone: a standard offset (whole hours) plus EU summer time."""

    __slots__ = ("_years", "hours", "standard")

    def __init__(self, standard_minutes: int) -> None:
        if standard_minutes % 60:
            raise ValueError("only whole-hour offsets are simulated")
        self.standard = standard_minutes
        # UTC hour number -> ("2026-01-05T07:", "+01:00", offset ms); filled a UTC day at a time.
        self.hours: dict[int, tuple[str, str, int]] = {}
        self._years: dict[int, tuple[int, int]] = {}

    def hour(self, hour: int) -> tuple[str, str, int]:
        """The local-time prefix, offset text and offset of UTC hour number `hour` (cached by day)."""
        first = hour - hour % 24
        day = date.fromordinal(_EPOCH_ORDINAL + first // 24)
        dates = {n: (day + timedelta(days=n)).isoformat() for n in (-1, 0, 1)}
        summer = self._years.get(day.year)
        if summer is None:
            summer = self._years[day.year] = (
                _last_sunday_1am_utc(day.year, 3),
                _last_sunday_1am_utc(day.year, 10),
            )
        for h in range(first, first + 24):
            minutes = self.standard + (60 if summer[0] <= h * HOUR < summer[1] else 0)
            local = h % 24 + minutes // 60
            sign = "+" if minutes >= 0 else "-"
            self.hours[h] = (
                f"{dates[local // 24]}T{local % 24:02d}:",
                f"{sign}{abs(minutes) // 60:02d}:00",
                minutes * 60_000,
            )
        return self.hours[hour]

    def local_midnight(self, day: date) -> int:
        """The UTC instant (ms) of 00:00 local time on `day`."""
        noon = (utc_midnight(day) + 12 * HOUR) // HOUR
        return utc_midnight(day) - (self.hours.get(noon) or self.hour(noon))[2]

    def stamp(self, t: int) -> tuple[str, str]:
        """(eventTime, eventTimeZoneOffset) for instant `t`: `2026-01-05T06:12:30.250+01:00`, `+01:00`."""
        hour, ms = divmod(t, HOUR)
        prefix, offset, _ = self.hours.get(hour) or self.hour(hour)
        minutes, ms = divmod(ms, 60_000)
        seconds, ms = divmod(ms, 1000)
        return f"{prefix}{minutes:02d}:{seconds:02d}.{ms:03d}{offset}", offset
