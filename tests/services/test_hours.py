"""Logging hours and approving them into credits: the story of a volunteer and their
coordinator, every refusal case by case, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.db.models import AuditEvent, LedgerTransaction, Member, Role, TimeEntry, TimeEntryStatus, TransactionKind
from bot.services.group_credit import GroupCredited, GroupCreditRefusal, GroupCreditRefused
from bot.services.hours import ApproveAllResult, DecisionOutcome, LoggedEntry, LogRefusal
from bot.services.people import RecordRefusal
from ledger_helpers import World, count, grant, key, new_member, outbox, world  # noqa: F401

TODAY = date(2026, 12, 7)  # the conftest clock: Monday 7 December 2026, 10:00 UTC


async def log(world: World, member_id: int | None = None, *, organisation: str = "splott-community",
              activity: str = "community-hub", worked_on: date = TODAY, minutes: int = 120,
              note: str | None = "Sorted the food bank shelves", submitted_by: int | None = None,
              idempotency_key: str | None = None, **overrides):
    member_id = world.volunteer if member_id is None else member_id
    arguments = dict(organisation_id=world.reference.get(organisation, 999_999),
                     activity_type_id=world.reference.get(activity, 999_999), worked_on=worked_on,
                     minutes=minutes, note=note,
                     submitted_by_member_id=member_id if submitted_by is None else submitted_by,
                     idempotency_key=idempotency_key or key("log"))
    arguments.update(overrides)
    return await world.hours.log_hours(member_id, **arguments)


async def entry(world: World, entry_id: int) -> TimeEntry:
    async with world.db.transaction() as session:
        return (await session.execute(select(TimeEntry).where(TimeEntry.id == entry_id))).scalar_one()


# ----------------------------------------------------------------------------- logging


async def test_a_volunteer_logs_hours_which_wait_for_approval(world: World) -> None:
    logged = await log(world, minutes=150)
    assert isinstance(logged, LoggedEntry)
    assert (logged.status, logged.minutes, logged.worked_on, logged.created, logged.possible_duplicate) == (
        TimeEntryStatus.PENDING, 150, TODAY, True, False)
    row = await entry(world, logged.entry_id)
    assert (row.submitted_by_member_id, row.note, row.ledger_transaction_id) == (
        world.volunteer, "Sorted the food bank shelves", None)
    assert await world.balance(world.volunteer) == 0
    summary = await world.transfers.balance_summary(world.volunteer)
    assert (summary.balance_minutes, summary.pending_minutes) == (0, 150)


async def test_the_same_idempotency_key_logs_once(world: World) -> None:
    first = await log(world, idempotency_key="update-77")
    again = await log(world, idempotency_key="update-77")
    assert again.entry_id == first.entry_id and (first.created, again.created) == (True, False)
    assert await count(world.db, TimeEntry) == 1


async def test_concurrent_submissions_with_one_key_log_once(world: World) -> None:
    results = await asyncio.gather(*(log(world, idempotency_key="same-tap") for _ in range(6)))
    assert len({r.entry_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await count(world.db, TimeEntry) == 1


@pytest.mark.parametrize("minutes", [0, -30])
async def test_zero_minutes_are_refused(world: World, minutes: int) -> None:
    assert await log(world, minutes=minutes) is LogRefusal.ZERO


async def test_more_than_twelve_hours_in_one_day_is_refused(world: World) -> None:
    assert await log(world, minutes=721) is LogRefusal.TOO_LONG_FOR_ONE_DAY
    assert isinstance(await log(world, minutes=600), LoggedEntry)
    assert await log(world, minutes=121, activity="day-centre") is LogRefusal.TOO_LONG_FOR_ONE_DAY
    assert isinstance(await log(world, minutes=120, activity="day-centre"), LoggedEntry)  # exactly 720
    assert isinstance(await log(world, minutes=60, worked_on=TODAY - timedelta(days=1)), LoggedEntry)


async def test_the_daily_limit_holds_when_entries_arrive_at_once(world: World) -> None:
    results = await asyncio.gather(*(log(world, minutes=300) for _ in range(5)))
    assert sum(isinstance(r, LoggedEntry) for r in results) == 2
    assert [r for r in results if not isinstance(r, LoggedEntry)] == [LogRefusal.TOO_LONG_FOR_ONE_DAY] * 3


async def test_rejected_hours_do_not_count_towards_the_day(world: World) -> None:
    logged = await log(world, minutes=700)
    await world.hours.reject(logged.entry_id, coordinator_member_id=world.splott_coordinator, reason="wrong day")
    again = await log(world, minutes=700)
    assert isinstance(again, LoggedEntry) and not again.possible_duplicate


async def test_hours_in_the_future_are_refused(world: World) -> None:
    assert await log(world, worked_on=TODAY + timedelta(days=1)) is LogRefusal.IN_FUTURE


async def test_today_is_the_date_in_london_not_utc(world: World) -> None:
    """At 23:30 UTC on 30 June it is already 1 July in Cardiff (BST)."""
    world.clock.set(datetime(2027, 6, 30, 23, 30, tzinfo=timezone.utc))
    assert isinstance(await log(world, worked_on=date(2027, 7, 1)), LoggedEntry)
    assert await log(world, worked_on=date(2027, 7, 2)) is LogRefusal.IN_FUTURE


async def test_hours_older_than_the_window_are_refused(world: World) -> None:
    window = world.config.hours.log_window_days
    assert isinstance(await log(world, worked_on=TODAY - timedelta(days=window)), LoggedEntry)
    assert await log(world, worked_on=TODAY - timedelta(days=window + 1)) is LogRefusal.TOO_OLD


async def test_unknown_organisation_and_activity_are_refused(world: World) -> None:
    assert await log(world, organisation="nowhere") is LogRefusal.UNKNOWN_ORGANISATION
    assert await log(world, activity="juggling") is LogRefusal.UNKNOWN_ACTIVITY


async def test_a_note_longer_than_500_characters_is_refused(world: World) -> None:
    assert isinstance(await log(world, note="ŵ" * 500), LoggedEntry)
    assert await log(world, note="ŵ" * 501) is LogRefusal.NOTE_TOO_LONG


async def test_unregistered_and_erased_members_cannot_log(world: World) -> None:
    half_registered = await new_member(world.db, "Started, never finished", registered=False)
    assert await log(world, half_registered) is LogRefusal.NOT_REGISTERED
    async with world.db.transaction() as session:
        await session.execute(update(Member).where(Member.id == world.neighbour).values(
            erased_at=world.clock.now(), display_name=None))
    assert await log(world, world.neighbour) is LogRefusal.NOT_REGISTERED
    assert await log(world, 424_242) is LogRefusal.NOT_REGISTERED


async def test_only_a_coordinator_of_the_organisation_logs_for_someone_else(world: World) -> None:
    assert await log(world, world.offline, submitted_by=world.neighbour) is LogRefusal.NOT_ALLOWED
    assert await log(world, world.offline, submitted_by=world.ely_coordinator) is LogRefusal.NOT_ALLOWED
    recorded = await log(world, world.offline, submitted_by=world.splott_coordinator)
    assert isinstance(recorded, LoggedEntry)
    assert (await entry(world, recorded.entry_id)).submitted_by_member_id == world.splott_coordinator


async def test_a_second_entry_for_the_same_day_and_activity_is_flagged_not_refused(world: World) -> None:
    first = await log(world, minutes=60)
    second = await log(world, minutes=60)
    other_activity = await log(world, minutes=60, activity="day-centre")
    other_organisation = await log(world, minutes=60, organisation="ely-hub")
    assert (first.possible_duplicate, second.possible_duplicate) == (False, True)
    assert not other_activity.possible_duplicate and not other_organisation.possible_duplicate
    pending = await world.hours.pending_for_coordinator(world.splott_coordinator)
    assert [p.possible_duplicate for p in pending] == [False, True, False]


# ----------------------------------------------------------------------------- the coordinator's queue


async def test_the_coordinator_sees_their_organisations_pending_entries_oldest_first(world: World) -> None:
    first = await log(world, minutes=60)
    world.clock.advance(minutes=5)
    second = await log(world, world.neighbour, minutes=90, activity="day-centre", note=None)
    await log(world, organisation="ely-hub")  # another organisation's
    await log(world, world.splott_coordinator)  # their own: someone else decides it
    pending = await world.hours.pending_for_coordinator(world.splott_coordinator)
    assert [p.entry_id for p in pending] == [first.entry_id, second.entry_id]
    assert (pending[0].member_display_name, pending[0].organisation.slug, pending[0].activity.slug,
            pending[0].minutes, pending[0].worked_on, pending[0].note) == (
        "Siân Volunteer", "splott-community", "community-hub", 60, TODAY, "Sorted the food bank shelves")
    assert pending[1].activity.name("cy") == "Canolfan ddydd i bobl hŷn"
    assert await world.hours.pending_for_coordinator(world.volunteer) == []


# ----------------------------------------------------------------------------- approving


async def test_approval_credits_the_volunteer_once_and_tells_them(world: World) -> None:
    logged = await log(world, minutes=150)
    decision = await world.hours.approve(logged.entry_id, coordinator_member_id=world.splott_coordinator)
    assert decision.outcome is DecisionOutcome.APPROVED
    assert (decision.member_id, decision.minutes) == (world.volunteer, 150)
    assert await world.balance(world.volunteer) == 150
    row = await entry(world, logged.entry_id)
    assert (row.status, row.decided_by_member_id, row.ledger_transaction_id) == (
        TimeEntryStatus.APPROVED, world.splott_coordinator, decision.transaction_id)
    async with world.db.transaction() as session:
        transaction = await session.get(LedgerTransaction, decision.transaction_id)
        assert (transaction.kind, transaction.idempotency_key) == (TransactionKind.EARN, f"time-entry:{row.id}")
    [message] = await outbox(world.db, "hours_approved")
    assert message.member_id == world.volunteer
    assert message.payload == {"time_entry_id": row.id, "minutes": 150, "worked_on": "2026-12-07",
                               "organisation_id": world.reference["splott-community"],
                               "activity_type_id": world.reference["community-hub"],
                               "transaction_id": decision.transaction_id, "balance_minutes": 150}

    # Pressed again by the same coordinator: answered as the first press was, credited once.
    again = await world.hours.approve(logged.entry_id, coordinator_member_id=world.splott_coordinator)
    assert again == decision
    assert await world.balance(world.volunteer) == 150
    assert len(await outbox(world.db, "hours_approved")) == 1
    await world.sound()


async def test_a_double_tap_approves_and_credits_exactly_once(world: World) -> None:
    logged = await log(world, minutes=90)
    decisions = await asyncio.gather(*(
        world.hours.approve(logged.entry_id, coordinator_member_id=world.splott_coordinator) for _ in range(5)))
    # Each tap is answered as the first was (the same coordinator approved it), credited once.
    assert {d.outcome for d in decisions} == {DecisionOutcome.APPROVED}
    assert len({d.transaction_id for d in decisions}) == 1
    assert await world.balance(world.volunteer) == 90
    assert await count(world.db, LedgerTransaction) == 1
    await world.sound()


async def test_a_decision_pressed_again_is_answered_as_it_was_and_anyone_elses_is_told_it_is_decided(
        world: World) -> None:
    colleague = await new_member(world.db, "Rhiannon")
    await grant(world.db, colleague, Role.COORDINATOR, world.reference["splott-community"])
    approved = await log(world, minutes=60)
    rejected = await log(world, minutes=30, worked_on=TODAY - timedelta(days=1))
    first = await world.hours.approve(approved.entry_id, coordinator_member_id=world.splott_coordinator)
    refused = await world.hours.reject(rejected.entry_id, coordinator_member_id=world.splott_coordinator,
                                       reason="closed")
    assert await world.hours.approve(approved.entry_id, coordinator_member_id=world.splott_coordinator) == first
    assert await world.hours.reject(rejected.entry_id, coordinator_member_id=world.splott_coordinator,
                                    reason="closed") == refused
    for other in (
            world.hours.approve(approved.entry_id, coordinator_member_id=colleague),
            world.hours.reject(approved.entry_id, coordinator_member_id=world.splott_coordinator, reason="no"),
            world.hours.approve(rejected.entry_id, coordinator_member_id=world.splott_coordinator)):
        assert (await other).outcome is DecisionOutcome.ALREADY_DECIDED
    assert await world.balance(world.volunteer) == 60
    assert len(await outbox(world.db, "hours_rejected")) == 1


async def test_nobody_approves_their_own_hours(world: World) -> None:
    own = await log(world, world.splott_coordinator)
    decision = await world.hours.approve(own.entry_id, coordinator_member_id=world.splott_coordinator)
    assert decision.outcome is DecisionOutcome.OWN_ENTRY
    assert (await world.hours.reject(own.entry_id, coordinator_member_id=world.splott_coordinator,
                                     reason="x")).outcome is DecisionOutcome.OWN_ENTRY
    assert (await entry(world, own.entry_id)).status is TimeEntryStatus.PENDING
    assert await world.balance(world.splott_coordinator) == 0


async def test_a_coordinator_of_another_organisation_cannot_decide(world: World) -> None:
    """A forged callback with another organisation's entry id is refused."""
    splott_entry = await log(world)
    decision = await world.hours.approve(splott_entry.entry_id, coordinator_member_id=world.ely_coordinator)
    assert decision == type(decision)(DecisionOutcome.NOT_COORDINATOR, splott_entry.entry_id)
    rejected = await world.hours.reject(splott_entry.entry_id, coordinator_member_id=world.ely_coordinator,
                                        reason="not ours")
    assert rejected.outcome is DecisionOutcome.NOT_COORDINATOR
    volunteer_tries = await world.hours.approve(splott_entry.entry_id, coordinator_member_id=world.neighbour)
    assert volunteer_tries.outcome is DecisionOutcome.NOT_COORDINATOR
    assert (await entry(world, splott_entry.entry_id)).status is TimeEntryStatus.PENDING
    assert await world.balance(world.volunteer) == 0


