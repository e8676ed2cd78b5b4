"""Read models of shifts: the /shifts listing, a shift's card, a member's own shifts.

Reads only (`Database.read`); results are frozen dataclasses with the names of the
activity, neighbourhood and organisation in both languages. Local dates in
(`date_from`/`date_to`) are Europe/London (`config.tz`); times out are aware UTC.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import ActivityType, Neighbourhood, Organisation, Role, Shift, ShiftSignup, ShiftStatus, SignupStatus
from bot.db.session import Database
from bot.services import roles
from bot.services.dbs import counting_organisation, dbs_valid_on
from bot.services.reference import Named
from bot.services.shift_booking import dbs_valid_for, local_date
from bot.services.shift_rules import LIVE_SIGNUP

__all__ = ["MyShift", "ShiftCard", "ShiftListItem", "ShiftPage", "ShiftQueries"]


@dataclass(frozen=True)
class ShiftListItem:
    shift_id: int
    starts_at: datetime
    ends_at: datetime
    activity: Named
    neighbourhood: Named
    organisation: Named
    venue: str
    capacity: int
    booked_count: int
    free_places: int
    waitlist_length: int
    requires_dbs: bool
    my_status: SignupStatus | None  # BOOKED, WAITLISTED or None
    my_dbs_valid: bool | None = None  # None when the shift needs no DBS check

    @property
    def open_to_me(self) -> bool:
        """Whether the member could book it now: a DBS shift is not, without a valid check."""
        return self.my_dbs_valid is not False


@dataclass(frozen=True)
class ShiftPage:
    items: tuple[ShiftListItem, ...]
    page: int
    has_next: bool
    total: int  # matching shifts over all pages
    page_size: int


@dataclass(frozen=True)
class ShiftCard:
    """Everything a shift's detail card shows, for one viewing member."""

    shift_id: int
    status: ShiftStatus
    organisation: Named
    activity: Named
    neighbourhood: Named
    venue: str
    address: str
    latitude: float | None
    longitude: float | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    minimum: int
    booked_count: int
    free_places: int
    waitlist_length: int
    requires_dbs: bool
    description_en: str
    description_cy: str
    series_id: int | None
    has_started: bool
    has_ended: bool
    my_status: SignupStatus | None
    my_waitlist_position: int | None
    my_dbs_valid: bool | None  # None when the shift needs no DBS check
    viewer_is_coordinator: bool  # may edit, cancel and take attendance

    def description(self, language: str) -> str:
        return self.description_cy if language == "cy" else self.description_en


@dataclass(frozen=True)
class MyShift:
    signup_id: int
    shift_id: int
    status: SignupStatus  # BOOKED or WAITLISTED
    waitlist_position: int | None
    starts_at: datetime
    ends_at: datetime
    activity: Named
    organisation: Named
    neighbourhood: Named
    venue: str
    requires_dbs: bool


def _named(row: Any) -> Named:
    return Named(row.id, row.slug, row.name_en, row.name_cy)


def _name_columns(model: Any, prefix: str) -> list[Any]:
    return [model.id.label(f"{prefix}_id"), model.slug.label(f"{prefix}_slug"),
            model.name_en.label(f"{prefix}_name_en"), model.name_cy.label(f"{prefix}_name_cy")]


def _named_from(row: Any, prefix: str) -> Named:
    mapping = row._mapping
    return Named(mapping[f"{prefix}_id"], mapping[f"{prefix}_slug"], mapping[f"{prefix}_name_en"],
                 mapping[f"{prefix}_name_cy"])


