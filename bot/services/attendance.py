"""Attendance: after a shift, its coordinator marks who came and confirms, which credits
the hours.

Only a coordinator of the shift's organisation sees the roster, marks and confirms.
Marks can be made once the shift has started. Confirming gives each member marked
ATTENDED an APPROVED TimeEntry for the whole shift (minutes = its length, worked_on =
its local date, the shift's organisation and activity) and credits it through
`Ledger.earn(idempotency_key=f"time-entry:{entry_id}")`, all in one transaction:

* Once only. The time entry's own key is f"attendance:{signup_id}" and the sign-up
  keeps `time_entry_id`; confirming again (after marking a latecomer, say) credits
  only those not credited yet. The shift row is locked while confirming, so two
  coordinators confirming at once queue rather than race.
* Never one's own hours: as with logged hours (bot.services.hours), a coordinator cannot
  mark or confirm their own attendance; another coordinator of the organisation does.
* NO_SHOW is recorded on the sign-up and shown to coordinators only
  (`no_show_count`, counted over the shifts of the organisations they coordinate).
* Unmarked members stay unmarked (nothing credited, nothing recorded against them);
  a credited mark cannot be changed (a correction is a ledger reversal, elsewhere).

Notifications (`bot.services.outbox.enqueue`), recorded only for members who can
receive them (a Telegram account, not erased):

``hours_credited`` to each member credited.
    payload: shift_id, time_entry_id, transaction_id, minutes, worked_on (ISO date),
    organisation_id, activity_type_id, balance_minutes (after the credit).
    dedupe_key: f"hours_credited:{time_entry_id}"
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ActivityType,
    Attendance,
    Member,
    Organisation,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    TimeEntry,
    TimeEntryStatus,
)
from bot.services import outbox, roles
from bot.services.crediting import CreditingService
from bot.services.outbox_payloads import HoursCredited
from bot.services.reference import Named

__all__ = [
    "Attendance",
    "AttendanceConfirmed",
    "AttendanceRefusal",
    "AttendanceService",
    "AwaitingShift",
    "Credited",
    "Marked",
    "Roster",
    "RosterEntry",
]


class AttendanceRefusal(enum.StrEnum):
    NOT_FOUND = "not_found"
    NOT_COORDINATOR = "not_coordinator"  # of this shift's organisation
    SHIFT_CANCELLED = "shift_cancelled"
    NOT_STARTED = "not_started"
    NOT_BOOKED = "not_booked"  # the member has no booking on this shift
    OWN_ATTENDANCE = "own_attendance"  # another coordinator must mark it
    ALREADY_CREDITED = "already_credited"  # the mark was confirmed and credited


@dataclass(frozen=True)
class RosterEntry:
    signup_id: int
    member_id: int
    display_name: str | None  # None once the member has been erased
    attendance: Attendance | None
    credited: bool
    time_entry_id: int | None


@dataclass(frozen=True)
class Roster:
    shift_id: int
    organisation: Named
    activity: Named
    venue: str
    starts_at: datetime
    ends_at: datetime
    minutes: int  # what each attendee is credited
    has_started: bool
    attendance_confirmed_at: datetime | None
    entries: tuple[RosterEntry, ...]  # booked members, in booking order


@dataclass(frozen=True)
class Marked:
    shift_id: int
    member_id: int
    attendance: Attendance | None


@dataclass(frozen=True)
class Credited:
    member_id: int
    signup_id: int
    time_entry_id: int
    transaction_id: int
    minutes: int


@dataclass(frozen=True)
class AttendanceConfirmed:
    shift_id: int
    credited: tuple[Credited, ...]  # credited by this call
    already_credited: int  # credited by an earlier confirmation
    no_shows: int
    unmarked_member_ids: tuple[int, ...]
    own_member_ids: tuple[int, ...]  # the confirming coordinator's own ATTENDED mark, left for another


@dataclass(frozen=True)
class AwaitingShift:
    shift_id: int
    organisation: Named
    activity: Named
    venue: str
    starts_at: datetime
    ends_at: datetime
    booked_count: int


class AttendanceService(CreditingService):
    async def roster(self, coordinator_member_id: int, shift_id: int) -> Roster | AttendanceRefusal:
        now = self.clock.now()
        async with self.db.transaction() as session:
            shift = await session.get(Shift, shift_id)
            if shift is None:
                return AttendanceRefusal.NOT_FOUND
            if not await _coordinates(session, coordinator_member_id, shift):
                return AttendanceRefusal.NOT_COORDINATOR
            organisation = await session.get(Organisation, shift.organisation_id)
            activity = await session.get(ActivityType, shift.activity_type_id)
            assert organisation is not None and activity is not None
            rows = (await session.execute(
                select(ShiftSignup.id, ShiftSignup.member_id, Member.display_name, ShiftSignup.attendance,
                       ShiftSignup.time_entry_id)
                .join(Member, Member.id == ShiftSignup.member_id)
                .where(ShiftSignup.shift_id == shift_id, ShiftSignup.status == SignupStatus.BOOKED)
                .order_by(ShiftSignup.id))).all()
            return Roster(
                shift_id=shift.id, organisation=_named(organisation), activity=_named(activity), venue=shift.venue,
                starts_at=shift.starts_at, ends_at=shift.ends_at, minutes=_minutes(shift),
                has_started=now >= shift.starts_at, attendance_confirmed_at=shift.attendance_confirmed_at,
                entries=tuple(RosterEntry(signup_id=row.id, member_id=row.member_id, display_name=row.display_name,
                                          attendance=row.attendance, credited=row.time_entry_id is not None,
                                          time_entry_id=row.time_entry_id) for row in rows))

    async def mark(self, coordinator_member_id: int, shift_id: int, member_id: int,
                   attendance: Attendance | None) -> Marked | AttendanceRefusal:
        """Mark a booked member ATTENDED or NO_SHOW (None clears the mark)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            shift = await _lock_shift(session, shift_id)
            refusal = await self._refusal(session, coordinator_member_id, shift, now)
            if refusal is not None:
                return refusal
            if member_id == coordinator_member_id:
                return AttendanceRefusal.OWN_ATTENDANCE
            signup = await session.scalar(select(ShiftSignup).where(
                ShiftSignup.shift_id == shift_id, ShiftSignup.member_id == member_id,
                ShiftSignup.status == SignupStatus.BOOKED))
            if signup is None:
                return AttendanceRefusal.NOT_BOOKED
            if signup.time_entry_id is not None:
                return AttendanceRefusal.ALREADY_CREDITED
            signup.attendance = attendance
            return Marked(shift_id, member_id, attendance)

    async def confirm_attendance(self, coordinator_member_id: int,
                                 shift_id: int) -> AttendanceConfirmed | AttendanceRefusal:
        now = self.clock.now()
        async with self.db.transaction() as session:
            shift = await _lock_shift(session, shift_id)
            refusal = await self._refusal(session, coordinator_member_id, shift, now)
            if refusal is not None:
                return refusal
            assert shift is not None
            signups = (await session.scalars(select(ShiftSignup).where(
                ShiftSignup.shift_id == shift_id, ShiftSignup.status == SignupStatus.BOOKED,
            ).order_by(ShiftSignup.id))).all()
            to_credit = [s for s in signups if s.attendance is Attendance.ATTENDED and s.time_entry_id is None
                         and s.member_id != coordinator_member_id]
            minutes = _minutes(shift)
            worked_on = shift.starts_at.astimezone(self.config.tz).date()
            credited: list[Credited] = []
            if to_credit:
                # Several postings in one transaction: take the account locks in the ledger's order.
                account_ids = [await self.ledger.member_account_id(session, s.member_id) for s in to_credit]
                await self.ledger.lock_accounts(session, [await self.ledger.scheme_account_id(session), *account_ids])
            for signup in to_credit:
                credited.append(await self._credit(session, shift, signup, coordinator_member_id, minutes,
                                                   worked_on, now))
            if shift.attendance_confirmed_at is None:
                shift.attendance_confirmed_at = now
            return AttendanceConfirmed(
                shift_id=shift_id, credited=tuple(credited),
                already_credited=sum(1 for s in signups if s.time_entry_id is not None) - len(credited),
                no_shows=sum(1 for s in signups if s.attendance is Attendance.NO_SHOW),
                unmarked_member_ids=tuple(s.member_id for s in signups if s.attendance is None),
                own_member_ids=tuple(s.member_id for s in signups if s.member_id == coordinator_member_id
                                     and s.attendance is Attendance.ATTENDED and s.time_entry_id is None))

    async def _credit(self, session: AsyncSession, shift: Shift, signup: ShiftSignup, coordinator_member_id: int,
                      minutes: int, worked_on: date, now: datetime) -> Credited:
        key = f"attendance:{signup.id}"
        entry = await session.scalar(select(TimeEntry).where(TimeEntry.idempotency_key == key))
        if entry is None:
            # Flagged, as logging hours does, when the member also logged this day's work here.
            duplicate = await session.scalar(select(TimeEntry.id).where(
                TimeEntry.member_id == signup.member_id, TimeEntry.organisation_id == shift.organisation_id,
                TimeEntry.activity_type_id == shift.activity_type_id, TimeEntry.worked_on == worked_on,
                TimeEntry.status.in_((TimeEntryStatus.PENDING, TimeEntryStatus.APPROVED))).limit(1)) is not None
            entry = TimeEntry(
                member_id=signup.member_id, organisation_id=shift.organisation_id,
                activity_type_id=shift.activity_type_id, shift_id=shift.id, worked_on=worked_on, minutes=minutes,
                status=TimeEntryStatus.APPROVED, possible_duplicate=duplicate, submitted_at=now,
                submitted_by_member_id=coordinator_member_id, decided_at=now,
                decided_by_member_id=coordinator_member_id, idempotency_key=key)
            session.add(entry)
            await session.flush()
        posted = await self.ledger.earn(session, member_id=signup.member_id, minutes=entry.minutes,
                                        idempotency_key=f"time-entry:{entry.id}", now=now,
                                        memo=f"shift {shift.id}", actor_member_id=coordinator_member_id)
        entry.ledger_transaction_id = posted.transaction_id
        signup.time_entry_id = entry.id
        signup.minutes_attended = entry.minutes
        await session.flush()
        member = await session.get(Member, signup.member_id)
        if member is not None and member.telegram_user_id is not None and member.erased_at is None:
            balance = await self.ledger.balance(session, await self.ledger.member_account_id(session, member.id))
            await outbox.enqueue(
                session, member_id=member.id, now=now,
                payload=HoursCredited(shift_id=shift.id, time_entry_id=entry.id, transaction_id=posted.transaction_id,
                                      minutes=entry.minutes, worked_on=entry.worked_on,
                                      organisation_id=shift.organisation_id, activity_type_id=shift.activity_type_id,
                                      balance_minutes=balance),
                dedupe_key=f"hours_credited:{entry.id}")
        return Credited(signup.member_id, signup.id, entry.id, posted.transaction_id, entry.minutes)

    async def no_show_count(self, coordinator_member_id: int, member_id: int) -> int | AttendanceRefusal:
        """How often the member was marked NO_SHOW on shifts of the coordinator's organisations."""
        async with self.db.transaction() as session:
            organisations = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
            if not organisations:
                return AttendanceRefusal.NOT_COORDINATOR
            return await session.scalar(
                select(func.count()).select_from(ShiftSignup).join(Shift, Shift.id == ShiftSignup.shift_id)
                .where(ShiftSignup.member_id == member_id, ShiftSignup.attendance == Attendance.NO_SHOW,
                       ShiftSignup.status == SignupStatus.BOOKED,
                       Shift.organisation_id.in_(sorted(organisations)))) or 0

    async def shifts_awaiting_attendance(self, coordinator_member_id: int,
                                         now: datetime | None = None) -> tuple[AwaitingShift, ...]:
        """Ended, open shifts of the coordinator's organisations with bookings and no
        attendance confirmed yet, most recent first."""
        now = now or self.clock.now()
        async with self.db.transaction() as session:
            organisations = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
            if not organisations:
                return ()
            rows = (await session.execute(
                select(Shift.id, Shift.venue, Shift.starts_at, Shift.ends_at, Shift.booked_count, Organisation,
                       ActivityType)
                .join(Organisation, Organisation.id == Shift.organisation_id)
                .join(ActivityType, ActivityType.id == Shift.activity_type_id)
                .where(Shift.organisation_id.in_(sorted(organisations)), Shift.status == ShiftStatus.OPEN,
                       Shift.ends_at <= now, Shift.attendance_confirmed_at.is_(None), Shift.booked_count > 0)
                .order_by(Shift.ends_at.desc(), Shift.id.desc()))).all()
        return tuple(AwaitingShift(shift_id=row.id, organisation=_named(row.Organisation),
                                   activity=_named(row.ActivityType), venue=row.venue, starts_at=row.starts_at,
                                   ends_at=row.ends_at, booked_count=row.booked_count) for row in rows)

    async def _refusal(self, session: AsyncSession, coordinator_member_id: int, shift: Shift | None,
                       now: datetime) -> AttendanceRefusal | None:
        if shift is None:
            return AttendanceRefusal.NOT_FOUND
        if not await _coordinates(session, coordinator_member_id, shift):
            return AttendanceRefusal.NOT_COORDINATOR
        if shift.status is ShiftStatus.CANCELLED:
            return AttendanceRefusal.SHIFT_CANCELLED
        if now < shift.starts_at:
            return AttendanceRefusal.NOT_STARTED
        return None


def _named(row: Organisation | ActivityType) -> Named:
    return Named(row.id, row.slug, row.name_en, row.name_cy)


def _minutes(shift: Shift) -> int:
    return int((shift.ends_at - shift.starts_at).total_seconds() // 60)


async def _coordinates(session: AsyncSession, member_id: int, shift: Shift) -> bool:
    return await roles.has_role(session, member_id, Role.COORDINATOR, shift.organisation_id)


async def _lock_shift(session: AsyncSession, shift_id: int) -> Shift | None:
    return await session.scalar(select(Shift).where(Shift.id == shift_id).with_for_update(key_share=True)
                                .execution_options(populate_existing=True))