async def test_an_unknown_entry_is_not_found(world: World) -> None:
    decision = await world.hours.approve(999_999, coordinator_member_id=world.splott_coordinator)
    assert decision.outcome is DecisionOutcome.NOT_FOUND


async def test_approving_for_a_member_without_telegram_sends_nothing(world: World) -> None:
    logged = await log(world, world.offline, submitted_by=world.splott_coordinator)
    # The coordinator who recorded the hours may not approve them too: a second person must.
    recorder = await world.hours.approve(logged.entry_id, coordinator_member_id=world.splott_coordinator)
    assert recorder.outcome is DecisionOutcome.OWN_ENTRY
    second = await new_member(world.db, "Second Coordinator", telegram_user_id=2003)
    await grant(world.db, second, Role.COORDINATOR, world.reference["splott-community"])
    decision = await world.hours.approve(logged.entry_id, coordinator_member_id=second)
    assert decision.outcome is DecisionOutcome.APPROVED
    assert await world.balance(world.offline) == 120
    assert await outbox(world.db) == []


# ----------------------------------------------------------------------------- rejecting


async def test_rejection_keeps_the_reason_and_tells_the_volunteer(world: World) -> None:
    logged = await log(world)
    decision = await world.hours.reject(logged.entry_id, coordinator_member_id=world.splott_coordinator,
                                        reason="  We were closed   that day ")
    assert decision.outcome is DecisionOutcome.REJECTED
    row = await entry(world, logged.entry_id)
    assert (row.status, row.rejection_reason, row.ledger_transaction_id) == (
        TimeEntryStatus.REJECTED, "We were closed that day", None)
    [message] = await outbox(world.db, "hours_rejected")
    assert message.payload["reason"] == "We were closed that day"
    assert message.payload["time_entry_id"] == row.id
    assert await world.balance(world.volunteer) == 0
    approve_after = await world.hours.approve(logged.entry_id, coordinator_member_id=world.splott_coordinator)
    assert approve_after.outcome is DecisionOutcome.ALREADY_DECIDED
    assert await world.balance(world.volunteer) == 0


