"""DBS checks: recorded by coordinators, judged on a given (local) date."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.db.models import AuditEvent, DbsCheck, Member, Role
from bot.services.dbs import DbsRecorded, DbsRefusal, DbsService, dbs_valid_on
from bot.services.shift_rules import SignupOutcome
from shift_helpers import World, london, world  # noqa: F401  (world is a fixture)


async def test_a_coordinator_records_a_check_that_lets_the_member_book(world: World) -> None:
    dbs = DbsService(world.db, world.config, world.clock)
    member = await world.member("Nia")
    shift_id = await world.shift(activity="holiday-activities")
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.DBS_REQUIRED

    recorded = await dbs.record_dbs_check(world.coordinator, member, date(2026, 11, 30))
    assert isinstance(recorded, DbsRecorded)
    assert (recorded.member_id, recorded.checked_on, recorded.expires_on, recorded.organisation_id) == (
        member, date(2026, 11, 30), date(2029, 11, 30), world.ref["splott-community"])
    async with world.db.transaction() as session:
        check = await session.get(DbsCheck, recorded.check_id)
        assert check is not None and check.recorded_by_member_id == world.coordinator
        audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "dbs_check_recorded"))
        assert audit is not None and audit.actor_member_id == world.coordinator
        assert audit.details["member_id"] == member
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.BOOKED


async def test_any_organisations_coordinator_or_staff_may_record_but_nobody_else(world: World) -> None:
    dbs = DbsService(world.db, world.config, world.clock)
    member, volunteer, staff = await world.member(), await world.member(), await world.member()
    await world.grant(staff, Role.STAFF, "splott-community")
    for actor in (volunteer, member, 99_999):
        assert await dbs.record_dbs_check(actor, member, date(2026, 1, 1)) is DbsRefusal.NOT_COORDINATOR
    by_staff = await dbs.record_dbs_check(staff, volunteer, date(2026, 1, 1))
    assert isinstance(by_staff, DbsRecorded) and by_staff.organisation_id == world.ref["splott-community"]
    # The Ely coordinator records it as Ely's, and cannot record it in Splott's name.
    assert await dbs.record_dbs_check(world.ely_coordinator, member, date(2026, 1, 1),
                                      organisation_id=world.ref["splott-community"]) is DbsRefusal.NOT_COORDINATOR
    recorded = await dbs.record_dbs_check(world.ely_coordinator, member, date(2026, 1, 1))
    assert isinstance(recorded, DbsRecorded) and recorded.organisation_id == world.ref["ely-hub"]
    async with world.db.transaction() as session:
        assert len((await session.scalars(select(DbsCheck))).all()) == 2  # the staff member's and Ely's


async def test_a_check_cannot_be_dated_in_the_future_or_for_nobody(world: World) -> None:
    dbs = DbsService(world.db, world.config, world.clock)
    member = await world.member()
    assert await dbs.record_dbs_check(world.coordinator, member, date(2026, 12, 8)) is DbsRefusal.IN_FUTURE
    assert isinstance(await dbs.record_dbs_check(world.coordinator, member, date(2026, 12, 7)), DbsRecorded)
    assert await dbs.record_dbs_check(world.coordinator, 99_999, date(2026, 12, 1)) is DbsRefusal.MEMBER_NOT_FOUND
    async with world.db.transaction() as session:
        erased = Member(display_name=None, registered_at=world.clock.now(), erased_at=world.clock.now())
        session.add(erased)
        await session.flush()
        erased_id = erased.id
    assert await dbs.record_dbs_check(world.coordinator, erased_id, date(2026, 12, 1)) is DbsRefusal.MEMBER_NOT_FOUND


async def test_today_is_the_london_date(world: World) -> None:
    # 23:30 UTC on 30 June is 00:30 BST on 1 July: a check dated 1 July is today's.
    world.clock.set(datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc))
    dbs = DbsService(world.db, world.config, world.clock)
    member = await world.member()
    assert isinstance(await dbs.record_dbs_check(world.coordinator, member, date(2026, 7, 1)), DbsRecorded)
    assert await dbs.record_dbs_check(world.coordinator, member, date(2026, 7, 2)) is DbsRefusal.IN_FUTURE


async def test_validity_on_a_date(world: World) -> None:
    dbs = DbsService(world.db, world.config, world.clock)
    member, never = await world.member(), await world.member()
    await world.dbs(member, date(2020, 5, 1))  # expired 1 May 2023
    await world.dbs(member, date(2024, 3, 1))  # valid until 28 Feb 2027
    async with world.db.transaction() as session:
        assert not await dbs_valid_on(session, never, date(2026, 12, 7), valid_years=3)
        assert await dbs_valid_on(session, member, date(2022, 1, 1), valid_years=3)  # the first check
        assert not await dbs_valid_on(session, member, date(2023, 6, 1), valid_years=3)  # a gap
        assert await dbs_valid_on(session, member, date(2027, 2, 28), valid_years=3)
        assert not await dbs_valid_on(session, member, date(2027, 3, 1), valid_years=3)
        assert await dbs_valid_on(session, member, date(2027, 3, 1), valid_years=5)
        assert await dbs.dbs_valid_on(session, member, date(2026, 12, 7))  # config: three years


async def test_expiry_between_today_and_the_shift(world: World) -> None:
    member = await world.member()
    await world.dbs(member, date(2023, 12, 20))  # valid today, expires 20 Dec 2026
    before = await world.shift(activity="day-centre", starts_at=london(2026, 12, 19, 10))
    after = await world.shift(activity="day-centre", starts_at=london(2026, 12, 20, 10))
    assert await world.shifts.sign_up(member, before) is SignupOutcome.BOOKED
    assert await world.shifts.sign_up(member, after) is SignupOutcome.DBS_REQUIRED


async def test_nobody_records_their_own_dbs_check(world: World) -> None:
    dbs = DbsService(world.db, world.config, world.clock)
    staff = await world.member("Staff")
    await world.grant(staff, Role.STAFF, "splott-community")
    for actor in (world.coordinator, staff):
        assert await dbs.record_dbs_check(actor, actor, date(2026, 11, 1)) is DbsRefusal.OWN_CHECK
    async with world.db.transaction() as session:
        assert (await session.scalars(select(DbsCheck))).all() == []
    # Another coordinator records it, and who did is kept.
    recorded = await dbs.record_dbs_check(world.ely_coordinator, world.coordinator, date(2026, 11, 1))
    async with world.db.transaction() as session:
        assert (await session.get(DbsCheck, recorded.check_id)).recorded_by_member_id == world.ely_coordinator


async def test_whether_another_organisations_check_counts_is_the_schemes_setting(world: World) -> None:
    from bot.services.shifts import ShiftService

    member = await world.member("Nia")
    shift_id = await world.shift(activity="holiday-activities")  # a Splott shift
    # Recorded by Ely's coordinator, as Ely's check.
    await DbsService(world.db, world.config, world.clock).record_dbs_check(
        world.ely_coordinator, member, date(2026, 11, 1))
    own_only = world.config.model_copy(update={"shifts": world.config.shifts.model_copy(
        update={"dbs_counts_across_organisations": False})})
    assert await ShiftService(world.db, own_only, world.clock).sign_up(member, shift_id) is SignupOutcome.DBS_REQUIRED
    assert world.config.shifts.dbs_counts_across_organisations  # the default: any organisation's check counts
    assert await world.shifts.sign_up(member, shift_id) is SignupOutcome.BOOKED


async def test_coordinators_see_which_organisation_recorded_a_check(world: World) -> None:
    member, volunteer = await world.member("Nia"), await world.member("Sam")
    dbs = DbsService(world.db, world.config, world.clock)
    none_yet = await dbs.dbs_status(world.coordinator, member)
    assert none_yet.checked_on is None and not none_yet.valid_today
    await dbs.record_dbs_check(world.ely_coordinator, member, date(2023, 6, 1))  # by Ely, then expired...
    await dbs.record_dbs_check(world.coordinator, member, date(2026, 11, 1))  # ...and again by Splott
    status = await dbs.dbs_status(world.ely_coordinator, member)
    assert (status.checked_on, status.organisation_id, status.expires_on, status.valid_today) == (
        date(2026, 11, 1), world.ref["splott-community"], date(2029, 11, 1), True)
    assert status.counts_across_organisations
    own_only = world.config.model_copy(update={"shifts": world.config.shifts.model_copy(
        update={"dbs_counts_across_organisations": False})})
    assert not (await DbsService(world.db, own_only, world.clock).dbs_status(
        world.coordinator, member)).counts_across_organisations
    # Only those who may record a check see one.
    assert await dbs.dbs_status(volunteer, member) is DbsRefusal.NOT_COORDINATOR
    assert await dbs.dbs_status(world.coordinator, 99_999) is DbsRefusal.MEMBER_NOT_FOUND
