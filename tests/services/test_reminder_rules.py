"""When a reminder goes out: each member's offsets, their quiet hours (held to the end
of them unless the shift is within 12 hours), and the weeks the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from bot.db.enums import ReminderOffset
from bot.services.reminder_rules import QuietHours, reminder_due, send_time

LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours(time(21), time(8))


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def test_a_reminder_due_in_the_evening_waits_for_the_morning() -> None:
    starts = london(2026, 12, 9, 22)  # Wednesday 22:00: its 24 h reminder falls on Tuesday at 22:00
    assert send_time(starts - timedelta(hours=24), starts, NIGHT, LONDON) == london(2026, 12, 9, 8)


def test_a_shift_within_twelve_hours_is_never_held_back() -> None:
    starts = london(2026, 12, 9, 1)  # 01:00: the 2 h reminder is due at 23:00, in quiet hours
    due = starts - timedelta(hours=2)
    assert send_time(due, starts, NIGHT, LONDON) == due
    # Held, but no later than twelve hours before the start.
    starts = london(2026, 12, 9, 19)  # 24 h reminder due 19:00 the day before: not quiet
    assert send_time(starts - timedelta(hours=24), starts, NIGHT, LONDON) == starts - timedelta(hours=24)
    starts = london(2026, 12, 10, 6)  # 24 h reminder due 06:00: held to 08:00, still 22 h ahead
    assert send_time(starts - timedelta(hours=24), starts, NIGHT, LONDON) == london(2026, 12, 9, 8)
    wide = QuietHours(time(18), time(10))
    starts = london(2026, 12, 10, 20)  # due 20:00; 10:00 would be 10 h before: sent at 08:00 (12 h before)
    assert send_time(starts - timedelta(hours=24), starts, wide, LONDON) == london(2026, 12, 10, 8)


def test_no_quiet_hours_hold_nothing() -> None:
    starts = london(2026, 12, 10, 3)
    due = starts - timedelta(hours=24)
    assert send_time(due, starts, QuietHours(time(0), time(0)), LONDON) == due


def test_the_night_the_clocks_go_back_is_an_hour_longer() -> None:
    # Saturday 24 October 2026 23:00 BST (22:00 UTC); quiet hours end at 08:00 GMT on Sunday.
    starts = london(2026, 10, 25, 23)
    due = starts - timedelta(hours=24)
    assert due == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 24 hours: 00:00 BST local, quiet
    assert send_time(due, starts, NIGHT, LONDON) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # 08:00 GMT


def test_the_night_the_clocks_go_forward_is_an_hour_shorter() -> None:
    starts = datetime(2027, 3, 28, 21, 0, tzinfo=UTC)  # Sunday 22:00 BST
    due = starts - timedelta(hours=24)  # Saturday 21:00 GMT: quiet
    assert send_time(due, starts, NIGHT, LONDON) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)  # 08:00 BST


def test_after_downtime_only_the_latest_reminder_goes_and_never_after_the_start() -> None:
    starts = london(2026, 12, 14, 12)
    booked = starts - timedelta(days=10)
    offsets = (ReminderOffset.WEEK, ReminderOffset.DAY)
    due = {"quiet": NIGHT, "tz": LONDON, "starts_at": starts, "booked_at": booked}
    assert reminder_due(offsets, now=starts - timedelta(days=8), **due) is None
    assert reminder_due(offsets, now=starts - timedelta(days=6), **due) is ReminderOffset.WEEK
    assert reminder_due(offsets, now=starts - timedelta(hours=3), **due) is ReminderOffset.DAY  # not the week's too
    assert reminder_due(offsets, now=starts, **due) is None
    assert reminder_due((), now=starts - timedelta(hours=1), **due) is None  # reminders off


def test_booking_after_a_reminder_time_skips_that_reminder() -> None:
    starts = london(2026, 12, 14, 12)
    offsets = (ReminderOffset.WEEK, ReminderOffset.TWO_HOURS)
    booked = starts - timedelta(days=3)  # the week's reminder would only repeat the booking
    args = {"quiet": NIGHT, "tz": LONDON, "starts_at": starts, "booked_at": booked}
    assert reminder_due(offsets, now=booked + timedelta(minutes=5), **args) is None
    assert reminder_due(offsets, now=starts - timedelta(hours=2), **args) is ReminderOffset.TWO_HOURS


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1)),
       st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=23),
       st.sampled_from(list(ReminderOffset)))
def test_a_reminder_is_never_sent_in_quiet_hours_unless_the_shift_is_near(
        naive: datetime, start_hour: int, end_hour: int, offset: ReminderOffset) -> None:
    starts = naive.replace(tzinfo=UTC)
    quiet = QuietHours(time(start_hour), time(end_hour))
    due = starts - timedelta(minutes=offset.minutes)
    sent = send_time(due, starts, quiet, LONDON)
    assert due <= sent <= max(due, starts - timedelta(hours=12))
    assert not quiet.holds(sent.astimezone(LONDON).time()) or starts - sent <= timedelta(hours=12)