async def test_a_rejection_needs_a_reason_of_reasonable_length(world: World) -> None:
    logged = await log(world)
    for reason, outcome in (("   ", DecisionOutcome.REASON_MISSING), ("x" * 501, DecisionOutcome.REASON_TOO_LONG)):
        decision = await world.hours.reject(logged.entry_id, coordinator_member_id=world.splott_coordinator,
                                            reason=reason)
        assert decision.outcome is outcome
    assert (await entry(world, logged.entry_id)).status is TimeEntryStatus.PENDING


# ----------------------------------------------------------------------------- approving everything


async def test_approve_all_credits_every_entry_the_coordinator_may_approve(world: World) -> None:
    await log(world, minutes=60)
    await log(world, minutes=30, activity="day-centre")
    await log(world, world.neighbour, minutes=45)
    await log(world, world.offline, minutes=120, submitted_by=world.splott_coordinator)
    own = await log(world, world.splott_coordinator, minutes=90)
    ely = await log(world, organisation="ely-hub", minutes=15)
    result = await world.hours.approve_all(world.splott_coordinator)
    # Their own hours, and those they recorded for Olwen, wait for another coordinator.
    assert result == ApproveAllResult(approved=3, minutes=135, skipped_own=2, members=2)
    assert (await world.balance(world.volunteer), await world.balance(world.neighbour),
            await world.balance(world.offline), await world.balance(world.splott_coordinator)) == (90, 45, 0, 0)
    assert (await entry(world, own.entry_id)).status is TimeEntryStatus.PENDING
    assert (await entry(world, ely.entry_id)).status is TimeEntryStatus.PENDING
    assert len(await outbox(world.db, "hours_approved")) == 3
    assert await world.hours.approve_all(world.splott_coordinator) == ApproveAllResult(0, 0, 2, 0)
    assert await world.hours.approve_all(world.volunteer) is DecisionOutcome.NOT_COORDINATOR
    await world.sound()


