"""A coordinator's rota: the shifts of the organisations they coordinate, in three
sections (running now, upcoming, ended and awaiting attendance), and each shift's roster
(booked, waiting, attended, no-show).

Read models only (`Database.read`); the changes they lead to (edit, cancel, attendance)
are the shift and attendance services'. Every call checks the coordinator role against
the database: a shift of someone else's organisation is refused, whatever button asked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import (
    ActivityType,
    Attendance,
    DbsCheck,
    Member,
    Neighbourhood,
    Organisation,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
)
from bot.db.session import Database
from bot.services import roles
from bot.services.dbs import counting_organisation
from bot.services.reference import Named
from bot.services.shift_booking import local_date
from bot.services.shift_rules import dbs_check_valid_on

__all__ = [
    "Phase",
    "RosterPerson",
    "RotaItem",
    "RotaPage",
    "RotaRefusal",
    "RotaService",
    "ShiftRoster",
    "Standing",
    "phase_of",
]


class Phase(enum.StrEnum):
    """Where a shift stands for its coordinator. One function decides it: `phase_of`."""

    RUNNING = "running"
    UPCOMING = "upcoming"
    AWAITING_ATTENDANCE = "awaiting"  # ended, people were booked, attendance not confirmed yet
    ENDED = "ended"  # attendance confirmed, or nobody was booked
    CANCELLED = "cancelled"


# The rota's sections, in the order a coordinator needs them.
SECTIONS = (Phase.RUNNING, Phase.UPCOMING, Phase.AWAITING_ATTENDANCE)


def phase_of(*, status: ShiftStatus, starts_at: datetime, ends_at: datetime,
             attendance_confirmed_at: datetime | None, booked_count: int, now: datetime) -> Phase:
    if status is ShiftStatus.CANCELLED:
        return Phase.CANCELLED
    if now < starts_at:
        return Phase.UPCOMING
    if now < ends_at:
        return Phase.RUNNING
    if attendance_confirmed_at is None and booked_count > 0:
        return Phase.AWAITING_ATTENDANCE
    return Phase.ENDED


class RotaRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"  # of any organisation, or of this shift's
    NOT_FOUND = "not_found"


class Standing(enum.StrEnum):
    """A person on a shift's roster."""

    BOOKED = "booked"  # booked, attendance not marked (yet)
    WAITING = "waiting"  # on the waiting list
    ATTENDED = "attended"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class RotaItem:
    shift_id: int
    phase: Phase
    organisation: Named
    activity: Named
    neighbourhood: Named
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked_count: int
    waiting_count: int
    attended_count: int
    no_show_count: int


@dataclass(frozen=True)
class RotaPage:
    section: Phase
    items: tuple[RotaItem, ...]
    page: int
    pages: int
    counts: dict[Phase, int]  # shifts in each section, for the section buttons


@dataclass(frozen=True)
class RosterPerson:
    member_id: int
    display_name: str | None  # None once erased
    standing: Standing
    credited: bool  # attendance confirmed and hours credited
    waiting_position: int | None  # 1-based, for WAITING
    # For a shift that needs a DBS check: the organisation that recorded the check valid
    # on the shift's day (one that counts for this shift), None if there is none.
    dbs_recorded_by: Named | None = None


@dataclass(frozen=True)
class ShiftRoster:
    item: RotaItem
    people: tuple[RosterPerson, ...]  # attended, booked, no-show, then waiting (in list order)
    may_edit: bool
    may_cancel: bool
    may_take_attendance: bool
    requires_dbs: bool = False  # each person's check is shown (RosterPerson.dbs_recorded_by)

    def count(self, standing: Standing) -> int:
        return sum(1 for person in self.people if person.standing is standing)


_STANDING_ORDER = {Standing.ATTENDED: 0, Standing.BOOKED: 1, Standing.NO_SHOW: 2, Standing.WAITING: 3}


