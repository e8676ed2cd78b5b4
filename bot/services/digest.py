"""The coordinators' daily digest: at `reminders.digest_time` (local), each coordinator
with hours waiting for approval or shifts tomorrow in their organisations is sent one
message about them. Recorded once per coordinator and day (dedupe key); after downtime
it still goes the same evening, never the next day. What it says (how many entries
wait, tomorrow's rosters) is read when it is sent, so it is never stale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, select

from bot.clock import Clock
from bot.config import Config
from bot.db.models import Member, Role, RoleGrant, Shift, ShiftStatus, TimeEntry, TimeEntryStatus
from bot.db.session import Database
from bot.services import outbox, roles
from bot.services.outbox_payloads import CoordinatorDigest


class CoordinatorDigests:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    def _day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """A local day as UTC instants (23 or 25 hours long when the clocks change)."""
        tz = self.config.tz
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return start, end

    async def queue_due(self, now: datetime | None = None) -> int:
        """Today's digests, once the local digest time has come. Returns how many were recorded."""
        now = now or self.clock.now()
        local = now.astimezone(self.config.tz)
        if local.time() < self.config.reminders.digest_time:
            return 0
        today = local.date()
        start, end = self._day_bounds(today + timedelta(days=1))
        tomorrow = exists().where(Shift.organisation_id == RoleGrant.organisation_id, Shift.status == ShiftStatus.OPEN,
                                  Shift.starts_at >= start, Shift.starts_at < end)
        pending = exists().where(TimeEntry.organisation_id == RoleGrant.organisation_id,
                                 TimeEntry.status == TimeEntryStatus.PENDING,
                                 TimeEntry.member_id != RoleGrant.member_id)
        async with self.db.transaction() as session:
            coordinators = (await session.scalars(
                select(RoleGrant.member_id).distinct()
                .join(Member, Member.id == RoleGrant.member_id)
                .where(RoleGrant.role == Role.COORDINATOR, Member.erased_at.is_(None),
                       Member.telegram_user_id.is_not(None), tomorrow | pending)
                .order_by(RoleGrant.member_id))).all()
            queued = 0
            for coordinator_id in coordinators:
                queued += await outbox.enqueue(session, member_id=coordinator_id, now=now,
                                               payload=CoordinatorDigest(day=today),
                                               dedupe_key=f"digest:{coordinator_id}:{today.isoformat()}")
            return queued

    async def shifts_on(self, coordinator_member_id: int, day: date) -> list[int]:
        """The open shifts of their organisations starting on a local day, in start order."""
        start, end = self._day_bounds(day)
        async with self.db.read() as session:
            mine = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
            if not mine:
                return []
            return list(await session.scalars(
                select(Shift.id).where(Shift.organisation_id.in_(mine), Shift.status == ShiftStatus.OPEN,
                                       Shift.starts_at >= start, Shift.starts_at < end)
                .order_by(Shift.starts_at, Shift.id)))