async def test_approve_all_racing_single_approvals_credits_each_entry_once(world: World) -> None:
    entries = [await log(world, member, minutes=30, activity=activity)
               for member in (world.volunteer, world.neighbour) for activity in ("community-hub", "day-centre")]
    singles = [world.hours.approve(e.entry_id, coordinator_member_id=world.splott_coordinator)
               for e in reversed(entries)]
    results = await asyncio.gather(world.hours.approve_all(world.splott_coordinator), *singles)
    # Whichever got there first, each press is answered "approved" (the same coordinator
    # approved it), and each entry has one earn.
    assert all(r.outcome is DecisionOutcome.APPROVED for r in results[1:])
    assert len({r.transaction_id for r in results[1:]}) == len(entries)
    assert await world.balance(world.volunteer) == 60 and await world.balance(world.neighbour) == 60
    assert await count(world.db, LedgerTransaction) == len(entries)
    await world.sound()


# ----------------------------------------------------------------------------- group activities


async def credit(world: World, **overrides):
    arguments = dict(organisation_id=world.reference["splott-community"],
                     activity_type_id=world.reference["holiday-activities"], worked_on=TODAY, minutes=180,
                     attendee_member_ids=[world.volunteer, world.neighbour, world.offline],
                     group_member_id=world.group, idempotency_key=key("group"))
    arguments.update(overrides)
    coordinator = arguments.pop("coordinator", world.splott_coordinator)
    return await world.group_credit.credit_group_activity(coordinator, **arguments)