class RotaService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def is_coordinator(self, member_id: int) -> bool:
        async with self.db.read() as session:
            return bool(await roles.organisations_with_role(session, member_id, Role.COORDINATOR))

    async def rota(self, coordinator_member_id: int, section: Phase | None = None, *, page: int = 0,
                   page_size: int = 6) -> RotaPage | RotaRefusal:
        """One section of the rota, paged. No section given: the first that has shifts
        (running, then awaiting attendance, then upcoming), so what needs doing shows first."""
        now = self.clock.now()
        async with self.db.read() as session:
            mine = sorted(await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR))
            if not mine:
                return RotaRefusal.NOT_COORDINATOR
            counts = {phase: int(await session.scalar(
                _in_section(select(func.count(Shift.id)), phase, mine, now)) or 0) for phase in SECTIONS}
            if section is None or section not in SECTIONS:
                section = next((phase for phase in (Phase.RUNNING, Phase.AWAITING_ATTENDANCE, Phase.UPCOMING)
                                if counts[phase]), Phase.UPCOMING)
            pages = max((counts[section] + page_size - 1) // page_size, 1)
            page = min(max(page, 0), pages - 1)
            order = ((Shift.ends_at.desc(), Shift.id.desc()) if section is Phase.AWAITING_ATTENDANCE
                     else (Shift.starts_at, Shift.id))
            shifts = (await session.scalars(_in_section(select(Shift), section, mine, now)
                                            .order_by(*order).offset(page * page_size).limit(page_size))).all()
            items = await _items(session, list(shifts), now)
            return RotaPage(section, tuple(items), page, pages, counts)

    async def roster(self, coordinator_member_id: int, shift_id: int) -> ShiftRoster | RotaRefusal:
        now = self.clock.now()
        async with self.db.read() as session:
            shift = await session.get(Shift, shift_id)
            if shift is None:
                return RotaRefusal.NOT_FOUND
            if not await roles.has_role(session, coordinator_member_id, Role.COORDINATOR, shift.organisation_id):
                return RotaRefusal.NOT_COORDINATOR
            (item,) = await _items(session, [shift], now)
            rows = (await session.execute(
                select(ShiftSignup.member_id, ShiftSignup.status, ShiftSignup.attendance, ShiftSignup.time_entry_id,
                       Member.display_name)
                .join(Member, Member.id == ShiftSignup.member_id)
                .where(ShiftSignup.shift_id == shift_id, ShiftSignup.status != SignupStatus.CANCELLED)
                .order_by(ShiftSignup.id))).all()
            checks = (await self._dbs_recorded_by(session, shift, [row.member_id for row in rows])
                      if shift.requires_dbs else {})
            people = []
            position = 0
            for row in rows:
                if row.status is SignupStatus.WAITLISTED:
                    position += 1
                people.append(RosterPerson(
                    member_id=row.member_id, display_name=row.display_name,
                    standing=_standing(row.status, row.attendance), credited=row.time_entry_id is not None,
                    waiting_position=position if row.status is SignupStatus.WAITLISTED else None,
                    dbs_recorded_by=checks.get(row.member_id)))
            people.sort(key=lambda person: _STANDING_ORDER[person.standing])  # stable: booking order within each
            return ShiftRoster(
                item=item, people=tuple(people), may_edit=item.phase is Phase.UPCOMING,
                may_cancel=item.phase is Phase.UPCOMING,
                may_take_attendance=item.phase in (Phase.RUNNING, Phase.AWAITING_ATTENDANCE, Phase.ENDED),
                requires_dbs=shift.requires_dbs)

    async def _dbs_recorded_by(self, session: AsyncSession, shift: Shift, member_ids: list[int]) -> dict[int, Named]:
        """Who recorded each member's check valid on the shift's day, among the checks that
        count for it (anyone's, or its own organisation's: the scheme's setting)."""
        day = local_date(self.config, shift.starts_at)
        query = (select(DbsCheck.member_id, DbsCheck.checked_on, Organisation.id, Organisation.slug,
                        Organisation.name_en, Organisation.name_cy)
                 .join(Organisation, Organisation.id == DbsCheck.organisation_id)
                 .where(DbsCheck.member_id.in_(member_ids), DbsCheck.checked_on <= day)
                 .order_by(DbsCheck.checked_on.desc(), DbsCheck.id.desc()))
        counting = counting_organisation(self.config, shift.organisation_id)
        if counting is not None:
            query = query.where(DbsCheck.organisation_id == counting)
        found: dict[int, Named] = {}
        for member_id, checked_on, organisation_id, slug, name_en, name_cy in (await session.execute(query)).all():
            if member_id not in found and dbs_check_valid_on(checked_on, day, self.config.shifts.dbs_valid_years):
                found[member_id] = Named(organisation_id, slug, name_en, name_cy)
        return found


def _standing(status: SignupStatus, attendance: Attendance | None) -> Standing:
    if status is SignupStatus.WAITLISTED:
        return Standing.WAITING
    if attendance is Attendance.ATTENDED:
        return Standing.ATTENDED
    if attendance is Attendance.NO_SHOW:
        return Standing.NO_SHOW
    return Standing.BOOKED


def _in_section(query: Select[Any], phase: Phase, organisations: list[int], now: datetime) -> Select[Any]:
    """The SQL form of `phase_of` for one of the rota's sections."""
    query = query.where(Shift.organisation_id.in_(organisations), Shift.status == ShiftStatus.OPEN)
    if phase is Phase.RUNNING:
        return query.where(Shift.starts_at <= now, Shift.ends_at > now)
    if phase is Phase.UPCOMING:
        return query.where(Shift.starts_at > now)
    if phase is Phase.AWAITING_ATTENDANCE:
        return query.where(Shift.ends_at <= now, Shift.attendance_confirmed_at.is_(None), Shift.booked_count > 0)
    raise ValueError(f"{phase} is not a section of the rota")


async def _items(session: AsyncSession, shifts: list[Shift], now: datetime) -> list[RotaItem]:
    if not shifts:
        return []
    ids = [shift.id for shift in shifts]
    tallies: dict[tuple[int, str], int] = {}
    for shift_id, status, attendance, count in (await session.execute(
            select(ShiftSignup.shift_id, ShiftSignup.status, ShiftSignup.attendance, func.count(ShiftSignup.id))
            .where(ShiftSignup.shift_id.in_(ids), ShiftSignup.status != SignupStatus.CANCELLED)
            .group_by(ShiftSignup.shift_id, ShiftSignup.status, ShiftSignup.attendance))).all():
        standing = _standing(status, attendance)
        tallies[(shift_id, standing)] = tallies.get((shift_id, standing), 0) + count
    names = await _names(session, shifts)
    return [RotaItem(
        shift_id=shift.id,
        phase=phase_of(status=shift.status, starts_at=shift.starts_at, ends_at=shift.ends_at,
                       attendance_confirmed_at=shift.attendance_confirmed_at, booked_count=shift.booked_count,
                       now=now),
        organisation=names[(Organisation, shift.organisation_id)],
        activity=names[(ActivityType, shift.activity_type_id)],
        neighbourhood=names[(Neighbourhood, shift.neighbourhood_id)], venue=shift.venue, starts_at=shift.starts_at,
        ends_at=shift.ends_at, capacity=shift.capacity, booked_count=shift.booked_count,
        waiting_count=tallies.get((shift.id, Standing.WAITING), 0),
        attended_count=tallies.get((shift.id, Standing.ATTENDED), 0),
        no_show_count=tallies.get((shift.id, Standing.NO_SHOW), 0)) for shift in shifts]


async def _names(session: AsyncSession, shifts: list[Shift]) -> dict[tuple[type, int], Named]:
    wanted: dict[type[Organisation | ActivityType | Neighbourhood], set[int]] = {
        Organisation: {s.organisation_id for s in shifts}, ActivityType: {s.activity_type_id for s in shifts},
        Neighbourhood: {s.neighbourhood_id for s in shifts}}
    names: dict[tuple[type, int], Named] = {}
    for model, ids in wanted.items():
        rows = await session.execute(select(model.id, model.slug, model.name_en, model.name_cy)
                                     .where(model.id.in_(sorted(ids))))
        for row_id, slug, name_en, name_cy in rows.all():
            names[(model, row_id)] = Named(row_id, slug, name_en, name_cy)
    return names