class ShiftQueries:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def list_upcoming(self, *, member_id: int, activity_type_id: int | None = None,
                            neighbourhood_id: int | None = None, date_from: date | None = None,
                            date_to: date | None = None, page: int = 0) -> ShiftPage:
        """Open shifts not yet started, soonest first, one page (`shifts.page_size`) at a time.

        `date_from`/`date_to` are local (London) dates, both inclusive. Two queries
        whatever the page: the page is cut in SQL (index on status, starts_at;
        LIMIT/OFFSET) and only its rows are joined to their names, waitlist length and
        the member's own sign-up; then the total is counted.
        """
        page = max(page, 0)
        size = self.config.shifts.page_size
        params: dict[str, Any] = {"now": self.clock.now(), "limit": size + 1, "offset": page * size,
                                  "member_id": member_id}
        if activity_type_id is not None:
            params["activity_type_id"] = activity_type_id
        if neighbourhood_id is not None:
            params["neighbourhood_id"] = neighbourhood_id
        if date_from is not None:
            params["from"] = self._local_midnight(date_from)
        if date_to is not None:
            params["to"] = self._local_midnight(date_to + timedelta(days=1))
        page_query, count_query = _listing_statements(
            activity_type_id is not None, neighbourhood_id is not None, date_from is not None, date_to is not None)
        async with self.db.read() as session:
            rows = (await session.execute(page_query, params)).all()
            total = await session.scalar(count_query, params) or 0
            # Only the page's DBS shifts, one look-up each (a page is at most 10 shifts).
            dbs_valid = {row.id: await dbs_valid_on(
                session, member_id, local_date(self.config, row.starts_at),
                valid_years=self.config.shifts.dbs_valid_years,
                organisation_id=counting_organisation(self.config, row.organisation_id))
                         for row in rows[:size] if row.requires_dbs}
        has_next = len(rows) > size
        items = tuple(
            ShiftListItem(
                shift_id=row.id, starts_at=row.starts_at, ends_at=row.ends_at, activity=_named_from(row, "activity"),
                neighbourhood=_named_from(row, "neighbourhood"), organisation=_named_from(row, "organisation"),
                venue=row.venue, capacity=row.capacity, booked_count=row.booked_count,
                free_places=max(row.capacity - row.booked_count, 0), waitlist_length=row.waitlist_length or 0,
                requires_dbs=row.requires_dbs, my_status=row.my_status, my_dbs_valid=dbs_valid.get(row.id))
            for row in rows[:size])
        return ShiftPage(items, page, has_next, total, size)

    async def shift_card(self, shift_id: int, *, member_id: int) -> ShiftCard | None:
        """The detail card of any shift (cancelled ones too; see `status`), or None."""
        now = self.clock.now()
        async with self.db.read() as session:
            row = (await session.execute(
                select(Shift, ActivityType, Neighbourhood, Organisation)
                .join(ActivityType, ActivityType.id == Shift.activity_type_id)
                .join(Neighbourhood, Neighbourhood.id == Shift.neighbourhood_id)
                .join(Organisation, Organisation.id == Shift.organisation_id)
                .where(Shift.id == shift_id))).first()
            if row is None:
                return None
            shift: Shift = row.Shift
            waitlists, mine = await self._waitlists_and_mine(session, [shift_id], member_id)
            my_status = mine.get(shift_id)
            position = None
            if my_status is SignupStatus.WAITLISTED:
                position = (await self._waitlist_positions(session, member_id, [shift_id])).get(shift_id)
            my_dbs_valid = None
            if shift.requires_dbs:
                my_dbs_valid = await dbs_valid_for(session, self.config, member_id, shift)
            is_coordinator = await roles.has_role(session, member_id, Role.COORDINATOR, shift.organisation_id)
        return ShiftCard(
            shift_id=shift.id, status=shift.status, organisation=_named(row.Organisation),
            activity=_named(row.ActivityType), neighbourhood=_named(row.Neighbourhood), venue=shift.venue,
            address=shift.address, latitude=shift.latitude, longitude=shift.longitude,
            starts_at=shift.starts_at, ends_at=shift.ends_at, capacity=shift.capacity, minimum=shift.minimum,
            booked_count=shift.booked_count, free_places=max(shift.capacity - shift.booked_count, 0),
            waitlist_length=waitlists.get(shift_id, 0), requires_dbs=shift.requires_dbs,
            description_en=shift.description_en, description_cy=shift.description_cy, series_id=shift.series_id,
            has_started=now >= shift.starts_at, has_ended=now >= shift.ends_at, my_status=my_status,
            my_waitlist_position=position, my_dbs_valid=my_dbs_valid, viewer_is_coordinator=is_coordinator)

    async def my_shifts(self, member_id: int) -> tuple[MyShift, ...]:
        """The member's booked and waitlisted shifts that have not ended, soonest first."""
        now = self.clock.now()
        async with self.db.read() as session:
            rows = (await session.execute(
                select(ShiftSignup.id.label("signup_id"), ShiftSignup.status, Shift.id, Shift.starts_at,
                       Shift.ends_at, Shift.venue, Shift.requires_dbs, ActivityType, Neighbourhood, Organisation)
                .join(Shift, Shift.id == ShiftSignup.shift_id)
                .join(ActivityType, ActivityType.id == Shift.activity_type_id)
                .join(Neighbourhood, Neighbourhood.id == Shift.neighbourhood_id)
                .join(Organisation, Organisation.id == Shift.organisation_id)
                .where(ShiftSignup.member_id == member_id, ShiftSignup.status.in_(LIVE_SIGNUP),
                       Shift.status == ShiftStatus.OPEN, Shift.ends_at > now)
                .order_by(Shift.starts_at, Shift.id))).all()
            waitlisted = [row.id for row in rows if row.status is SignupStatus.WAITLISTED]
            positions = await self._waitlist_positions(session, member_id, waitlisted) if waitlisted else {}
        return tuple(
            MyShift(signup_id=row.signup_id, shift_id=row.id, status=row.status,
                    waitlist_position=positions.get(row.id) if row.status is SignupStatus.WAITLISTED else None,
                    starts_at=row.starts_at, ends_at=row.ends_at, activity=_named(row.ActivityType),
                    organisation=_named(row.Organisation), neighbourhood=_named(row.Neighbourhood),
                    venue=row.venue, requires_dbs=row.requires_dbs)
            for row in rows)


    def _local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.config.tz).astimezone(UTC)

    async def _waitlists_and_mine(self, session: AsyncSession, shift_ids: list[int],
                                  member_id: int) -> tuple[dict[int, int], dict[int, SignupStatus]]:
        if not shift_ids:
            return {}, {}
        waitlists = dict((await session.execute(
            select(ShiftSignup.shift_id, func.count())
            .where(ShiftSignup.shift_id.in_(shift_ids), ShiftSignup.status == SignupStatus.WAITLISTED)
            .group_by(ShiftSignup.shift_id))).all())
        mine = dict((await session.execute(
            select(ShiftSignup.shift_id, ShiftSignup.status)
            .where(ShiftSignup.member_id == member_id, ShiftSignup.shift_id.in_(shift_ids),
                   ShiftSignup.status.in_(LIVE_SIGNUP)))).all())
        return waitlists, mine

    async def _waitlist_positions(self, session: AsyncSession, member_id: int,
                                  shift_ids: list[int]) -> dict[int, int]:
        """{shift_id: 1-based position} of the member's waitlisted sign-ups on these shifts."""
        mine = ShiftSignup.__table__.alias("mine")
        ahead = ShiftSignup.__table__.alias("ahead")
        rows = await session.execute(
            select(mine.c.shift_id, func.count(ahead.c.id))
            .join(ahead, and_(ahead.c.shift_id == mine.c.shift_id, ahead.c.id <= mine.c.id,
                              ahead.c.status == SignupStatus.WAITLISTED))
            .where(mine.c.member_id == member_id, mine.c.shift_id.in_(shift_ids),
                   mine.c.status == SignupStatus.WAITLISTED)
            .group_by(mine.c.shift_id))
        return dict(rows.all())


