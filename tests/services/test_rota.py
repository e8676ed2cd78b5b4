"""A coordinator's rota: which shifts are running, upcoming or waiting for attendance, and
who is on each (booked, waiting, attended, no-show); only for their own organisations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.db.models import Attendance, ShiftStatus
from bot.services.attendance import AttendanceService
from bot.services.rota import Phase, RotaRefusal, RotaService, Standing, phase_of
from bot.services.shift_rules import SignupOutcome
from shift_helpers import World, world  # noqa: F401  (world is a fixture)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)  # the suite's frozen clock
H = timedelta(hours=1)


@pytest.mark.parametrize(("status", "starts", "ends", "confirmed", "booked", "phase"), [
    (ShiftStatus.OPEN, NOW + H, NOW + 3 * H, None, 2, Phase.UPCOMING),
    (ShiftStatus.OPEN, NOW, NOW + 2 * H, None, 2, Phase.RUNNING),  # starts this minute: running
    (ShiftStatus.OPEN, NOW - H, NOW + H, None, 0, Phase.RUNNING),
    (ShiftStatus.OPEN, NOW - 2 * H, NOW, None, 2, Phase.AWAITING_ATTENDANCE),  # ended this minute
    (ShiftStatus.OPEN, NOW - 3 * H, NOW - H, NOW, 2, Phase.ENDED),
    (ShiftStatus.OPEN, NOW - 3 * H, NOW - H, None, 0, Phase.ENDED),  # nobody to mark
    (ShiftStatus.CANCELLED, NOW + H, NOW + 2 * H, None, 0, Phase.CANCELLED),
    (ShiftStatus.CANCELLED, NOW - H, NOW + H, None, 2, Phase.CANCELLED),
])
def test_the_phase_of_a_shift(status, starts, ends, confirmed, booked, phase) -> None:  # noqa: ANN001
    assert phase_of(status=status, starts_at=starts, ends_at=ends, attendance_confirmed_at=confirmed,
                    booked_count=booked, now=NOW) is phase


@pytest.fixture
def rota(world: World) -> RotaService:
    return RotaService(world.db, world.config, world.clock)


async def booked(world: World, shift_id: int, *names: str) -> list[int]:
    members = [await world.member(name) for name in names]
    for member in members:
        if await world.shifts.sign_up(member, shift_id) is SignupOutcome.FULL:
            assert await world.shifts.join_waitlist(member, shift_id) is SignupOutcome.WAITLISTED
    return members


async def test_the_rota_in_three_sections(world: World, rota: RotaService) -> None:
    later = await world.shift(starts_at=NOW + 26 * H)
    soon = await world.shift(starts_at=NOW + 2 * H)
    running = await world.shift(starts_at=NOW + H, hours=3)
    ended = await world.shift(starts_at=NOW + 30 * timedelta(minutes=1), hours=1)
    await booked(world, running, "Aled", "Bethan")
    await booked(world, ended, "Carys")
    await world.shift(starts_at=NOW + 5 * H, organisation="ely-hub", neighbourhood="ely",
                      coordinator=world.ely_coordinator)  # not ours
    world.clock.set(NOW + 2 * H)  # the 11:00 shift runs; the 10:30 one has ended

    upcoming = await rota.rota(world.coordinator, Phase.UPCOMING)
    assert [item.shift_id for item in upcoming.items] == [later]  # `soon` starts now: running
    assert upcoming.counts == {Phase.RUNNING: 2, Phase.UPCOMING: 1, Phase.AWAITING_ATTENDANCE: 1}
    now_running = await rota.rota(world.coordinator, Phase.RUNNING)
    assert [item.shift_id for item in now_running.items] == [running, soon]
    assert now_running.items[0].booked_count == 2
    awaiting = await rota.rota(world.coordinator, Phase.AWAITING_ATTENDANCE)
    assert [(item.shift_id, item.phase) for item in awaiting.items] == [(ended, Phase.AWAITING_ATTENDANCE)]
    # Without a section, what needs doing first: running now.
    assert (await rota.rota(world.coordinator)).section is Phase.RUNNING


async def test_a_confirmed_or_cancelled_shift_leaves_the_rota(world: World, rota: RotaService) -> None:
    ended = await world.shift(starts_at=NOW + H, hours=1)
    cancelled = await world.shift(starts_at=NOW + 5 * H)
    (aled,) = await booked(world, ended, "Aled")
    await world.shifts.cancel_shift(world.coordinator, cancelled)
    world.clock.set(NOW + 3 * H)
    assert (await rota.rota(world.coordinator)).counts == {
        Phase.RUNNING: 0, Phase.UPCOMING: 0, Phase.AWAITING_ATTENDANCE: 1}
    attendance = AttendanceService(world.db, world.config, world.clock)
    await attendance.mark(world.coordinator, ended, aled, Attendance.ATTENDED)
    await attendance.confirm_attendance(world.coordinator, ended)
    page = await rota.rota(world.coordinator)
    assert page.counts[Phase.AWAITING_ATTENDANCE] == 0 and page.items == ()
    assert (await rota.roster(world.coordinator, ended)).item.phase is Phase.ENDED
    assert (await rota.roster(world.coordinator, cancelled)).item.phase is Phase.CANCELLED


async def test_the_roster_says_who_is_booked_waiting_attended_and_missing(world: World, rota: RotaService) -> None:
    shift_id = await world.shift(starts_at=NOW + H, capacity=3)
    aled, bethan, carys = await booked(world, shift_id, "Aled", "Bethan", "Carys")
    dai, eirlys = await booked(world, shift_id, "Dai", "Eirlys")  # full: waiting, in order
    roster = await rota.roster(world.coordinator, shift_id)
    assert [(p.display_name, p.standing, p.waiting_position) for p in roster.people] == [
        ("Aled", Standing.BOOKED, None), ("Bethan", Standing.BOOKED, None), ("Carys", Standing.BOOKED, None),
        ("Dai", Standing.WAITING, 1), ("Eirlys", Standing.WAITING, 2)]
    assert (roster.may_edit, roster.may_cancel, roster.may_take_attendance) == (True, True, False)
    assert roster.item.waiting_count == 2

    world.clock.set(NOW + 90 * timedelta(minutes=1))  # running
    attendance = AttendanceService(world.db, world.config, world.clock)
    await attendance.mark(world.coordinator, shift_id, bethan, Attendance.ATTENDED)
    await attendance.mark(world.coordinator, shift_id, carys, Attendance.NO_SHOW)
    roster = await rota.roster(world.coordinator, shift_id)
    assert [(p.display_name, p.standing) for p in roster.people] == [
        ("Bethan", Standing.ATTENDED), ("Aled", Standing.BOOKED), ("Carys", Standing.NO_SHOW),
        ("Dai", Standing.WAITING), ("Eirlys", Standing.WAITING)]
    assert (roster.item.phase, roster.may_edit, roster.may_cancel, roster.may_take_attendance) == (
        Phase.RUNNING, False, False, True)
    assert (roster.item.attended_count, roster.item.no_show_count, roster.count(Standing.BOOKED)) == (1, 1, 1)


async def test_a_leaver_is_off_the_roster(world: World, rota: RotaService) -> None:
    shift_id = await world.shift(starts_at=NOW + 5 * H, capacity=1)
    aled, bethan = await booked(world, shift_id, "Aled", "Bethan")
    await world.shifts.leave(aled, shift_id)  # Bethan is promoted from the waiting list
    roster = await rota.roster(world.coordinator, shift_id)
    assert [(p.display_name, p.standing) for p in roster.people] == [("Bethan", Standing.BOOKED)]


async def test_only_coordinators_of_the_organisation_see_it(world: World, rota: RotaService) -> None:
    shift_id = await world.shift(starts_at=NOW + H)
    volunteer = await world.member("Aled")
    assert await rota.rota(volunteer) is RotaRefusal.NOT_COORDINATOR
    assert not await rota.is_coordinator(volunteer)
    assert await rota.roster(world.ely_coordinator, shift_id) is RotaRefusal.NOT_COORDINATOR
    assert await rota.roster(world.coordinator, 9999) is RotaRefusal.NOT_FOUND
    assert (await rota.rota(world.ely_coordinator)).counts == {
        Phase.RUNNING: 0, Phase.UPCOMING: 0, Phase.AWAITING_ATTENDANCE: 0}


async def test_a_long_rota_is_paged(world: World, rota: RotaService) -> None:
    ids = [await world.shift(starts_at=NOW + (day + 1) * 24 * H) for day in range(8)]
    first = await rota.rota(world.coordinator, Phase.UPCOMING, page=0, page_size=5)
    second = await rota.rota(world.coordinator, Phase.UPCOMING, page=1, page_size=5)
    assert (first.pages, [i.shift_id for i in first.items + second.items]) == (2, ids)
    assert (await rota.rota(world.coordinator, Phase.UPCOMING, page=7, page_size=5)).page == 1  # clamped
