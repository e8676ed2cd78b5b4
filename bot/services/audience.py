"""Who a broadcast reaches: the members a coordinator's role allows, narrowed by the
filters they chose, less those who switched broadcasts off.

Reach (decided here, against the database, never from a button): an admin reaches
every registered member; a coordinator reaches the volunteers of the organisations
they coordinate, that is members who live in one of those organisations'
neighbourhoods, have signed up for one of their shifts, or have logged hours with one
of them. Filters narrow that set and combine (all must hold): living in one of the
chosen neighbourhoods, having opted into one of the chosen activity types, holding a
DBS check valid today. Everything is one SQL statement over the member table, so
choosing among 10,000 members costs one query (bench/bench_audience.py), not a loop.

Members' preferences are /settings' (bot/services/member_settings.py): broadcasts on or
off (on without a row), and the activity types they want to hear about.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.member_settings_models import MemberInterest
from bot.db.models import DbsCheck, Member, MemberKind, Organisation, Role, Shift, ShiftSignup, TimeEntry
from bot.services import roles
from bot.services.member_settings import accepts_broadcasts
from bot.services.shift_rules import add_years


@dataclass(frozen=True)
class Reach:
    """Whom a member's role lets them broadcast to."""

    everyone: bool = False  # an admin
    organisation_ids: frozenset[int] = frozenset()  # coordinated
    neighbourhood_ids: frozenset[int] = frozenset()  # of those organisations

    @property
    def anyone(self) -> bool:
        return self.everyone or bool(self.organisation_ids)

    def covers_neighbourhood(self, neighbourhood_id: int) -> bool:
        return self.everyone or neighbourhood_id in self.neighbourhood_ids

    def covers_organisation(self, organisation_id: int) -> bool:
        return self.everyone or organisation_id in self.organisation_ids


@dataclass(frozen=True)
class Audience:
    """The filters a coordinator chose; empty sets mean no filter of that kind."""

    neighbourhood_ids: frozenset[int] = field(default_factory=frozenset)
    activity_type_ids: frozenset[int] = field(default_factory=frozenset)
    dbs_cleared: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"neighbourhoods": sorted(self.neighbourhood_ids), "activity_types": sorted(self.activity_type_ids),
                "dbs_cleared": self.dbs_cleared}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(frozenset(int(n) for n in data.get("neighbourhoods") or ()),
                   frozenset(int(a) for a in data.get("activity_types") or ()), bool(data.get("dbs_cleared")))


@dataclass(frozen=True)
class AudienceCount:
    recipients: int  # would be sent the broadcast
    opted_out: int  # match, but switched broadcasts off: never sent one


async def reach_of(session: AsyncSession, member_id: int, admin_ids: Collection[int]) -> Reach:
    if await roles.is_admin(session, member_id, admin_ids):
        return Reach(everyone=True)
    organisations = await roles.organisations_with_role(session, member_id, Role.COORDINATOR)
    if not organisations:
        return Reach()
    neighbourhoods = await session.scalars(select(Organisation.neighbourhood_id).where(
        Organisation.id.in_(organisations), Organisation.neighbourhood_id.is_not(None)))
    return Reach(organisation_ids=frozenset(organisations),
                 neighbourhood_ids=frozenset(n for n in neighbourhoods if n is not None))


@dataclass(frozen=True)
class AudienceQuery:
    """The audience of one broadcast as SQL: `matching` before opt-outs."""

    reach: Reach
    audience: Audience
    today: date  # London: a DBS check is judged valid on this day
    dbs_valid_years: int
    author_member_id: int | None = None  # never sent their own broadcast

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            Member.kind == MemberKind.INDIVIDUAL, Member.registered_at.is_not(None), Member.erased_at.is_(None),
            Member.telegram_user_id.is_not(None)]
        if self.author_member_id is not None:
            where.append(Member.id != self.author_member_id)
        where.append(self._in_reach())
        audience = self.audience
        if audience.neighbourhood_ids:
            where.append(Member.neighbourhood_id.in_(sorted(audience.neighbourhood_ids)))
        if audience.activity_type_ids:
            where.append(Member.id.in_(select(MemberInterest.member_id).where(
                MemberInterest.activity_type_id.in_(sorted(audience.activity_type_ids)))))
        if audience.dbs_cleared:
            # Valid from the day it was made until its anniversary dbs_valid_years later.
            oldest_valid = add_years(self.today, -self.dbs_valid_years)
            where.append(Member.id.in_(select(DbsCheck.member_id).where(
                DbsCheck.checked_on <= self.today, DbsCheck.checked_on > oldest_valid)))
        return where

    def _in_reach(self) -> ColumnElement[bool]:
        reach = self.reach
        if reach.everyone:
            return true()
        if not reach.organisation_ids:
            return false()
        organisations = sorted(reach.organisation_ids)
        volunteered = select(ShiftSignup.member_id).join(Shift, Shift.id == ShiftSignup.shift_id).where(
            Shift.organisation_id.in_(organisations))
        logged = select(TimeEntry.member_id).where(TimeEntry.organisation_id.in_(organisations))
        ways = [Member.id.in_(volunteered), Member.id.in_(logged)]
        if reach.neighbourhood_ids:
            ways.insert(0, Member.neighbourhood_id.in_(sorted(reach.neighbourhood_ids)))
        return or_(*ways)

    def counting(self) -> Select[Any]:
        opted_out = case((accepts_broadcasts(Member.id), 0), else_=1)
        return select(func.count(Member.id), func.coalesce(func.sum(opted_out), 0)).where(and_(*self.conditions()))

    def recipients(self, *columns: Any) -> Select[Any]:
        """Member ids (and `columns`) of those it is sent to: matching, broadcasts on."""
        return select(Member.id, *columns).where(*self.conditions(), accepts_broadcasts(Member.id)).order_by(Member.id)


async def count_audience(session: AsyncSession, query: AudienceQuery) -> AudienceCount:
    matching, opted_out = (await session.execute(query.counting())).one()
    opted_out = int(opted_out or 0)
    return AudienceCount(recipients=int(matching or 0) - opted_out, opted_out=opted_out)
