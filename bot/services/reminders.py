"""Reminders before a shift, at each member's own times (/settings), and the coordinators'
alerts that follow from them.

The leader's clock job calls `queue_due` every few minutes. The database is the memory:
each reminder is an outbox row whose dedupe key names the booking, the offset and the
shift's start ("reminder:<signup>:<offset>:<start>"), so however often the job runs, or
after a restart, each is recorded once; a shift moved to a new time is reminded of
afresh at its new times. Nothing is queued ahead: a reminder is recorded when its time
comes (`reminder_rules.reminder_due`), so a changed setting, a cancelled booking or a
moved shift needs nothing withdrawn from the queue. What was recorded and not yet sent
when things changed is withdrawn at sending time: the renderer says nothing once the
place is gone, the shift has moved from the time the reminder names, or it has started.

After downtime the job catches up: the latest reminder whose time has passed goes out
late, once, if the shift has not started (the 24-hour one, not the week's as well).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.clock import Clock
from bot.config import Config
from bot.db.member_settings_models import MemberSettings
from bot.db.models import Member, Role, RoleGrant, Shift, ShiftSignup, ShiftStatus, SignupStatus
from bot.db.session import Database
from bot.services import outbox
from bot.services.cover import COVER_WINDOW
from bot.services.member_settings import preferences_from_row
from bot.services.outbox_payloads import CoverNeeded, CoverReason, ShiftReminder
from bot.services.reminder_rules import LONGEST_OFFSET, reminder_due


def reminder_key(signup_id: int, offset: str, starts_at: datetime) -> str:
    return f"reminder:{signup_id}:{offset}:{int(starts_at.timestamp())}"


class ShiftReminders:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def queue_due_reminders(self, now: datetime | None = None) -> int:
        """A "shift_reminder" for every booking whose member's reminder time has come
        (quiet hours kept). Returns how many were recorded by this call."""
        now = now or self.clock.now()
        tz = self.config.tz
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(ShiftSignup.id, ShiftSignup.member_id, ShiftSignup.booked_at, ShiftSignup.created_at,
                       Shift.id.label("shift_id"), Shift.starts_at, MemberSettings)
                .join(Shift, Shift.id == ShiftSignup.shift_id)
                .join(Member, Member.id == ShiftSignup.member_id)
                .outerjoin(MemberSettings, MemberSettings.member_id == ShiftSignup.member_id)
                .where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > now,
                       Shift.starts_at <= now + LONGEST_OFFSET,
                       ShiftSignup.status == SignupStatus.BOOKED, Member.erased_at.is_(None),
                       Member.telegram_user_id.is_not(None))
                .order_by(Shift.starts_at, ShiftSignup.id))).all()
            queued = 0
            for row in rows:
                preferences = preferences_from_row(row.MemberSettings)
                offset = reminder_due(preferences.reminder_offsets, starts_at=row.starts_at,
                                      booked_at=row.booked_at or row.created_at, now=now, quiet=preferences.quiet,
                                      tz=tz)
                if offset is None:
                    continue
                queued += await outbox.enqueue(
                    session, member_id=row.member_id, now=now,
                    payload=ShiftReminder(shift_id=row.shift_id, signup_id=row.id, starts_at=row.starts_at,
                                          offset=offset),
                    dedupe_key=reminder_key(row.id, offset.value, row.starts_at))
            return queued

    async def queue_below_minimum(self, now: datetime | None = None) -> int:
        """A "cover_needed" to each coordinator of an open shift starting within 48 hours
        with fewer booked than its minimum; once per shift, start time and coordinator."""
        now = now or self.clock.now()
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(Shift, RoleGrant.member_id)
                .join(RoleGrant, (RoleGrant.organisation_id == Shift.organisation_id)
                      & (RoleGrant.role == Role.COORDINATOR))
                .where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > now,
                       Shift.starts_at <= now + COVER_WINDOW, Shift.booked_count < Shift.minimum)
                .order_by(Shift.starts_at, Shift.id, RoleGrant.member_id))).all()
            queued = 0
            for shift, coordinator_id in rows:
                queued += await outbox.enqueue(
                    session, member_id=coordinator_id, now=now,
                    payload=CoverNeeded(shift_id=shift.id, starts_at=shift.starts_at, reason=CoverReason.BELOW_MINIMUM,
                                        booked_count=shift.booked_count, capacity=shift.capacity,
                                        minimum=shift.minimum),
                    dedupe_key=f"below_minimum:{shift.id}:{int(shift.starts_at.timestamp())}:{coordinator_id}")
            return queued