async def test_a_coordinator_credits_a_whole_group_activity_at_once(world: World) -> None:
    credited = await credit(world, idempotency_key="summer-scheme-day-1", note="Summer scheme")
    assert isinstance(credited, GroupCredited) and credited.created
    assert [e.member_id for e in credited.entries] == [world.volunteer, world.neighbour, world.offline, world.group]
    assert credited.total_minutes == 720
    for member_id in (world.volunteer, world.neighbour, world.offline, world.group):
        assert await world.balance(member_id) == 180
    async with world.db.transaction() as session:
        rows = (await session.scalars(select(TimeEntry).order_by(TimeEntry.member_id))).all()
    assert {(r.status, r.decided_by_member_id, r.submitted_by_member_id, r.note) for r in rows} == {
        (TimeEntryStatus.APPROVED, world.splott_coordinator, world.splott_coordinator, "Summer scheme")}
    assert all(r.ledger_transaction_id for r in rows)
    assert sorted(m.member_id for m in await outbox(world.db, "hours_approved")) == [world.volunteer, world.neighbour]

    again = await credit(world, idempotency_key="summer-scheme-day-1", note="Summer scheme")
    assert isinstance(again, GroupCredited) and not again.created
    assert [e.entry_id for e in again.entries] == [e.entry_id for e in credited.entries]
    assert await world.balance(world.volunteer) == 180
    await world.sound()


async def test_group_activity_without_a_group_account(world: World) -> None:
    credited = await credit(world, group_member_id=None, attendee_member_ids=[world.volunteer, world.volunteer])
    assert [e.member_id for e in credited.entries] == [world.volunteer]
    assert await world.balance(world.group) == 0


