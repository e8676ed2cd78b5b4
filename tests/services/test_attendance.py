"""After a shift: the coordinator takes the roster, marks who came, and confirming
credits the hours through the ledger, once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.db.models import (
    Account,
    Attendance,
    LedgerTransaction,
    Role,
    ShiftSignup,
    TimeEntry,
    TimeEntryStatus,
)
from bot.services.attendance import AttendanceConfirmed, AttendanceRefusal, AttendanceService, Marked, Roster
from bot.services.hours import HoursService, LogRefusal
from bot.services.shift_rules import SignupOutcome
from shift_helpers import World, london, world  # noqa: F401  (world is a fixture)


@pytest.fixture
def attendance(world: World) -> AttendanceService:
    return AttendanceService(world.db, world.config, world.clock)


async def _balance(world: World, member_id: int) -> int:
    async with world.db.transaction() as session:
        return await session.scalar(select(Account.balance_minutes).where(Account.member_id == member_id)) or 0


async def _entries(world: World) -> list[TimeEntry]:
    async with world.db.transaction() as session:
        return list((await session.scalars(select(TimeEntry).order_by(TimeEntry.id))).all())


async def _signup(world: World, shift_id: int, member_id: int) -> ShiftSignup:
    async with world.db.transaction() as session:
        signup = await session.scalar(select(ShiftSignup).where(
            ShiftSignup.shift_id == shift_id, ShiftSignup.member_id == member_id))
        assert signup is not None
        return signup


async def _booked_shift(world: World, members: list[int], **kwargs) -> int:
    """A 2h30 shift on Tue 8 Dec 2026, 10:00-12:30 London, with these members booked."""
    shift_id = await world.shift(starts_at=london(2026, 12, 8, 10), hours=2.5, capacity=len(members) + 1, **kwargs)
    for member in members:
        assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.BOOKED
    return shift_id


async def test_the_story_of_a_shift_after_it_ends(world: World, attendance: AttendanceService) -> None:
    came, missed, unmarked = await world.member("Aled"), await world.member("Bethan"), await world.member("Carys")
    waiting = await world.member("Dai")
    shift_id = await _booked_shift(world, [came, missed, unmarked])
    await world.shifts.sign_up(await world.member("Extra"), shift_id)  # fills it
    await world.shifts.join_waitlist(waiting, shift_id)

    roster = await attendance.roster(world.coordinator, shift_id)
    assert isinstance(roster, Roster) and not roster.has_started and roster.minutes == 150
    assert [e.display_name for e in roster.entries] == ["Aled", "Bethan", "Carys", "Extra"]
    assert await attendance.mark(world.coordinator, shift_id, came,
                                 Attendance.ATTENDED) is AttendanceRefusal.NOT_STARTED

    world.clock.set(london(2026, 12, 8, 10, 15))
    assert await attendance.mark(world.coordinator, shift_id, came, Attendance.ATTENDED) == Marked(
        shift_id, came, Attendance.ATTENDED)
    assert isinstance(await attendance.mark(world.coordinator, shift_id, missed, Attendance.NO_SHOW), Marked)
    assert await attendance.mark(world.coordinator, shift_id, waiting,
                                 Attendance.ATTENDED) is AttendanceRefusal.NOT_BOOKED
    # Marks can be cleared before confirming.
    extra = (await attendance.roster(world.coordinator, shift_id)).entries[3].member_id  # type: ignore[union-attr]
    await attendance.mark(world.coordinator, shift_id, extra, Attendance.ATTENDED)
    assert await attendance.mark(world.coordinator, shift_id, extra, None) == Marked(shift_id, extra, None)
    assert await attendance.shifts_awaiting_attendance(world.coordinator) == ()  # not ended yet

    world.clock.set(london(2026, 12, 8, 13))
    [awaiting] = await attendance.shifts_awaiting_attendance(world.coordinator)
    assert (awaiting.shift_id, awaiting.booked_count) == (shift_id, 4)
    assert await attendance.shifts_awaiting_attendance(world.ely_coordinator) == ()

    confirmed = await attendance.confirm_attendance(world.coordinator, shift_id)
    assert isinstance(confirmed, AttendanceConfirmed)
    assert [c.member_id for c in confirmed.credited] == [came]
    assert (confirmed.no_shows, confirmed.already_credited) == (1, 0)
    assert set(confirmed.unmarked_member_ids) == {unmarked, extra}
    assert await _balance(world, came) == 150
    assert await _balance(world, missed) == await _balance(world, unmarked) == 0

    [entry] = await _entries(world)
    assert (entry.member_id, entry.minutes, entry.worked_on, entry.status, entry.shift_id) == (
        came, 150, date(2026, 12, 8), TimeEntryStatus.APPROVED, shift_id)
    assert (entry.organisation_id, entry.activity_type_id) == (world.ref["splott-community"],
                                                               world.ref["community-hub"])
    assert (entry.decided_by_member_id, entry.idempotency_key) == (
        world.coordinator, f"attendance:{(await _signup(world, shift_id, came)).id}")
    assert entry.ledger_transaction_id == confirmed.credited[0].transaction_id
    async with world.db.transaction() as session:
        transaction = await session.get(LedgerTransaction, entry.ledger_transaction_id)
        assert transaction is not None and transaction.idempotency_key == f"time-entry:{entry.id}"
    signup = await _signup(world, shift_id, came)
    assert (signup.time_entry_id, signup.minutes_attended) == (entry.id, 150)

    [message] = await world.outbox("hours_credited")
    assert (message.member_id, message.payload["minutes"], message.payload["time_entry_id"],
            message.payload["balance_minutes"], message.payload["worked_on"]) == (came, 150, entry.id, 150,
                                                                                  "2026-12-08")
    assert await attendance.shifts_awaiting_attendance(world.coordinator) == ()

    # Confirming again credits nobody twice; a latecomer marked afterwards is credited alone.
    again = await attendance.confirm_attendance(world.coordinator, shift_id)
    assert isinstance(again, AttendanceConfirmed) and again.credited == () and again.already_credited == 1
    await attendance.mark(world.coordinator, shift_id, unmarked, Attendance.ATTENDED)
    third = await attendance.confirm_attendance(world.coordinator, shift_id)
    assert isinstance(third, AttendanceConfirmed) and [c.member_id for c in third.credited] == [unmarked]
    assert (await _balance(world, came), await _balance(world, unmarked)) == (150, 150)
    assert len(await _entries(world)) == 2 and len(await world.outbox("hours_credited")) == 2
    # A credited mark is final here (a correction is a ledger reversal).
    assert await attendance.mark(world.coordinator, shift_id, came,
                                 Attendance.NO_SHOW) is AttendanceRefusal.ALREADY_CREDITED

    # No-shows are for coordinators' eyes, and only over their own organisations' shifts.
    assert await attendance.no_show_count(world.coordinator, missed) == 1
    assert await attendance.no_show_count(world.coordinator, came) == 0
    assert await attendance.no_show_count(world.ely_coordinator, missed) == 0
    assert await attendance.no_show_count(came, missed) is AttendanceRefusal.NOT_COORDINATOR


async def test_only_that_organisations_coordinators(world: World, attendance: AttendanceService) -> None:
    member = await world.member()
    shift_id = await _booked_shift(world, [member])
    world.clock.set(london(2026, 12, 8, 13))
    staff = await world.member("Staff")
    await world.grant(staff, Role.STAFF, "splott-community")
    for actor in (member, world.ely_coordinator, staff, 99_999):
        assert await attendance.roster(actor, shift_id) is AttendanceRefusal.NOT_COORDINATOR
        assert await attendance.mark(actor, shift_id, member, Attendance.ATTENDED) is AttendanceRefusal.NOT_COORDINATOR
        assert await attendance.confirm_attendance(actor, shift_id) is AttendanceRefusal.NOT_COORDINATOR
        assert await attendance.shifts_awaiting_attendance(actor) == ()
    assert await attendance.roster(world.coordinator, 99_999) is AttendanceRefusal.NOT_FOUND
    assert await attendance.confirm_attendance(world.coordinator, 99_999) is AttendanceRefusal.NOT_FOUND
    assert (await _signup(world, shift_id, member)).attendance is None


async def test_a_coordinator_does_not_credit_their_own_attendance(world: World, attendance: AttendanceService) -> None:
    colleague = await world.member("Colleague")
    await world.grant(colleague, Role.COORDINATOR, "splott-community")
    shift_id = await _booked_shift(world, [world.coordinator])
    world.clock.set(london(2026, 12, 8, 13))
    assert await attendance.mark(world.coordinator, shift_id, world.coordinator,
                                 Attendance.ATTENDED) is AttendanceRefusal.OWN_ATTENDANCE
    assert isinstance(await attendance.mark(colleague, shift_id, world.coordinator, Attendance.ATTENDED), Marked)
    own = await attendance.confirm_attendance(world.coordinator, shift_id)
    assert isinstance(own, AttendanceConfirmed) and own.credited == () and own.own_member_ids == (world.coordinator,)
    assert await _balance(world, world.coordinator) == 0
    theirs = await attendance.confirm_attendance(colleague, shift_id)
    assert isinstance(theirs, AttendanceConfirmed) and [c.member_id for c in theirs.credited] == [world.coordinator]
    assert await _balance(world, world.coordinator) == 150


async def test_two_coordinators_confirming_at_once_credit_once(world: World, attendance: AttendanceService) -> None:
    colleague = await world.member("Colleague")
    await world.grant(colleague, Role.COORDINATOR, "splott-community")
    members = [await world.member(f"V{i}") for i in range(4)]
    shift_id = await _booked_shift(world, members)
    world.clock.set(london(2026, 12, 8, 13))
    for member in members:
        await attendance.mark(world.coordinator, shift_id, member, Attendance.ATTENDED)
    results = await asyncio.gather(*(attendance.confirm_attendance(c, shift_id)
                                     for c in (world.coordinator, colleague, world.coordinator)))
    assert all(isinstance(r, AttendanceConfirmed) for r in results)
    assert sorted(c.member_id for r in results for c in r.credited) == sorted(members)  # type: ignore[union-attr]
    assert [await _balance(world, m) for m in members] == [150] * 4
    async with world.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(TimeEntry)) == 4
        assert await session.scalar(select(func.count()).select_from(LedgerTransaction)) == 4


async def test_worked_on_is_the_local_date(world: World, attendance: AttendanceService) -> None:
    world.clock.set(datetime(2026, 6, 1, 9, tzinfo=timezone.utc))
    member = await world.member()
    # 00:30-02:30 BST on Sat 13 June is 23:30 UTC on Friday the 12th.
    shift_id = await world.shift(starts_at=london(2026, 6, 13, 0, 30))
    await world.shifts.sign_up(member, shift_id)
    world.clock.set(london(2026, 6, 13, 3))
    await attendance.mark(world.coordinator, shift_id, member, Attendance.ATTENDED)
    await attendance.confirm_attendance(world.coordinator, shift_id)
    [entry] = await _entries(world)
    assert (entry.worked_on, entry.minutes) == (date(2026, 6, 13), 120)


async def test_hours_logged_for_the_same_day_are_flagged(world: World, attendance: AttendanceService) -> None:
    member = await world.member()
    shift_id = await _booked_shift(world, [member])
    world.clock.set(london(2026, 12, 8, 13))
    hours = HoursService(world.db, world.config, world.clock)
    logged = await hours.log_hours(member, organisation_id=world.ref["splott-community"],
                                   activity_type_id=world.ref["community-hub"], worked_on=date(2026, 12, 8),
                                   minutes=150, note=None, submitted_by_member_id=member, idempotency_key="log-1")
    assert not isinstance(logged, LogRefusal), logged
    await attendance.mark(world.coordinator, shift_id, member, Attendance.ATTENDED)
    await attendance.confirm_attendance(world.coordinator, shift_id)
    attendance_entry = [e for e in await _entries(world) if e.shift_id == shift_id and e.status is
                        TimeEntryStatus.APPROVED]
    assert [e.possible_duplicate for e in attendance_entry] == [True]


async def test_cancelled_shifts_take_no_attendance(world: World, attendance: AttendanceService) -> None:
    member = await world.member()
    shift_id = await _booked_shift(world, [member])
    await world.shifts.cancel_shift(world.coordinator, shift_id)
    world.clock.set(london(2026, 12, 8, 13))
    assert await attendance.mark(world.coordinator, shift_id, member,
                                 Attendance.ATTENDED) is AttendanceRefusal.SHIFT_CANCELLED
    assert await attendance.confirm_attendance(world.coordinator, shift_id) is AttendanceRefusal.SHIFT_CANCELLED
    assert await attendance.shifts_awaiting_attendance(world.coordinator) == ()


async def test_awaiting_attendance_skips_shifts_nobody_booked(world: World, attendance: AttendanceService) -> None:
    empty = await world.shift(starts_at=london(2026, 12, 8, 10))
    member = await world.member()
    booked = await _booked_shift(world, [member], venue="Star Centre")
    world.clock.set(london(2026, 12, 9, 9))
    assert [s.shift_id for s in await attendance.shifts_awaiting_attendance(world.coordinator)] == [booked]
    assert empty != booked
    assert await attendance.shifts_awaiting_attendance(world.coordinator,
                                                      london(2026, 12, 8, 12)) == ()  # explicit now: not ended


async def test_the_roster_names_an_erased_member_as_none(world: World, attendance: AttendanceService) -> None:
    from bot.services.privacy import PrivacyService
    member = await world.member("Soon Gone")
    shift_id = await _booked_shift(world, [member])
    world.clock.set(london(2026, 12, 8, 13))
    await PrivacyService(world.db, world.clock, world.shifts).forget(member)
    roster = await attendance.roster(world.coordinator, shift_id)
    assert isinstance(roster, Roster) and [e.display_name for e in roster.entries] == [None]
    assert timedelta(0) <= world.clock.now() - roster.ends_at