@functools.cache
def _listing_statements(by_activity: bool, by_neighbourhood: bool, date_from: bool,
                        date_to: bool) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements of `list_upcoming` for one combination of filters,
    built once with bound parameters: building and hashing a statement of this size
    costs more Python time than the database takes to run it."""
    conditions = [Shift.status == ShiftStatus.OPEN, Shift.starts_at > bindparam("now")]
    if by_activity:
        conditions.append(Shift.activity_type_id == bindparam("activity_type_id"))
    if by_neighbourhood:
        conditions.append(Shift.neighbourhood_id == bindparam("neighbourhood_id"))
    if date_from:
        conditions.append(Shift.starts_at >= bindparam("from"))
    if date_to:
        conditions.append(Shift.starts_at < bindparam("to"))
    page_rows = (select(Shift.id, Shift.starts_at, Shift.ends_at, Shift.venue, Shift.capacity, Shift.booked_count,
                        Shift.requires_dbs, Shift.activity_type_id, Shift.neighbourhood_id, Shift.organisation_id)
                 .where(*conditions).order_by(Shift.starts_at, Shift.id)
                 .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
                 .subquery("page"))
    waitlist_length = (select(func.count()).select_from(ShiftSignup)
                       .where(ShiftSignup.shift_id == page_rows.c.id, ShiftSignup.status == SignupStatus.WAITLISTED)
                       .scalar_subquery())
    my_status = (select(ShiftSignup.status)
                 .where(ShiftSignup.shift_id == page_rows.c.id, ShiftSignup.member_id == bindparam("member_id"),
                        ShiftSignup.status.in_(LIVE_SIGNUP))
                 .limit(1).scalar_subquery())
    page_query = (select(page_rows, waitlist_length.label("waitlist_length"), my_status.label("my_status"),
                         *_name_columns(ActivityType, "activity"), *_name_columns(Neighbourhood, "neighbourhood"),
                         *_name_columns(Organisation, "organisation"))
                  .join(ActivityType, ActivityType.id == page_rows.c.activity_type_id)
                  .join(Neighbourhood, Neighbourhood.id == page_rows.c.neighbourhood_id)
                  .join(Organisation, Organisation.id == page_rows.c.organisation_id)
                  .order_by(page_rows.c.starts_at, page_rows.c.id))
    count_query = select(func.count()).select_from(Shift).where(*conditions)
    return page_query, count_query