async def test_group_activity_refusals(world: World) -> None:
    ghost = 888_888
    cases = [
        (dict(coordinator=world.ely_coordinator), GroupCreditRefusal.NOT_COORDINATOR, ()),
        (dict(coordinator=world.volunteer), GroupCreditRefusal.NOT_COORDINATOR, ()),
        (dict(organisation_id=999_999), GroupCreditRefusal.UNKNOWN_ORGANISATION, ()),
        (dict(activity_type_id=999_999), GroupCreditRefusal.UNKNOWN_ACTIVITY, ()),
        (dict(minutes=0), GroupCreditRefusal.ZERO, ()),
        (dict(note="n" * 501), GroupCreditRefusal.NOTE_TOO_LONG, ()),
        (dict(worked_on=TODAY + timedelta(days=1)), GroupCreditRefusal.IN_FUTURE, ()),
        (dict(worked_on=TODAY - timedelta(days=61)), GroupCreditRefusal.TOO_OLD, ()),
        (dict(attendee_member_ids=[]), GroupCreditRefusal.NO_ATTENDEES, ()),
        (dict(attendee_member_ids=[world.volunteer, ghost]), GroupCreditRefusal.UNKNOWN_ATTENDEE, (ghost,)),
        (dict(attendee_member_ids=[world.volunteer, world.splott_coordinator]),
         GroupCreditRefusal.INCLUDES_COORDINATOR, (world.splott_coordinator,)),
        (dict(group_member_id=world.neighbour), GroupCreditRefusal.NOT_A_GROUP, (world.neighbour,)),
        (dict(minutes=721), GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY,
         tuple(sorted((world.volunteer, world.neighbour, world.offline, world.group)))),
    ]
    for overrides, reason, member_ids in cases:
        refused = await credit(world, **overrides)
        assert refused == GroupCreditRefused(reason, member_ids), overrides
    assert await count(world.db, TimeEntry) == 0
    assert await count(world.db, LedgerTransaction) == 0


async def test_group_activity_respects_the_hours_already_logged_that_day(world: World) -> None:
    await log(world, world.neighbour, minutes=600)
    refused = await credit(world, minutes=180)
    assert refused == GroupCreditRefused(GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY, (world.neighbour,))


# ----------------------------------------------------------------------------- members without Telegram


async def test_a_coordinator_records_a_member_without_telegram(world: World) -> None:
    member_id = await world.people.record_member_without_telegram(
        world.splott_coordinator, display_name="  Dilys   Price ", neighbourhood_id=world.reference["splott"])
    assert isinstance(member_id, int)
    async with world.db.transaction() as session:
        member = await session.get(Member, member_id)
        assert (member.display_name, member.telegram_user_id, member.recorded_by_member_id,
                member.neighbourhood_id) == ("Dilys Price", None, world.splott_coordinator, world.reference["splott"])
        assert member.registered_at == world.clock.now()
        audit = (await session.scalars(select(AuditEvent).where(
            AuditEvent.action == "member.recorded_without_telegram"))).one()
        assert audit.details == {"member_id": member_id}
    logged = await log(world, member_id, submitted_by=world.splott_coordinator)
    assert isinstance(logged, LoggedEntry)
    assert (await world.hours.approve(logged.entry_id, coordinator_member_id=world.splott_coordinator)
            ).outcome is DecisionOutcome.OWN_ENTRY  # recorded by them: a second coordinator approves
    second = await new_member(world.db, "Second Coordinator", telegram_user_id=2003)
    await grant(world.db, second, Role.COORDINATOR, world.reference["splott-community"])
    assert (await world.hours.approve(logged.entry_id, coordinator_member_id=second)
            ).outcome is DecisionOutcome.APPROVED
    assert await world.balance(member_id) == 120


async def test_recording_a_member_refusals(world: World) -> None:
    record = world.people.record_member_without_telegram
    assert await record(world.volunteer, display_name="Someone", neighbourhood_id=None) is \
        RecordRefusal.NOT_COORDINATOR
    assert await record(world.splott_coordinator, display_name="   ", neighbourhood_id=None) is \
        RecordRefusal.NAME_EMPTY
    assert await record(world.splott_coordinator, display_name="x" * 65, neighbourhood_id=None) is \
        RecordRefusal.NAME_TOO_LONG
    assert await record(world.splott_coordinator, display_name="/start", neighbourhood_id=None) is \
        RecordRefusal.NAME_NOT_TEXT
    assert await record(world.splott_coordinator, display_name="Dilys", neighbourhood_id=999) is \
        RecordRefusal.UNKNOWN_NEIGHBOURHOOD
    assert await count(world.db, Member, Member.recorded_by_member_id.is_not(None)) == 0


async def test_approve_all_leaves_possible_duplicates_and_later_entries(world: World) -> None:
    first = await log(world, minutes=60)
    duplicate = await log(world, minutes=30)  # same member, day and activity: flagged
    assert duplicate.possible_duplicate
    later = await log(world, world.neighbour, minutes=45)
    result = await world.hours.approve_all(world.splott_coordinator, up_to_entry_id=duplicate.entry_id)
    assert (result.approved, result.minutes) == (1, 60)
    assert (await entry(world, first.entry_id)).status is TimeEntryStatus.APPROVED
    assert (await entry(world, duplicate.entry_id)).status is TimeEntryStatus.PENDING
    assert (await entry(world, later.entry_id)).status is TimeEntryStatus.PENDING
