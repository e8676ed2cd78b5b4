"""A known week for the summary tests: 2026-W43, Monday 19 to Sunday 25 October 2026,
the week the clocks go back (02:00 BST becomes 01:00 GMT on the Sunday).

Hours, credits, vouchers and shifts are placed on both sides of the week's edges in
local time, where UTC would put them in the other week: an earn at 23:30 UTC on Sunday
18 October is 00:30 BST on Monday 19 (this week); one at 22:30 UTC is Sunday 23:30 BST
(the week before); an earn at 23:30 UTC on Sunday 25 is 23:30 GMT (still this week).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from bot.clock import FrozenClock
from bot.config import Config
from bot.db.models import (
    Attendance,
    Member,
    Role,
    RoleGrant,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    TimeEntry,
    TimeEntryStatus,
    Voucher,
    VoucherStatus,
)
from bot.db.session import Database
from bot.services.ledger import Ledger
from bot.services.spending import IssuedVoucher, SpendingService
from bot.services.summary.weeks import IsoWeek
from bot.services.transfers import TransferService
from tests.services.ledger_helpers import OPPORTUNITIES, grant

WEEK = IsoWeek(2026, 43)
_keys = itertools.count(1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class KnownWeek:
    db: Database
    config: Config
    clock: FrozenClock
    reference: dict[str, int]
    sian: int  # Splott, Welsh-speaking, volunteered before
    ned: int  # Splott, volunteered before
    eli: int  # Ely, first hours ever this week
    olwen: int  # Ely, lapsed (hours in W39 and W41 only)
    splott_staff: int
    ely_staff: int
    registered: dict[str, int]  # registered members by neighbourhood slug


async def log_approved(world_db: Database, ledger: Ledger, clock: FrozenClock, member_id: int, *, organisation_id: int,
                       activity_type_id: int, worked_on: date, minutes: int, approved_at: datetime) -> int:
    """An approved time entry credited at `approved_at`, as approving one does."""
    clock.set(approved_at)
    async with world_db.transaction() as session:
        entry_id = (await session.execute(insert(TimeEntry.__table__).values(
            member_id=member_id, organisation_id=organisation_id, activity_type_id=activity_type_id,
            worked_on=worked_on, minutes=minutes, status=TimeEntryStatus.APPROVED, submitted_at=approved_at,
            submitted_by_member_id=member_id, decided_at=approved_at, possible_duplicate=False,
        ).returning(TimeEntry.id))).scalar_one()
        posted = await ledger.earn(session, member_id=member_id, minutes=minutes,
                                   idempotency_key=f"time-entry:{entry_id}", now=approved_at)
        await session.execute(update(TimeEntry.__table__).where(TimeEntry.id == entry_id)
                              .values(ledger_transaction_id=posted.transaction_id))
        return int(entry_id)


async def add_shift(db: Database, reference: dict[str, int], creator: int, *, organisation: str, neighbourhood: str,
                    starts_at: datetime, capacity: int, booked: list[tuple[int, Attendance | None]],
                    minimum: int = 1, cancelled: bool = False) -> int:
    async with db.transaction() as session:
        shift_id = (await session.execute(insert(Shift.__table__).values(
            organisation_id=reference[organisation], activity_type_id=reference["community-hub"],
            neighbourhood_id=reference[neighbourhood], venue="Hall", address="", starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2), capacity=capacity, minimum=minimum, requires_dbs=False,
            description_en="", description_cy="", status=ShiftStatus.CANCELLED if cancelled else ShiftStatus.OPEN,
            booked_count=0 if cancelled else len(booked), created_by_member_id=creator, created_at=starts_at,
        ).returning(Shift.id))).scalar_one()
        for member_id, attendance in booked:
            await session.execute(insert(ShiftSignup.__table__).values(
                shift_id=shift_id, member_id=member_id, created_at=starts_at,
                status=SignupStatus.CANCELLED if cancelled else SignupStatus.BOOKED, attendance=attendance))
        return int(shift_id)


async def spend(spending: SpendingService, clock: FrozenClock, member_id: int, opportunity_id: int,
                at: datetime) -> IssuedVoucher:
    clock.set(at)
    issued = await spending.redeem(member_id, opportunity_id, idempotency_key=f"spend-{next(_keys)}")
    assert isinstance(issued, IssuedVoucher), issued
    return issued


@pytest.fixture
async def known_week(db: Database, config: Config, clock: FrozenClock, reference: dict[str, int],
                     make_member: Any) -> KnownWeek:
    ledger = Ledger(config.ledger)
    clock.set(utc(2026, 9, 1, 9))  # everyone registered before the history begins
    sian = await make_member("Siân", telegram_user_id=1001, language="cy")
    ned = await make_member("Ned", telegram_user_id=1002)
    eli = await make_member("Eli", telegram_user_id=1003, neighbourhood="ely")
    olwen = await make_member("Olwen", telegram_user_id=1004, neighbourhood="ely")
    splott_staff = await make_member("Splott Staff", telegram_user_id=2001, language="cy")
    ely_staff = await make_member("Ely Staff", telegram_user_id=2002, neighbourhood="ely")
    partner = await make_member("Pool Staff", telegram_user_id=3001, neighbourhood=None)
    await grant(db, splott_staff, Role.STAFF, reference["splott-community"])
    await grant(db, ely_staff, Role.STAFF, reference["ely-hub"])
    await grant(db, partner, Role.PARTNER, reference["cardiff-council"])
    async with db.transaction() as session:  # granted in September, before any summary was due
        await session.execute(update(RoleGrant.__table__).values(granted_at=utc(2026, 9, 1, 9)))
    spending = SpendingService(db, config, clock, ledger)
    await spending.upsert_opportunities(OPPORTUNITIES)
    offers = {item.slug: item.id for item in await spending.directory()}
    splott, ely = reference["splott-community"], reference["ely-hub"]
    day_centre, hub, holiday = reference["day-centre"], reference["community-hub"], reference["holiday-activities"]

    async def hours(member_id: int, organisation_id: int, activity_id: int, worked_on: date, minutes: int,
                    approved_at: datetime) -> int:
        return await log_approved(db, ledger, clock, member_id, organisation_id=organisation_id,
                                  activity_type_id=activity_id, worked_on=worked_on, minutes=minutes,
                                  approved_at=approved_at)

    # History: Siân and Ned gave hours in W40; Olwen in W39 and W41 (and not since).
    await hours(sian, splott, hub, date(2026, 9, 29), 60, utc(2026, 9, 30, 12))
    await hours(ned, splott, hub, date(2026, 9, 30), 120, utc(2026, 9, 30, 13))
    await hours(olwen, ely, holiday, date(2026, 9, 21), 60, utc(2026, 9, 21, 18))
    await spend(spending, clock, olwen, offers["ely-cafe"], utc(2026, 9, 22, 10))  # expires in W43, unused
    await hours(olwen, ely, holiday, date(2026, 10, 7), 45, utc(2026, 10, 18, 22, 30))  # Sun 23:30 BST: W42
    # This week.
    await hours(sian, splott, day_centre, date(2026, 10, 19), 120, utc(2026, 10, 18, 23, 30))  # Mon 00:30 BST
    await hours(eli, ely, holiday, date(2026, 10, 21), 180, utc(2026, 10, 21, 12))
    await spend(spending, clock, sian, offers["splott-pool"], utc(2026, 10, 20, 9))
    await spend(spending, clock, ned, offers["splott-pool"], utc(2026, 10, 21, 9))
    await spend(spending, clock, eli, offers["ely-cafe"], utc(2026, 10, 22, 9))
    clock.set(utc(2026, 10, 23, 9))
    assert (await spending.expire_vouchers()).expired == 1  # Olwen's, issued 22 September
    async with db.transaction() as session:  # the pool accepts Siân's voucher on Friday
        await session.execute(update(Voucher.__table__).where(Voucher.member_id == sian).values(
            status=VoucherStatus.REDEEMED, redeemed_at=utc(2026, 10, 23, 11), redeemed_by_member_id=partner))
    clock.set(utc(2026, 10, 24, 10))
    transfers = TransferService(db, config, clock, ledger)
    assert (await transfers.transfer(sian, eli, 30, idempotency_key="gift")).transaction_id is not None
    await hours(ned, splott, hub, date(2026, 10, 25), 90, utc(2026, 10, 25, 23, 30))  # Sun 23:30 GMT
    # The week after starts at 00:00 GMT on Monday 26: this earn is not this week's.
    await hours(ned, splott, hub, date(2026, 10, 26), 30, utc(2026, 10, 26, 0, 30))

    # Shifts: four in Splott (filled, part-filled, unfilled, cancelled), one in Ely (filled).
    await add_shift(db, reference, splott_staff, organisation="splott-community", neighbourhood="splott",
                    starts_at=utc(2026, 10, 19, 9), capacity=2,
                    booked=[(sian, Attendance.ATTENDED), (ned, Attendance.NO_SHOW)])
    await add_shift(db, reference, splott_staff, organisation="splott-community", neighbourhood="splott",
                    starts_at=utc(2026, 10, 24, 10), capacity=3, booked=[(ned, None)])
    await add_shift(db, reference, splott_staff, organisation="splott-community", neighbourhood="splott",
                    starts_at=utc(2026, 10, 25, 1, 30), capacity=2, booked=[])  # 01:30 GMT, after the change
    await add_shift(db, reference, splott_staff, organisation="splott-community", neighbourhood="splott",
                    starts_at=utc(2026, 10, 22, 14), capacity=4, booked=[(sian, None)], cancelled=True)
    await add_shift(db, reference, ely_staff, organisation="ely-hub", neighbourhood="ely",
                    starts_at=utc(2026, 10, 21, 9), capacity=1, booked=[(eli, Attendance.ATTENDED)])
    # Before the week (Sunday 23:30 BST) and after it (Monday 00:30 GMT): neither is this week's.
    await add_shift(db, reference, splott_staff, organisation="splott-community", neighbourhood="splott",
                    starts_at=utc(2026, 10, 18, 22, 30), capacity=1, booked=[])
    # Next week: one below its minimum in Splott, one at its minimum in Ely.
    await add_shift(db, reference, splott_staff, organisation="splott-community", neighbourhood="splott",
                    starts_at=utc(2026, 10, 26, 0, 30), capacity=3, minimum=2, booked=[(sian, None)])
    await add_shift(db, reference, ely_staff, organisation="ely-hub", neighbourhood="ely",
                    starts_at=utc(2026, 10, 28, 9), capacity=2, booked=[(eli, None)])
    clock.set(utc(2026, 10, 26, 8))  # Monday 08:00 GMT: the summary is due
    async with db.transaction() as session:
        registered = dict((await session.execute(
            select(Member.neighbourhood_id, func.count()).where(Member.neighbourhood_id.is_not(None))
            .group_by(Member.neighbourhood_id))).all())
    return KnownWeek(db=db, config=config, clock=clock, reference=reference, sian=sian, ned=ned, eli=eli,
                     olwen=olwen, splott_staff=splott_staff, ely_staff=ely_staff,
                     registered={slug: registered.get(reference[slug], 0) for slug in ("splott", "ely")})
