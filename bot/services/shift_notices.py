"""The one producer of scheduled shift notifications: reminders before a shift (each
member's own times, bot/services/reminders.py), the coordinators' alert 48 hours before
a shift below its minimum, and attendance prompts after it.

A clock job calls `queue_due` every few minutes, in any number of processes; each
notification is recorded once because its outbox dedupe_key names what it is about:
one reminder per booking, offset and start time (so a shift moved after its reminder
went out is reminded of again at its new time), one alert per shift, start and
coordinator, one attendance prompt per shift and coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.config import Config
from bot.db.models import Role, RoleGrant, Shift, ShiftStatus
from bot.db.session import Database
from bot.services import outbox
from bot.services.outbox_payloads import AttendanceDue
from bot.services.reminders import ShiftReminders

# Shifts that ended longer ago than this are left alone: a coordinator who did not
# answer in a week will not be nagged forever.
ATTENDANCE_LOOK_BACK = timedelta(days=7)


@dataclass(frozen=True)
class Queued:
    reminders: int
    attendance_prompts: int
    below_minimum: int = 0


class ShiftNotices:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.reminders = ShiftReminders(db, config, clock)

    async def queue_due(self, now: datetime | None = None) -> Queued:
        """Everything due now; how many of each were queued by this call."""
        now = now or self.clock.now()
        return Queued(await self.queue_due_reminders(now), await self.queue_attendance_prompts(now),
                      await self.reminders.queue_below_minimum(now))

    async def queue_due_reminders(self, now: datetime | None = None) -> int:
        """A "shift_reminder" for every booking whose member's reminder time has come.
        Returns how many were queued now."""
        return await self.reminders.queue_due_reminders(now or self.clock.now())

    async def queue_attendance_prompts(self, now: datetime | None = None) -> int:
        """An "attendance_due" to each coordinator of a shift that has ended with people
        booked and no attendance confirmed yet. Returns how many were queued now."""
        now = now or self.clock.now()
        queued = 0
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(Shift.id, RoleGrant.member_id)
                .join(RoleGrant, (RoleGrant.organisation_id == Shift.organisation_id)
                      & (RoleGrant.role == Role.COORDINATOR))
                .where(Shift.status == ShiftStatus.OPEN, Shift.ends_at <= now,
                       Shift.ends_at > now - ATTENDANCE_LOOK_BACK,
                       Shift.attendance_confirmed_at.is_(None), Shift.booked_count > 0)
                .order_by(Shift.id, RoleGrant.member_id))
            for shift_id, coordinator_id in rows.all():
                queued += await outbox.enqueue(
                    session, member_id=coordinator_id, payload=AttendanceDue(shift_id=shift_id),
                    dedupe_key=f"attendance_due:{shift_id}:{coordinator_id}", now=now)
        return queued
