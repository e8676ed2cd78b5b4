"""ISO weeks (Monday to Sunday) in the scheme's wall time, and their bounds in UTC.

A week is named like "2026-W48". Its bounds are local midnights converted to UTC, so the
week in which the clocks go back (2026-W43, Sunday 25 October) lasts 169 hours and the
one in which they go forward 167; nothing here adds 7 × 24 hours to a UTC time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_NAME = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


class BadWeek(ValueError):
    """Not a week's name, or a week the calendar does not have (2026-W54)."""


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise BadWeek(f"{self.year}-W{self.week:02d} is not a week") from None

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        match = _NAME.match(text)
        if match is None:
            raise BadWeek(f"{text!r}: write a week as 2026-W48")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def containing(cls, at: datetime, tz: ZoneInfo) -> IsoWeek:
        return cls.of(at.astimezone(tz).date())

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def starts_at(self, tz: ZoneInfo) -> datetime:
        """Local midnight at the start of Monday, in UTC."""
        return datetime.combine(self.monday, time(0), tzinfo=tz).astimezone(UTC)

    def ends_at(self, tz: ZoneInfo) -> datetime:
        """Local midnight at the end of Sunday (the next Monday's start), in UTC."""
        return self.shifted(1).starts_at(tz)


def weeks_before(week: IsoWeek, count: int) -> tuple[IsoWeek, ...]:
    """The `count` weeks before `week`, the nearest first."""
    return tuple(week.shifted(-offset) for offset in range(1, count + 1))
