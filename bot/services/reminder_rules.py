"""When a reminder goes out: the rules that need no database (quiet hours, which offset).

A member chooses up to two offsets before a shift (`ReminderOffset`) and quiet hours in
the scheme's wall time. A reminder due in quiet hours is held to their end, except that
a shift within the next `NEVER_HELD_WITHIN` is never held back: by the morning it could
be too late. After downtime a reminder still goes out late, but only before the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.db.enums import ReminderOffset

NEVER_HELD_WITHIN = timedelta(hours=12)
DEFAULT_OFFSETS: tuple[ReminderOffset, ...] = (ReminderOffset.DAY, ReminderOffset.TWO_HOURS)
DEFAULT_QUIET = (time(21, 0), time(8, 0))
MAX_OFFSETS = 2
# The longest offset: a shift further away than this (and any holding) has nothing due.
LONGEST_OFFSET = timedelta(minutes=max(offset.minutes for offset in ReminderOffset))


def offset_delta(offset: ReminderOffset) -> timedelta:
    return timedelta(minutes=offset.minutes)


def longest_first(offsets: Iterable[ReminderOffset]) -> tuple[ReminderOffset, ...]:
    return tuple(sorted(set(offsets), key=lambda offset: -offset.minutes))


@dataclass(frozen=True)
class QuietHours:
    """Local wall times; `start == end` means none. A window may cross midnight (21:00-08:00)."""

    start: time
    end: time

    @property
    def none(self) -> bool:
        return self.start == self.end

    def holds(self, wall: time) -> bool:
        if self.none:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def end_after(self, at: datetime, tz: ZoneInfo) -> datetime:
        """The first end of quiet hours after `at` (which falls in them), as aware UTC. On the
        day the clocks change the wall time is the day's own (08:00 is 08:00 BST or GMT)."""
        local = at.astimezone(tz)
        candidate = datetime.combine(local.date(), self.end, tzinfo=tz)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=tz)
        return candidate.astimezone(at.tzinfo)


def send_time(due: datetime, starts_at: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """When a reminder due at `due` may go: at once, or at the end of quiet hours, but
    never later than `NEVER_HELD_WITHIN` before the start (nor earlier than due)."""
    if not quiet.holds(due.astimezone(tz).time()):
        return due
    return max(due, min(quiet.end_after(due, tz), starts_at - NEVER_HELD_WITHIN))


def reminder_due(offsets: Iterable[ReminderOffset], *, starts_at: datetime, booked_at: datetime, now: datetime,
                 quiet: QuietHours, tz: ZoneInfo) -> ReminderOffset | None:
    """The reminder to send now for one booking, if any: of the offsets whose send time has
    come, the latest (after downtime the 24 h reminder, not the week's as well); none
    once the shift has started, and none for a time before the member booked (booking
    three days ahead is no occasion for the one-week reminder)."""
    if now >= starts_at:
        return None
    due_now = [offset for offset in offsets
               if booked_at <= starts_at - offset_delta(offset)
               and send_time(starts_at - offset_delta(offset), starts_at, quiet, tz) <= now]
    return min(due_now, key=lambda offset: offset.minutes, default=None)
