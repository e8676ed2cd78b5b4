"""ShiftService against a real database (SQLite and PostgreSQL): a coordinator creates and
edits shifts, members find, book, wait, leave and are reminded."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from bot.db.models import DbsCheck, Member, Role, Shift, ShiftStatus, SignupStatus
from bot.services.shift_authoring import (
    CancelRefusal,
    CreateRefusal,
    EditRefusal,
    ShiftCancelled,
    ShiftChanges,
    ShiftEdited,
    ShiftsCreated,
)
from bot.services.member_settings import MemberSettingsService, SettingsRefusal
from bot.services.outbox_payloads import ShiftChanged
from bot.services.shift_booking import DeclineOutcome, LeaveOutcome
from bot.services.shift_rules import SignupOutcome
from shift_helpers import LONDON, World, london, world  # noqa: F401  (world is a fixture)


# ----------------------------------------------------------------------------- creating


async def test_a_coordinator_creates_a_shift(world: World) -> None:
    created = await world.shifts.create_shifts(world.coordinator, world.draft(capacity=4, minimum=2))
    assert isinstance(created, ShiftsCreated)
    assert len(created.shift_ids) == 1 and created.series_id is None
    shift = await world.get_shift(created.shift_ids[0])
    assert (shift.capacity, shift.minimum, shift.booked_count, shift.status) == (4, 2, 0, ShiftStatus.OPEN)
    assert shift.requires_dbs is False  # community hub: the activity type's default
    assert shift.created_by_member_id == world.coordinator


async def test_requires_dbs_follows_the_activity_type_unless_set(world: World) -> None:
    by_default = await world.shift(activity="holiday-activities")
    overridden = await world.shift(activity="holiday-activities", requires_dbs=False,
                                   starts_at=world.clock.now() + timedelta(days=5))
    forced = await world.shift(activity="community-hub", requires_dbs=True,
                               starts_at=world.clock.now() + timedelta(days=6))
    assert (await world.get_shift(by_default)).requires_dbs is True
    assert (await world.get_shift(overridden)).requires_dbs is False
    assert (await world.get_shift(forced)).requires_dbs is True


async def test_only_a_coordinator_of_that_organisation_may_create(world: World) -> None:
    volunteer = await world.member("Val")
    assert await world.shifts.create_shifts(volunteer, world.draft()) is CreateRefusal.NOT_COORDINATOR
    # The Ely coordinator cannot create for Splott, nor for an organisation that does not exist.
    assert await world.shifts.create_shifts(world.ely_coordinator, world.draft()) is CreateRefusal.NOT_COORDINATOR
    forged = world.draft().__class__(**{**world.draft().__dict__, "organisation_id": 99_999})
    assert await world.shifts.create_shifts(world.coordinator, forged) is CreateRefusal.NOT_COORDINATOR
    # Staff of the organisation are not coordinators.
    await world.grant(volunteer, Role.STAFF, "splott-community")
    assert await world.shifts.create_shifts(volunteer, world.draft()) is CreateRefusal.NOT_COORDINATOR
    assert await _count(world, Shift) == 0


@pytest.mark.parametrize(("changes", "refusal"), [
    ({"capacity": 0}, CreateRefusal.CAPACITY_OUT_OF_RANGE),
    ({"capacity": 501}, CreateRefusal.CAPACITY_OUT_OF_RANGE),
    ({"minimum": 5, "capacity": 4}, CreateRefusal.MINIMUM_ABOVE_CAPACITY),
    ({"starts_at": datetime(2026, 12, 7, 9, tzinfo=timezone.utc)}, CreateRefusal.IN_PAST),
    ({"hours": 0}, CreateRefusal.ENDS_BEFORE_START),
    ({"description_en": "x" * 3001}, CreateRefusal.DESCRIPTION_TOO_LONG),
    ({"description_cy": "ŷ" * 3001}, CreateRefusal.DESCRIPTION_TOO_LONG),
    ({"activity_type_id": 99_999}, CreateRefusal.UNKNOWN_ACTIVITY_TYPE),
    ({"neighbourhood_id": 99_999}, CreateRefusal.UNKNOWN_NEIGHBOURHOOD),
])
async def test_refused_drafts_write_nothing(world: World, changes: dict, refusal: CreateRefusal) -> None:
    assert await world.shifts.create_shifts(world.coordinator, world.draft(**changes)) is refusal
    assert await _count(world, Shift) == 0


async def test_empty_descriptions_are_allowed(world: World) -> None:
    created = await world.shifts.create_shifts(world.coordinator, world.draft(description_en="", description_cy=""))
    assert isinstance(created, ShiftsCreated)


@pytest.mark.parametrize(("weeks", "ok"), [(0, False), (1, True), (26, True), (27, False)])
async def test_repeat_weeks_range(world: World, weeks: int, ok: bool) -> None:
    result = await world.shifts.create_shifts(world.coordinator, world.draft(), repeat_weeks=weeks)
    if ok:
        assert isinstance(result, ShiftsCreated) and len(result.shift_ids) == weeks
    else:
        assert result is CreateRefusal.REPEAT_OUT_OF_RANGE
        assert await _count(world, Shift) == 0


async def test_weekly_repeats_keep_ten_oclock_london_across_25_october(world: World) -> None:
    world.clock.set(datetime(2026, 10, 1, 9, tzinfo=timezone.utc))
    first = london(2026, 10, 17, 10)  # Saturday, BST
    created = await world.shifts.create_shifts(world.coordinator, world.draft(starts_at=first), repeat_weeks=3)
    assert isinstance(created, ShiftsCreated)
    shifts = [await world.get_shift(shift_id) for shift_id in created.shift_ids]
    assert [s.starts_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for s in shifts] == [
        "2026-10-17 10:00", "2026-10-24 10:00", "2026-10-31 10:00"]
    assert [s.starts_at for s in shifts] == [datetime(2026, 10, 17, 9, tzinfo=timezone.utc),
                                             datetime(2026, 10, 24, 9, tzinfo=timezone.utc),
                                             datetime(2026, 10, 31, 10, tzinfo=timezone.utc)]
    assert [s.ends_at.astimezone(LONDON).hour for s in shifts] == [12, 12, 12]
    assert {s.series_id for s in shifts} == {created.shift_ids[0]} == {created.series_id}


async def test_weekly_repeats_keep_ten_oclock_london_across_29_march(world: World) -> None:
    world.clock.set(datetime(2026, 3, 1, 9, tzinfo=timezone.utc))
    created = await world.shifts.create_shifts(world.coordinator, world.draft(starts_at=london(2026, 3, 23, 10)),
                                               repeat_weeks=2)
    assert isinstance(created, ShiftsCreated)
    shifts = [await world.get_shift(shift_id) for shift_id in created.shift_ids]
    assert [s.starts_at for s in shifts] == [datetime(2026, 3, 23, 10, tzinfo=timezone.utc),
                                             datetime(2026, 3, 30, 9, tzinfo=timezone.utc)]
    assert [s.starts_at.astimezone(LONDON).hour for s in shifts] == [10, 10]


# ----------------------------------------------------------------------------- signing up


async def test_a_member_books_a_free_place(world: World) -> None:
    shift_id = await world.shift(capacity=2)
    member = await world.member("Alun")
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.BOOKED
    assert (await world.get_shift(shift_id)).booked_count == 1
    [signup] = await world.signups(shift_id)
    assert (signup.member_id, signup.status) == (member, SignupStatus.BOOKED)
    assert signup.booked_at == world.clock.now()


async def test_booking_twice_is_already_booked(world: World) -> None:
    shift_id = await world.shift()
    member = await world.member()
    await world.shifts.sign_up(member, shift_id)
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.ALREADY_BOOKED
    assert await world.shifts.join_waitlist(member, shift_id) is SignupOutcome.ALREADY_BOOKED
    assert (await world.get_shift(shift_id)).booked_count == 1
    assert len(await world.signups(shift_id)) == 1


async def test_a_full_shift_offers_the_waitlist(world: World) -> None:
    shift_id = await world.shift(capacity=1)
    first, second = await world.member("First"), await world.member("Second")
    assert await world.shifts.sign_up(first, shift_id) is SignupOutcome.BOOKED
    assert await world.shifts.sign_up(second, shift_id) is SignupOutcome.FULL
    assert await world.signups(shift_id) and len(await world.signups(shift_id)) == 1  # FULL writes nothing
    assert await world.shifts.join_waitlist(second, shift_id) is SignupOutcome.WAITLISTED
    assert await world.shifts.join_waitlist(second, shift_id) is SignupOutcome.ALREADY_WAITLISTED
    assert await world.shifts.sign_up(second, shift_id) is SignupOutcome.ALREADY_WAITLISTED
    card = await world.shifts.shift_card(shift_id, member_id=second)
    assert card is not None
    assert (card.my_status, card.my_waitlist_position, card.waitlist_length, card.free_places) == (
        SignupStatus.WAITLISTED, 1, 1, 0)


async def test_joining_the_waitlist_of_a_shift_with_room_books_instead(world: World) -> None:
    shift_id = await world.shift(capacity=2)
    member = await world.member()
    assert await world.shifts.join_waitlist(member, shift_id) is SignupOutcome.BOOKED
    assert (await world.get_shift(shift_id)).booked_count == 1


async def test_unknown_shift_and_unregistered_member(world: World) -> None:
    member = await world.member()
    shift_id = await world.shift()
    assert await world.shifts.sign_up(member, 99_999) is SignupOutcome.NOT_FOUND
    assert await world.shifts.sign_up(99_999, shift_id) is SignupOutcome.NOT_REGISTERED
    async with world.db.transaction() as session:
        unregistered = Member(display_name="Half way", registered_at=None)
        erased = Member(display_name=None, registered_at=world.clock.now(), erased_at=world.clock.now())
        session.add_all([unregistered, erased])
        await session.flush()
        ids = unregistered.id, erased.id
    for member_id in ids:
        assert await world.shifts.sign_up(member_id, shift_id) is SignupOutcome.NOT_REGISTERED
        assert await world.shifts.join_waitlist(member_id, shift_id) is SignupOutcome.NOT_REGISTERED
    assert await world.signups(shift_id) == []


async def test_cancelled_started_and_ended_shifts(world: World) -> None:
    member = await world.member()
    now = world.clock.now()
    shift_id = await world.shift(starts_at=now + timedelta(hours=1), hours=2)
    cancelled = await world.shift(starts_at=now + timedelta(days=1))
    assert isinstance(await world.shifts.cancel_shift(world.coordinator, cancelled), ShiftCancelled)
    assert await world.shifts.sign_up(member, cancelled) is SignupOutcome.SHIFT_CANCELLED
    assert await world.shifts.join_waitlist(member, cancelled) is SignupOutcome.SHIFT_CANCELLED
    world.clock.advance(hours=1)  # exactly the start
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.SIGNUP_CLOSED
    world.clock.advance(hours=1, minutes=30)
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.SIGNUP_CLOSED
    world.clock.advance(minutes=30)  # exactly the end
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.SHIFT_ENDED
    assert await world.shifts.join_waitlist(member, shift_id) is SignupOutcome.SHIFT_ENDED
    assert await world.signups(shift_id) == []


async def test_overlapping_bookings_collide_but_back_to_back_do_not(world: World) -> None:
    member = await world.member()
    base = world.clock.now() + timedelta(days=2)
    morning = await world.shift(starts_at=base, hours=3)
    overlapping = await world.shift(starts_at=base + timedelta(hours=2), hours=2, organisation="ely-hub",
                                    neighbourhood="ely", coordinator=world.ely_coordinator)
    afterwards = await world.shift(starts_at=base + timedelta(hours=3), hours=2)
    inside = await world.shift(starts_at=base + timedelta(hours=1), hours=1)
    assert await world.shifts.sign_up(member, morning) is SignupOutcome.BOOKED
    assert await world.shifts.sign_up(member, overlapping) is SignupOutcome.COLLIDES
    assert await world.shifts.sign_up(member, inside) is SignupOutcome.COLLIDES
    assert await world.shifts.sign_up(member, afterwards) is SignupOutcome.BOOKED
    # A waitlist place on an overlapping shift is refused too (it could turn into a clash).
    full = await world.shift(starts_at=base + timedelta(minutes=30), hours=1, capacity=1)
    await world.shifts.sign_up(await world.member("Other"), full)
    assert await world.shifts.join_waitlist(member, full) is SignupOutcome.COLLIDES
    # Leaving the morning frees the member for the shift inside it.
    assert await world.shifts.leave(member, morning) is LeaveOutcome.CANCELLED
    assert await world.shifts.sign_up(member, inside) is SignupOutcome.BOOKED


async def test_a_cancelled_shift_does_not_collide(world: World) -> None:
    member = await world.member()
    base = world.clock.now() + timedelta(days=2)
    first = await world.shift(starts_at=base)
    second = await world.shift(starts_at=base)
    await world.shifts.sign_up(member, first)
    await world.shifts.cancel_shift(world.coordinator, first)
    assert await world.shifts.sign_up(member, second) is SignupOutcome.BOOKED


async def test_dbs_is_judged_on_the_shift_date(world: World) -> None:
    member = await world.member()
    # Shift on Thu 10 Dec 2026 (London); validity is three years.
    shift_id = await world.shift(activity="day-centre", starts_at=london(2026, 12, 10, 10))
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.DBS_REQUIRED  # none at all
    assert await world.shifts.join_waitlist(member, shift_id) is SignupOutcome.DBS_REQUIRED
    await world.dbs(member, date(2023, 12, 10))  # valid today (7 Dec) but expired on the shift date
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.DBS_REQUIRED
    card = await world.shifts.shift_card(shift_id, member_id=member)
    assert card is not None and card.requires_dbs and card.my_dbs_valid is False
    await world.dbs(member, date(2023, 12, 11))  # valid until 10 Dec 2026 inclusive
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.BOOKED
    assert await world.signups(shift_id) and len(await world.signups(shift_id)) == 1


async def test_dbs_uses_the_local_date_of_a_shift_just_after_midnight(world: World) -> None:
    member = await world.member()
    world.clock.set(datetime(2026, 6, 1, 9, tzinfo=timezone.utc))
    # 00:30 BST on Tue 16 Jun 2026 is 23:30 UTC on the 15th: the local date is the 16th.
    shift_id = await world.shift(activity="holiday-activities", starts_at=london(2026, 6, 16, 0, 30))
    await world.dbs(member, date(2023, 6, 16))  # expires at the start of 16 Jun 2026
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.DBS_REQUIRED


# ----------------------------------------------------------------------------- leaving and the waitlist


async def test_cancelling_promotes_the_first_waitlisted_then_decline_passes_it_on(world: World) -> None:
    shift_id = await world.shift(capacity=1, starts_at=world.clock.now() + timedelta(days=5))
    booked, first, second = await world.member("Bryn"), await world.member("Ffion"), await world.member("Gwen")
    await world.shifts.sign_up(booked, shift_id)
    world.clock.advance(minutes=1)
    assert await world.shifts.join_waitlist(first, shift_id) is SignupOutcome.WAITLISTED
    assert await world.shifts.join_waitlist(second, shift_id) is SignupOutcome.WAITLISTED
    assert [m.waitlist_position for m in await world.shifts.my_shifts(second)] == [2]
    assert await world.shifts.decline_promotion(booked, shift_id) is DeclineOutcome.NOT_PROMOTED
    assert await world.shifts.decline_promotion(first, shift_id) is DeclineOutcome.NOT_PROMOTED  # still waiting

    world.clock.advance(minutes=1)
    assert await world.shifts.leave(booked, shift_id) is LeaveOutcome.CANCELLED  # five days ahead: not late
    [first_status] = await world.shifts.my_shifts(first)
    assert (first_status.status, first_status.waitlist_position) == (SignupStatus.BOOKED, None)
    assert [m.waitlist_position for m in await world.shifts.my_shifts(second)] == [1]
    promoted = await world.outbox("waitlist_promoted")
    assert [(m.member_id, m.payload["shift_id"]) for m in promoted] == [(first, shift_id)]
    assert await world.outbox("late_cancellation") == []

    world.clock.advance(minutes=1)
    assert await world.shifts.decline_promotion(first, shift_id) is DeclineOutcome.DECLINED
    assert [m.status for m in await world.shifts.my_shifts(second)] == [SignupStatus.BOOKED]
    assert await world.shifts.my_shifts(first) == ()
    assert [m.member_id for m in await world.outbox("waitlist_promoted")] == [first, second]
    assert (await world.get_shift(shift_id)).booked_count == 1

    # The last one declines with nobody waiting: the place is simply free.
    world.clock.advance(minutes=1)
    assert await world.shifts.decline_promotion(second, shift_id) is DeclineOutcome.DECLINED
    assert (await world.get_shift(shift_id)).booked_count == 0
    assert await world.shifts.decline_promotion(second, shift_id) is DeclineOutcome.NOT_SIGNED_UP


async def test_a_promotion_can_be_declined_even_in_the_same_instant(world: World) -> None:
    # The clock does not move between joining the waitlist and being promoted.
    shift_id = await world.shift(capacity=1)
    booked, waiting = await world.member(), await world.member()
    await world.shifts.sign_up(booked, shift_id)
    await world.shifts.join_waitlist(waiting, shift_id)
    await world.shifts.leave(booked, shift_id)
    assert await world.shifts.decline_promotion(waiting, shift_id) is DeclineOutcome.DECLINED
    # Joining the waitlist of a shift with a free place books directly: not a promotion.
    assert await world.shifts.join_waitlist(waiting, shift_id) is SignupOutcome.BOOKED
    assert await world.shifts.decline_promotion(waiting, shift_id) is DeclineOutcome.NOT_PROMOTED


async def test_promotion_skips_members_who_cannot_take_the_place(world: World) -> None:
    base = world.clock.now() + timedelta(days=3)
    shift_id = await world.shift(capacity=1, activity="holiday-activities", starts_at=base)
    booked, no_dbs, clashing, ready = [await world.member(name) for name in ("A", "B", "C", "D")]
    for member in (booked, no_dbs, clashing, ready):
        await world.dbs(member, date(2025, 1, 1))
    await world.shifts.sign_up(booked, shift_id)
    for member in (no_dbs, clashing, ready):
        assert await world.shifts.join_waitlist(member, shift_id) is SignupOutcome.WAITLISTED
    # Meanwhile B's check is withdrawn (recorded in error) and C books an overlapping shift.
    async with world.db.transaction() as session:
        await session.execute(delete(DbsCheck).where(DbsCheck.member_id == no_dbs))
    other = await world.shift(starts_at=base + timedelta(minutes=30))
    assert await world.shifts.sign_up(clashing, other) is SignupOutcome.BOOKED
    assert await world.shifts.leave(booked, shift_id) is LeaveOutcome.CANCELLED
    statuses = {s.member_id: s.status for s in await world.signups(shift_id)}
    assert statuses == {booked: SignupStatus.CANCELLED, no_dbs: SignupStatus.WAITLISTED,
                        clashing: SignupStatus.WAITLISTED, ready: SignupStatus.BOOKED}


async def test_leaving_the_waitlist_and_leaving_nothing(world: World) -> None:
    shift_id = await world.shift(capacity=1)
    booked, waiting = await world.member(), await world.member()
    await world.shifts.sign_up(booked, shift_id)
    await world.shifts.join_waitlist(waiting, shift_id)
    assert await world.shifts.leave(waiting, shift_id) is LeaveOutcome.LEFT_WAITLIST
    assert await world.shifts.leave(waiting, shift_id) is LeaveOutcome.NOT_SIGNED_UP
    assert await world.shifts.leave(waiting, 99_999) is LeaveOutcome.NOT_FOUND
    assert (await world.get_shift(shift_id)).booked_count == 1
    # A member who left may sign up again (the partial unique index allows it).
    assert await world.shifts.join_waitlist(waiting, shift_id) is SignupOutcome.WAITLISTED


async def test_a_late_cancellation_alerts_the_organisations_coordinators(world: World) -> None:
    second_coordinator = await world.member("Dewi")
    await world.grant(second_coordinator, Role.COORDINATOR, "splott-community")
    shift_id = await world.shift(capacity=2, minimum=2, starts_at=world.clock.now() + timedelta(hours=23))
    member = await world.member()
    await world.shifts.sign_up(member, shift_id)
    assert await world.shifts.leave(member, shift_id) is LeaveOutcome.CANCELLED_LATE
    alerts = await world.outbox("late_cancellation")
    assert sorted(a.member_id for a in alerts) == sorted([world.coordinator, second_coordinator])
    assert world.ely_coordinator not in {a.member_id for a in alerts}
    payload = alerts[0].payload
    assert (payload["shift_id"], payload["member_id"], payload["reason"], payload["booked_count"],
            payload["minimum"], payload["promoted_member_ids"]) == (shift_id, member, "cancelled", 0, 2, [])


async def test_just_outside_the_late_window_is_not_late(world: World) -> None:
    shift_id = await world.shift(starts_at=world.clock.now() + timedelta(hours=24, minutes=1))
    member = await world.member()
    await world.shifts.sign_up(member, shift_id)
    assert await world.shifts.leave(member, shift_id) is LeaveOutcome.CANCELLED
    assert await world.outbox("late_cancellation") == []


async def test_cannot_leave_a_started_or_cancelled_shift(world: World) -> None:
    shift_id = await world.shift(starts_at=world.clock.now() + timedelta(hours=1))
    member = await world.member()
    await world.shifts.sign_up(member, shift_id)
    world.clock.advance(hours=1)
    assert await world.shifts.leave(member, shift_id) is LeaveOutcome.SIGNUP_CLOSED
    assert await world.shifts.decline_promotion(member, shift_id) is DeclineOutcome.SIGNUP_CLOSED
    assert (await world.get_shift(shift_id)).booked_count == 1
    later = await world.shift()
    await world.shifts.sign_up(member, later)
    await world.shifts.cancel_shift(world.coordinator, later)
    assert await world.shifts.leave(member, later) is LeaveOutcome.SHIFT_CANCELLED


async def test_withdrawing_a_member_frees_their_places_for_the_waitlist(world: World) -> None:
    leaving, waiting, other = await world.member("Leaving"), await world.member("Waiting"), await world.member()
    booked_shift = await world.shift(capacity=1)
    full_shift = await world.shift(capacity=1, starts_at=world.clock.now() + timedelta(days=5))
    past_shift = await world.shift(starts_at=world.clock.now() + timedelta(hours=1))
    await world.shifts.sign_up(leaving, booked_shift)
    await world.shifts.join_waitlist(waiting, booked_shift)
    await world.shifts.sign_up(other, full_shift)
    await world.shifts.join_waitlist(leaving, full_shift)
    await world.shifts.sign_up(leaving, past_shift)
    world.clock.advance(hours=2)  # past_shift has started: its booking is history and stays
    async with world.db.transaction() as session:
        assert await world.shifts.withdraw_member(session, leaving) == 2
    assert [(m.shift_id, m.status) for m in await world.shifts.my_shifts(waiting)] == [
        (booked_shift, SignupStatus.BOOKED)]
    assert {s.member_id: s.status for s in await world.signups(full_shift)} == {
        other: SignupStatus.BOOKED, leaving: SignupStatus.CANCELLED}
    assert [s.status for s in await world.signups(past_shift)] == [SignupStatus.BOOKED]


async def test_an_erased_member_is_never_promoted(world: World) -> None:
    shift_id = await world.shift(capacity=1)
    booked, erased, next_in_line = await world.member(), await world.member(), await world.member()
    await world.shifts.sign_up(booked, shift_id)
    await world.shifts.join_waitlist(erased, shift_id)
    await world.shifts.join_waitlist(next_in_line, shift_id)
    async with world.db.transaction() as session:
        member = await session.get(Member, erased)
        assert member is not None
        member.erased_at = world.clock.now()
    await world.shifts.leave(booked, shift_id)
    assert {s.member_id: s.status for s in await world.signups(shift_id)} == {
        booked: SignupStatus.CANCELLED, erased: SignupStatus.WAITLISTED, next_in_line: SignupStatus.BOOKED}


# ----------------------------------------------------------------------------- editing and cancelling


async def test_editing_time_or_venue_tells_the_booked_members(world: World) -> None:
    shift_id = await world.shift(capacity=1)
    booked, waiting = await world.member(), await world.member()
    await world.shifts.sign_up(booked, shift_id)
    await world.shifts.join_waitlist(waiting, shift_id)
    shift = await world.get_shift(shift_id)
    edited = await world.shifts.edit_shift(world.coordinator, shift_id, ShiftChanges(
        starts_at=shift.starts_at + timedelta(hours=1), ends_at=shift.ends_at + timedelta(hours=1),
        venue="Star Hub"))
    assert isinstance(edited, ShiftEdited)
    assert edited.changed == {"starts_at", "ends_at", "venue"} and edited.notified_member_ids == (booked,)
    [message] = await world.outbox("shift_changed")
    assert message.member_id == booked
    assert message.payload["changed"] == ["time", "venue"]
    assert (message.payload["old_venue"], message.payload["venue"]) == ("Splott Community Centre", "Star Hub")
    assert ShiftChanged.model_validate(message.payload).starts_at == shift.starts_at + timedelta(hours=1)
    # A second edit in the same instant is a second message; a description edit tells nobody.
    await world.shifts.edit_shift(world.coordinator, shift_id, ShiftChanges(venue="Splott Library"))
    await world.shifts.edit_shift(world.coordinator, shift_id, ShiftChanges(description_en="Bring gloves"))
    assert len(await world.outbox("shift_changed")) == 2
    nothing = await world.shifts.edit_shift(world.coordinator, shift_id, ShiftChanges(venue="Splott Library"))
    assert isinstance(nothing, ShiftEdited) and nothing.changed == frozenset()


async def test_capacity_cannot_drop_below_bookings_and_raising_it_promotes(world: World) -> None:
    shift_id = await world.shift(capacity=2)
    members = [await world.member(f"M{i}") for i in range(4)]
    for member in members[:2]:
        await world.shifts.sign_up(member, shift_id)
    for member in members[2:]:
        await world.shifts.join_waitlist(member, shift_id)
    assert await world.shifts.edit_shift(world.coordinator, shift_id,
                                         ShiftChanges(capacity=1)) is EditRefusal.CAPACITY_BELOW_BOOKED
    edited = await world.shifts.edit_shift(world.coordinator, shift_id, ShiftChanges(capacity=3))
    assert isinstance(edited, ShiftEdited) and edited.promoted_member_ids == (members[2],)
    shift = await world.get_shift(shift_id)
    assert (shift.capacity, shift.booked_count) == (3, 3)
    assert [m.member_id for m in await world.outbox("waitlist_promoted")] == [members[2]]


@pytest.mark.parametrize(("changes", "refusal"), [
    (ShiftChanges(capacity=0), EditRefusal.CAPACITY_OUT_OF_RANGE),
    (ShiftChanges(minimum=9), EditRefusal.MINIMUM_ABOVE_CAPACITY),
    (ShiftChanges(starts_at=datetime(2026, 12, 1, tzinfo=timezone.utc)), EditRefusal.IN_PAST),
    (ShiftChanges(ends_at=datetime(2026, 12, 8, tzinfo=timezone.utc)), EditRefusal.ENDS_BEFORE_START),
    (ShiftChanges(description_cy="a" * 3001), EditRefusal.DESCRIPTION_TOO_LONG),
    (ShiftChanges(venue=" "), EditRefusal.VENUE_MISSING),
])
async def test_edit_refusals_change_nothing(world: World, changes: ShiftChanges, refusal: EditRefusal) -> None:
    shift_id = await world.shift()
    before = await world.get_shift(shift_id)
    assert await world.shifts.edit_shift(world.coordinator, shift_id, changes) is refusal
    after = await world.get_shift(shift_id)
    assert (after.capacity, after.minimum, after.starts_at, after.ends_at, after.venue, after.description_cy) == (
        before.capacity, before.minimum, before.starts_at, before.ends_at, before.venue, before.description_cy)


async def test_edit_and_cancel_are_for_that_organisations_coordinators_only(world: World) -> None:
    shift_id = await world.shift()
    volunteer = await world.member()
    for actor in (volunteer, world.ely_coordinator, 99_999):
        assert await world.shifts.edit_shift(actor, shift_id, ShiftChanges(capacity=9)) is EditRefusal.NOT_COORDINATOR
        assert await world.shifts.cancel_shift(actor, shift_id) is CancelRefusal.NOT_COORDINATOR
    assert await world.shifts.edit_shift(world.coordinator, 99_999, ShiftChanges(capacity=9)) is EditRefusal.NOT_FOUND
    assert await world.shifts.cancel_shift(world.coordinator, 99_999) is CancelRefusal.NOT_FOUND
    assert (await world.get_shift(shift_id)).status is ShiftStatus.OPEN


async def test_cancelling_a_shift_tells_booked_and_waitlisted(world: World) -> None:
    shift_id = await world.shift(capacity=1)
    booked = await world.member("Cymraes", language="cy")
    waiting = await world.member("English", language="en")
    bystander = await world.member()
    await world.shifts.sign_up(booked, shift_id)
    await world.shifts.join_waitlist(waiting, shift_id)
    cancelled = await world.shifts.cancel_shift(world.coordinator, shift_id)
    assert isinstance(cancelled, ShiftCancelled) and set(cancelled.notified_member_ids) == {booked, waiting}
    messages = await world.outbox("shift_cancelled")
    assert {(m.member_id, m.payload["was"]) for m in messages} == {(booked, "booked"), (waiting, "waitlisted")}
    assert bystander not in {m.member_id for m in messages}
    shift = await world.get_shift(shift_id)
    assert shift.status is ShiftStatus.CANCELLED and shift.cancelled_at == world.clock.now()
    assert await world.shifts.cancel_shift(world.coordinator, shift_id) is CancelRefusal.ALREADY_CANCELLED
    assert await world.shifts.edit_shift(world.coordinator, shift_id,
                                         ShiftChanges(capacity=5)) is EditRefusal.SHIFT_CANCELLED
    assert await world.shifts.my_shifts(booked) == ()


async def test_a_started_shift_cannot_be_edited_or_cancelled(world: World) -> None:
    shift_id = await world.shift(starts_at=world.clock.now() + timedelta(hours=1))
    world.clock.advance(hours=1)
    assert await world.shifts.edit_shift(world.coordinator, shift_id,
                                         ShiftChanges(venue="X")) is EditRefusal.SHIFT_STARTED
    assert await world.shifts.cancel_shift(world.coordinator, shift_id) is CancelRefusal.SHIFT_STARTED


# ----------------------------------------------------------------------------- finding


async def test_listing_filters_and_pages(world: World) -> None:
    # Page size is 5. Twelve Splott hub shifts a day apart from Tue 8 Dec, three Ely day-centre
    # ones, one cancelled and one already started.
    now = world.clock.now()
    splott = [await world.shift(starts_at=london(2026, 12, 8 + i, 10)) for i in range(12)]
    ely = [await world.shift(starts_at=london(2026, 12, 8 + i, 14), activity="day-centre", organisation="ely-hub",
                             neighbourhood="ely", coordinator=world.ely_coordinator) for i in range(3)]
    cancelled = await world.shift(starts_at=london(2026, 12, 9, 9))
    await world.shifts.cancel_shift(world.coordinator, cancelled)
    started = await world.shift(starts_at=now + timedelta(minutes=30))
    world.clock.advance(hours=1)
    member = await world.member()

    page0 = await world.shifts.list_upcoming(member_id=member)
    assert (page0.total, page0.has_next, page0.page) == (15, True, 0)
    assert [i.shift_id for i in page0.items] == [splott[0], ely[0], splott[1], ely[1], splott[2]]
    assert started not in [i.shift_id for i in page0.items] and cancelled not in [i.shift_id for i in page0.items]
    page2 = await world.shifts.list_upcoming(member_id=member, page=2)
    assert [i.shift_id for i in page2.items] == splott[7:12] and not page2.has_next
    beyond = await world.shifts.list_upcoming(member_id=member, page=9)
    assert beyond.items == () and not beyond.has_next and beyond.total == 15

    by_activity = await world.shifts.list_upcoming(member_id=member, activity_type_id=world.ref["day-centre"])
    assert [i.shift_id for i in by_activity.items] == ely and by_activity.total == 3
    by_place = await world.shifts.list_upcoming(member_id=member, neighbourhood_id=world.ref["splott"], page=1)
    assert [i.shift_id for i in by_place.items] == splott[5:10] and by_place.total == 12
    # Local dates, both inclusive: 10 to 11 December.
    by_date = await world.shifts.list_upcoming(member_id=member, date_from=date(2026, 12, 10),
                                               date_to=date(2026, 12, 11))
    assert [i.shift_id for i in by_date.items] == [splott[2], ely[2], splott[3]]
    combined = await world.shifts.list_upcoming(member_id=member, activity_type_id=world.ref["community-hub"],
                                                neighbourhood_id=world.ref["ely"])
    assert combined.items == () and combined.total == 0


async def test_listing_shows_places_waitlist_and_my_status(world: World) -> None:
    shift_id = await world.shift(capacity=2, activity="holiday-activities", requires_dbs=False)
    me, other, third = await world.member("Me"), await world.member("Other"), await world.member("Third")
    await world.shifts.sign_up(other, shift_id)
    await world.shifts.sign_up(third, shift_id)
    await world.shifts.join_waitlist(me, shift_id)
    [item] = (await world.shifts.list_upcoming(member_id=me)).items
    assert (item.capacity, item.booked_count, item.free_places, item.waitlist_length, item.my_status) == (
        2, 2, 0, 1, SignupStatus.WAITLISTED)
    assert item.activity.name("cy") == "Gweithgareddau gwyliau i blant"
    assert item.neighbourhood.name("cy") == "Sblot" and item.organisation.slug == "splott-community"
    [theirs] = (await world.shifts.list_upcoming(member_id=other)).items
    assert theirs.my_status is SignupStatus.BOOKED


async def test_a_list_of_dates_in_the_week_the_clocks_go_back(world: World) -> None:
    world.clock.set(datetime(2026, 10, 1, 9, tzinfo=timezone.utc))
    saturday = await world.shift(starts_at=london(2026, 10, 24, 23, 30))  # 22:30Z on the 24th
    sunday = await world.shift(starts_at=london(2026, 10, 25, 0, 30))  # 23:30Z on the 24th, local 25th
    member = await world.member()
    page = await world.shifts.list_upcoming(member_id=member, date_from=date(2026, 10, 25),
                                            date_to=date(2026, 10, 25))
    assert [i.shift_id for i in page.items] == [sunday]
    page = await world.shifts.list_upcoming(member_id=member, date_to=date(2026, 10, 24))
    assert [i.shift_id for i in page.items] == [saturday]


async def test_the_shift_card(world: World) -> None:
    shift_id = await world.shift(latitude=51.4816, longitude=-3.1528, description_cy="Helpwch ni")
    member = await world.member()
    card = await world.shifts.shift_card(shift_id, member_id=member)
    assert card is not None
    assert (card.venue, card.address, card.latitude, card.longitude) == (
        "Splott Community Centre", "Muirton Road, Cardiff", 51.4816, -3.1528)
    assert card.description("cy") == "Helpwch ni" and card.description("en") == "Help at the hub"
    assert card.organisation.name("cy") == "Ymddiriedolaeth Gymunedol Sblot"
    assert (card.status, card.free_places, card.my_status, card.my_dbs_valid) == (ShiftStatus.OPEN, 3, None, None)
    assert not card.viewer_is_coordinator and not card.has_started
    assert (await world.shifts.shift_card(shift_id, member_id=world.coordinator)).viewer_is_coordinator
    assert await world.shifts.shift_card(99_999, member_id=member) is None


async def test_my_shifts(world: World) -> None:
    me = await world.member()
    later = await world.shift(starts_at=world.clock.now() + timedelta(days=4), capacity=1)
    sooner = await world.shift(starts_at=world.clock.now() + timedelta(days=2))
    ended = await world.shift(starts_at=world.clock.now() + timedelta(hours=1), hours=1)
    await world.shifts.sign_up(await world.member("Other"), later)
    await world.shifts.join_waitlist(me, later)
    await world.shifts.sign_up(me, sooner)
    await world.shifts.sign_up(me, ended)
    world.clock.advance(hours=2, minutes=1)
    mine = await world.shifts.my_shifts(me)
    assert [(m.shift_id, m.status, m.waitlist_position) for m in mine] == [
        (sooner, SignupStatus.BOOKED, None), (later, SignupStatus.WAITLISTED, 1)]


# ----------------------------------------------------------------------------- reminders


async def test_reminders_are_queued_once_at_each_members_times(world: World) -> None:
    now = world.clock.now()  # Monday 10:00 GMT, outside quiet hours
    soon = await world.shift(starts_at=now + timedelta(hours=30), capacity=1)
    cancelled = await world.shift(starts_at=now + timedelta(hours=30, minutes=30))
    booked, waiting, left = await world.member("B"), await world.member("W"), await world.member("L")
    await world.shifts.sign_up(booked, soon)
    await world.shifts.join_waitlist(waiting, soon)
    await world.shifts.sign_up(left, cancelled)
    await world.shifts.cancel_shift(world.coordinator, cancelled)
    [booked_signup] = [s for s in await world.signups(soon) if s.member_id == booked]

    assert await world.shifts.queue_due_reminders() == 0  # 30 hours ahead: the 24 h reminder is not due
    world.clock.advance(hours=6)  # Monday 16:00: 24 hours before
    assert await world.shifts.queue_due_reminders() == 1
    assert await world.shifts.queue_due_reminders() == 0  # idempotent
    [reminder] = await world.outbox("shift_reminder")
    starts = int((now + timedelta(hours=30)).timestamp())
    assert (reminder.member_id, reminder.dedupe_key, reminder.payload["offset"]) == (
        booked, f"reminder:{booked_signup.id}:24h:{starts}", "24h")

    world.clock.advance(hours=22)  # two hours before
    assert await world.shifts.queue_due_reminders() == 1
    assert len(await world.outbox("shift_reminder")) == 2

    # Moved an hour later after its reminders went out: reminded of the new time at once (its
    # 24 h time has passed), then two hours before it, each once.
    moved = await world.shifts.edit_shift(world.coordinator, soon, ShiftChanges(
        starts_at=now + timedelta(hours=31), ends_at=now + timedelta(hours=33)))
    assert not isinstance(moved, EditRefusal)
    assert await world.shifts.queue_due_reminders() == 1
    assert await world.shifts.queue_due_reminders() == 0
    world.clock.advance(minutes=59)
    assert await world.shifts.queue_due_reminders() == 0
    world.clock.advance(minutes=1)
    assert await world.shifts.queue_due_reminders() == 1
    assert await world.shifts.queue_due_reminders() == 0


async def test_a_member_with_reminders_off_is_not_reminded(world: World) -> None:
    now = world.clock.now()
    shift = await world.shift(starts_at=now + timedelta(hours=30))
    member = await world.member("Off")
    await world.shifts.sign_up(member, shift)
    assert not isinstance(await MemberSettingsService(world.db, world.clock).reminders_off(member), SettingsRefusal)
    world.clock.advance(hours=29)
    assert await world.shifts.queue_due_reminders() == 0


# ----------------------------------------------------------------------------- helpers


async def _count(world: World, model: type) -> int:
    async with world.db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0
