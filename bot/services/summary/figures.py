"""Working out one week's figures from the domain's own records, for one scope.

Where each figure comes from (approved hours only: pending ones may still be rejected):

* hours: approved time entries worked on that week (local days, Monday to Sunday);
  "by neighbourhood" and the neighbourhood scope mean where the volunteer lives, which
  is what the equity view compares with how many residents are registered;
* volunteers: the members with such entries; first-time when they have no approved
  entry before that week anywhere in the scheme; lapsed when they had one in the four
  weeks before (in the scope) and none this week;
* shifts: those starting that week, of the organisation or in the neighbourhood;
* credits: earned from the time entries whose earn was posted that week, spent from the
  vouchers issued that week, expired from those that expired unused that week,
  transferred from members' gifts (no organisation's: they do not give credits).

Every query is bounded by the week (or the twelve weeks of the trends) through an index,
so the build time grows with the week's rows, not with the years of history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    AccountKind,
    ActivityType,
    Attendance,
    LedgerEntry,
    LedgerTransaction,
    Member,
    Neighbourhood,
    Organisation,
    OrganisationKind,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SpendKind,
    SpendOpportunity,
    TimeEntry,
    TimeEntryStatus,
    TransactionKind,
    Voucher,
    VoucherStatus,
)
from bot.services.summary.model import (
    Credits,
    Hours,
    Label,
    Minutes,
    NeighbourhoodEquity,
    PartnerVouchers,
    Scope,
    ScopeKind,
    Shifts,
    TrendWeek,
    Volunteers,
    WeekFigures,
)
from bot.services.summary.weeks import IsoWeek, weeks_before

HISTORY_WEEKS = 4  # the average each figure is shown beside
TREND_WEEKS = 12
IN_CHUNK = 500


@dataclass(frozen=True)
class Names:
    """The reference tables' labels, read once per build."""

    activities: dict[int, tuple[str, Label, bool]]  # id -> slug, label, replaces_reduced_service
    neighbourhoods: dict[int, tuple[str, Label]]
    organisations: dict[int, tuple[str, Label, OrganisationKind]]

    @classmethod
    async def read(cls, session: AsyncSession) -> Names:
        activities = {row.id: (row.slug, Label(en=row.name_en, cy=row.name_cy), bool(row.replaces_reduced_service))
                      for row in (await session.execute(select(ActivityType))).scalars()}
        neighbourhoods = {row.id: (row.slug, Label(en=row.name_en, cy=row.name_cy))
                          for row in (await session.execute(select(Neighbourhood))).scalars()}
        organisations = {row.id: (row.slug, Label(en=row.name_en, cy=row.name_cy), OrganisationKind(row.kind))
                         for row in (await session.execute(select(Organisation))).scalars()}
        return cls(activities, neighbourhoods, organisations)

    def labels(self) -> dict[str, dict[str, Label]]:
        """By heading kind, each slug's label (stored weeks are named again with these)."""
        return {"activity": {slug: label for slug, label, _ in self.activities.values()},
                "organisation": {slug: label for slug, label, _ in self.organisations.values()},
                "neighbourhood": {slug: label for slug, label in self.neighbourhoods.values()}}


UNKNOWN = Label(en="Not given", cy="Heb ei nodi")


class WeekReader:
    """The queries behind one scope's figures, in the caller's (read) transaction."""

    def __init__(self, session: AsyncSession, scope: Scope, tz: ZoneInfo, names: Names,
                 window: tuple[IsoWeek, ...] = ()) -> None:
        self.session = session
        self.window = window  # the weeks one summary shows (this one and those it is compared with)
        self._first: dict[int, IsoWeek] | None = None
        self.scope = scope
        self.tz = tz
        self.names = names
        self._active: dict[IsoWeek, set[int]] = {}

    # ------------------------------------------------------------------ scope filters

    def _entries(self, *columns: Any, since: date, until: date) -> Select[Any]:
        """Approved entries worked on in [since, until), in the scope."""
        query = select(*columns).select_from(TimeEntry).where(
            TimeEntry.status == TimeEntryStatus.APPROVED, TimeEntry.worked_on >= since, TimeEntry.worked_on < until)
        if self.scope.kind is ScopeKind.ORGANISATION:
            query = query.where(TimeEntry.organisation_id == self.scope.id)
        elif self.scope.kind is ScopeKind.NEIGHBOURHOOD:
            query = query.join(Member, Member.id == TimeEntry.member_id).where(
                Member.neighbourhood_id == self.scope.id)
        return query

    def _shifts_where(self) -> list[ColumnElement[bool]]:
        if self.scope.kind is ScopeKind.ORGANISATION:
            return [Shift.organisation_id == self.scope.id]
        if self.scope.kind is ScopeKind.NEIGHBOURHOOD:
            return [Shift.neighbourhood_id == self.scope.id]
        return []

    def _vouchers_where(self) -> list[ColumnElement[bool]]:
        """Vouchers at the organisation's offers, or taken by the neighbourhood's residents."""
        if self.scope.kind is ScopeKind.ORGANISATION:
            return [SpendOpportunity.organisation_id == self.scope.id]
        return self._member_vouchers_where()

    def _member_vouchers_where(self) -> list[ColumnElement[bool]]:
        if self.scope.kind is ScopeKind.NEIGHBOURHOOD:
            return [Voucher.member_id.in_(select(Member.id).where(Member.neighbourhood_id == self.scope.id))]
        return []

    def _member_accounts_where(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Account.kind == AccountKind.MEMBER]
        if self.scope.kind is ScopeKind.NEIGHBOURHOOD:
            where.append(Account.member_id.in_(select(Member.id).where(Member.neighbourhood_id == self.scope.id)))
        return where

    # ------------------------------------------------------------------ one week

    async def week(self, week: IsoWeek, *, detailed: bool = True) -> WeekFigures:
        """`detailed`: with hours by activity, neighbourhood and organisation; the weeks
        further back need only their totals (for the average beside each figure)."""
        hours = await self.hours(week) if detailed else await self.hours_total(week)
        return WeekFigures(week=week, hours=hours, volunteers=await self.volunteers(week),
                           shifts=await self.shifts(week), credits=await self.credits(week))

    async def hours_total(self, week: IsoWeek) -> Hours:
        """The week's hours and those replacing a reduced service, from the covering index alone."""
        rows = (await self.session.execute(self._entries(
            TimeEntry.activity_type_id, func.sum(TimeEntry.minutes), since=week.monday,
            until=week.shifted(1).monday).group_by(TimeEntry.activity_type_id))).all()
        return Hours(total=sum(int(minutes) for _, minutes in rows), replacing_reduced_service=sum(
            int(minutes) for activity_id, minutes in rows if self.names.activities[int(activity_id)][2]))

    async def hours(self, week: IsoWeek) -> Hours:
        neighbourhood = Member.neighbourhood_id
        query = self._entries(TimeEntry.activity_type_id, TimeEntry.organisation_id, neighbourhood,
                              func.sum(TimeEntry.minutes), since=week.monday, until=week.shifted(1).monday)
        if self.scope.kind is not ScopeKind.NEIGHBOURHOOD:  # the neighbourhood scope joined it already
            query = query.join(Member, Member.id == TimeEntry.member_id)
        rows = (await self.session.execute(
            query.group_by(TimeEntry.activity_type_id, TimeEntry.organisation_id, neighbourhood))).all()
        by_activity: dict[int, int] = defaultdict(int)
        by_organisation: dict[int, int] = defaultdict(int)
        by_neighbourhood: dict[int | None, int] = defaultdict(int)
        for activity_id, organisation_id, neighbourhood_id, minutes in rows:
            by_activity[int(activity_id)] += int(minutes)
            by_organisation[int(organisation_id)] += int(minutes)
            by_neighbourhood[neighbourhood_id] += int(minutes)
        replacing = sum(minutes for activity_id, minutes in by_activity.items()
                        if self.names.activities[activity_id][2])
        return Hours(total=sum(by_activity.values()), replacing_reduced_service=replacing,
                     by_activity=self._headed(by_activity, {k: v[:2] for k, v in self.names.activities.items()}),
                     by_organisation=self._headed(by_organisation,
                                                  {k: v[:2] for k, v in self.names.organisations.items()}),
                     by_neighbourhood=self._headed(by_neighbourhood, dict(self.names.neighbourhoods)))

    @staticmethod
    def _headed(minutes: dict[int, int] | dict[int | None, int],
                names: dict[int, tuple[str, Label]]) -> tuple[Minutes, ...]:
        """Largest first, then by slug, so two builds of the same week read alike."""
        headed = [Minutes(key=names[key][0] if key is not None else "", label=names[key][1] if key is not None
                          else UNKNOWN, minutes=value) for key, value in minutes.items()]
        return tuple(sorted(headed, key=lambda item: (-item.minutes, item.key)))

    async def _volunteer_ids(self, week: IsoWeek) -> set[int]:
        """Who gave approved hours in the week (in the scope); each week read once per
        build, as the lapsed count of five weeks asks for eight of them."""
        if week not in self._active:
            # Not DISTINCT: SQLite would skip-scan the (member, day) index over every member;
            # the week's rows from the covering (status, day, ...) index, made a set here, are cheaper.
            query = self._entries(TimeEntry.member_id, since=week.monday, until=week.shifted(1).monday)
            self._active[week] = {int(member_id) for member_id in (await self.session.scalars(query))}
        return self._active[week]

    async def volunteers(self, week: IsoWeek) -> Volunteers:
        active = await self._volunteer_ids(week)
        before: set[int] = set()
        for earlier in weeks_before(week, HISTORY_WEEKS):
            before |= await self._volunteer_ids(earlier)
        first_weeks = await self._first_weeks(week)
        returning = {member_id for member_id in active if first_weeks.get(member_id, week) < week}
        return Volunteers(active=len(active), first_time=len(active - returning), returning=len(returning),
                          lapsed=len(before - active))

    async def _first_weeks(self, week: IsoWeek) -> dict[int, IsoWeek]:
        """When each member active in the summary's weeks first gave approved hours,
        anywhere in the scheme; worked out once for all of them (`window`).

        Members with hours before the window's first week are probed once each through
        the (member, day) index (EXISTS stops at the first), whatever their history; only
        those with none before it (newcomers, few) have their first day looked up."""
        window = self.window if week in self.window else (week,)
        if self._first is not None and week in self.window:
            return self._first
        active: set[int] = set()
        for each in window:
            active |= await self._volunteer_ids(each)
        start = min(window).monday
        earlier = (select(TimeEntry.id).where(TimeEntry.member_id == Member.id, TimeEntry.worked_on < start,
                                              TimeEntry.status == TimeEntryStatus.APPROVED).exists())
        ids = sorted(active)
        first: dict[int, IsoWeek] = {}
        long_before = IsoWeek.of(date.min + timedelta(days=7))
        for offset in range(0, len(ids), IN_CHUNK):
            chunk = ids[offset:offset + IN_CHUNK]
            first.update((int(member_id), long_before) for member_id in await self.session.scalars(
                select(Member.id).where(Member.id.in_(chunk), earlier)))
        newcomers = [member_id for member_id in ids if member_id not in first]
        for offset in range(0, len(newcomers), IN_CHUNK):
            rows = await self.session.execute(
                select(TimeEntry.member_id, func.min(TimeEntry.worked_on))
                .where(TimeEntry.member_id.in_(newcomers[offset:offset + IN_CHUNK]),
                       TimeEntry.status == TimeEntryStatus.APPROVED, TimeEntry.worked_on >= start)
                .group_by(TimeEntry.member_id))
            first.update((int(member_id), IsoWeek.of(day)) for member_id, day in rows.all())
        if week in self.window:
            self._first = first
        return first

    async def shifts(self, week: IsoWeek) -> Shifts:
        starts, ends = week.starts_at(self.tz), week.ends_at(self.tz)
        in_week = [Shift.starts_at >= starts, Shift.starts_at < ends, *self._shifts_where()]
        rows = (await self.session.execute(
            select(Shift.status, Shift.capacity, Shift.booked_count).where(
                Shift.status.in_([ShiftStatus.OPEN, ShiftStatus.CANCELLED]), *in_week))).all()
        run = [(capacity, booked) for status, capacity, booked in rows if ShiftStatus(status) is ShiftStatus.OPEN]
        attendance = dict((await self.session.execute(
            select(ShiftSignup.attendance, func.count()).join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(Shift.status.in_([ShiftStatus.OPEN]), *in_week, ShiftSignup.attendance.is_not(None))
            .group_by(ShiftSignup.attendance))).all())
        return Shifts(
            run=len(run), cancelled=len(rows) - len(run),
            filled=sum(1 for capacity, booked in run if booked >= capacity),
            part_filled=sum(1 for capacity, booked in run if 0 < booked < capacity),
            unfilled=sum(1 for _, booked in run if booked == 0),
            places=sum(capacity for capacity, _ in run), booked=sum(booked for _, booked in run),
            attended=int(attendance.get(Attendance.ATTENDED, 0)), no_shows=int(attendance.get(Attendance.NO_SHOW, 0)))

    async def next_week_short(self, week: IsoWeek) -> int:
        """Shifts of the week after `week` still below their minimum of volunteers."""
        following = week.shifted(1)
        return int(await self.session.scalar(select(func.count()).select_from(Shift).where(
            Shift.status == ShiftStatus.OPEN, Shift.starts_at >= following.starts_at(self.tz),
            Shift.starts_at < following.ends_at(self.tz), Shift.booked_count < Shift.minimum,
            *self._shifts_where())) or 0)

    # ------------------------------------------------------------------ credits

    async def earned(self, week: IsoWeek) -> int:
        """Minutes of the time entries whose earn the ledger posted this week."""
        query = (select(func.coalesce(func.sum(TimeEntry.minutes), 0)).select_from(LedgerTransaction)
                 .join(TimeEntry, TimeEntry.ledger_transaction_id == LedgerTransaction.id)
                 .where(LedgerTransaction.kind == TransactionKind.EARN, *self._posted_in(week)))
        if self.scope.kind is ScopeKind.ORGANISATION:
            query = query.where(TimeEntry.organisation_id == self.scope.id)
        elif self.scope.kind is ScopeKind.NEIGHBOURHOOD:
            query = query.join(Member, Member.id == TimeEntry.member_id).where(
                Member.neighbourhood_id == self.scope.id)
        return int(await self.session.scalar(query) or 0)

    def _posted_in(self, week: IsoWeek) -> list[ColumnElement[bool]]:
        return [LedgerTransaction.created_at >= week.starts_at(self.tz),
                LedgerTransaction.created_at < week.ends_at(self.tz)]

    async def _vouchers(self, at: Any, since: datetime, until: datetime,
                        *where: ColumnElement[bool]) -> list[tuple[datetime, SpendKind, int]]:
        rows = (await self.session.execute(
            select(at, SpendOpportunity.kind, Voucher.cost_minutes)
            .join(SpendOpportunity, SpendOpportunity.id == Voucher.spend_opportunity_id)
            .where(at >= since, at < until, *where, *self._vouchers_where()))).all()
        return [(moment, SpendKind(kind), int(cost)) for moment, kind, cost in rows]

    async def transferred(self, week: IsoWeek) -> int | None:
        """Minutes members in the scope gave other members this week (their debit legs)."""
        if self.scope.kind is ScopeKind.ORGANISATION:
            return None
        total = await self.session.scalar(
            select(func.coalesce(-func.sum(LedgerEntry.amount_minutes), 0)).select_from(LedgerTransaction)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(LedgerTransaction.kind == TransactionKind.TRANSFER, *self._posted_in(week),
                   LedgerEntry.amount_minutes < 0, *self._member_accounts_where()))
        return int(total or 0)

    async def credits(self, week: IsoWeek) -> Credits:
        starts, ends = week.starts_at(self.tz), week.ends_at(self.tz)
        spent = await self._vouchers(Voucher.issued_at, starts, ends)
        expired = await self._vouchers(Voucher.expires_at, starts, ends, Voucher.status == VoucherStatus.EXPIRED)
        corporate = [cost for _, kind, cost in spent if kind is SpendKind.CORPORATE]
        community = [cost for _, kind, cost in spent if kind is SpendKind.COMMUNITY]
        return Credits(earned=await self.earned(week), spent=sum(corporate) + sum(community),
                       transferred=await self.transferred(week), expired=sum(cost for _, _, cost in expired),
                       expired_vouchers=len(expired), corporate_vouchers=len(corporate),
                       corporate_spent=sum(corporate), community_vouchers=len(community),
                       community_spent=sum(community))

    # ------------------------------------------------------------------ trends, partners, equity

    async def trend(self, week: IsoWeek, only: Iterable[IsoWeek] | None = None) -> tuple[TrendWeek, ...]:
        """The twelve weeks ending with `week` (or those of them in `only`, read over their
        span): hours by activity type, the substitution share's minutes, and spending
        corporate vs community."""
        weeks = tuple(week.shifted(-offset) for offset in range(TREND_WEEKS - 1, -1, -1))
        if only is not None:
            wanted = set(only)
            weeks = tuple(each for each in weeks if each in wanted)
        first, week = weeks[0], weeks[-1]
        rows = (await self.session.execute(
            self._entries(TimeEntry.worked_on, TimeEntry.activity_type_id, func.sum(TimeEntry.minutes),
                          since=first.monday, until=week.shifted(1).monday)
            .group_by(TimeEntry.worked_on, TimeEntry.activity_type_id))).all()
        hours: dict[IsoWeek, dict[int, int]] = {each: defaultdict(int) for each in weeks}
        for worked_on, activity_id, minutes in rows:
            if (day_week := IsoWeek.of(worked_on)) in hours:
                hours[day_week][int(activity_id)] += int(minutes)
        spending: dict[IsoWeek, dict[SpendKind, list[int]]] = {each: defaultdict(list) for each in weeks}
        for issued_at, kind, cost in await self._vouchers(Voucher.issued_at, first.starts_at(self.tz),
                                                          week.ends_at(self.tz)):
            if (issued_week := IsoWeek.containing(issued_at, self.tz)) in spending:
                spending[issued_week][kind].append(cost)
        activities = {k: v[:2] for k, v in self.names.activities.items()}
        return tuple(TrendWeek(
            week=each, by_activity=self._headed(hours[each], activities), total=sum(hours[each].values()),
            replacing_reduced_service=sum(m for a, m in hours[each].items() if self.names.activities[a][2]),
            corporate_spent=sum(spending[each][SpendKind.CORPORATE]),
            community_spent=sum(spending[each][SpendKind.COMMUNITY]),
            corporate_vouchers=len(spending[each][SpendKind.CORPORATE]),
            community_vouchers=len(spending[each][SpendKind.COMMUNITY])) for each in weeks)

    async def partners(self, week: IsoWeek) -> tuple[PartnerVouchers, ...]:
        """Per corporate partner: vouchers redeemed this week, and those still to be used."""
        partners = {id_: (slug, label) for id_, (slug, label, kind) in self.names.organisations.items()
                    if kind is OrganisationKind.CORPORATE_PARTNER
                    and (self.scope.kind is not ScopeKind.ORGANISATION or id_ == self.scope.id)}
        if not partners:
            return ()
        starts, ends = week.starts_at(self.tz), week.ends_at(self.tz)
        # By the partners' offers' ids, so the vouchers are found through their status index
        # rather than by scanning every voucher of every offer.
        offers = dict((await self.session.execute(select(SpendOpportunity.id, SpendOpportunity.organisation_id)
                                                  .where(SpendOpportunity.organisation_id.in_(list(partners))))).all())
        counted = (Voucher.spend_opportunity_id, func.count(), func.coalesce(func.sum(Voucher.cost_minutes), 0))
        of_partner = [Voucher.spend_opportunity_id.in_(list(offers)), *self._member_vouchers_where()]

        async def per_partner(*where: ColumnElement[bool]) -> dict[int, tuple[int, int]]:
            totals: dict[int, tuple[int, int]] = {}
            for offer_id, count, minutes in (await self.session.execute(
                    select(*counted).where(*where, *of_partner).group_by(Voucher.spend_opportunity_id))).all():
                before = totals.get(offers[offer_id], (0, 0))
                totals[offers[offer_id]] = (before[0] + int(count), before[1] + int(minutes))
            return totals

        redeemed = await per_partner(Voucher.status == VoucherStatus.REDEEMED, Voucher.redeemed_at >= starts,
                                     Voucher.redeemed_at < ends)
        outstanding = await per_partner(Voucher.status == VoucherStatus.ISSUED, Voucher.issued_at < ends)
        return tuple(PartnerVouchers(
            key=slug, label=label, redeemed=redeemed.get(id_, (0, 0))[0],
            redeemed_minutes=redeemed.get(id_, (0, 0))[1], outstanding=outstanding.get(id_, (0, 0))[0],
            outstanding_minutes=outstanding.get(id_, (0, 0))[1]) for id_, (slug, label) in sorted(
            partners.items(), key=lambda item: item[1][0]))

    async def equity(self, week: IsoWeek, hours: Hours) -> tuple[NeighbourhoodEquity, ...]:
        """Hours given by each neighbourhood's residents beside its registered members."""
        ends = week.ends_at(self.tz)
        registered = dict((await self.session.execute(
            select(Member.neighbourhood_id, func.count()).where(
                Member.registered_at.is_not(None), Member.registered_at < ends,
                Member.erased_at.is_(None), Member.neighbourhood_id.is_not(None))
            .group_by(Member.neighbourhood_id))).all())
        given = {item.key: item.minutes for item in hours.by_neighbourhood}
        chosen = [(id_, slug, label) for id_, (slug, label) in self.names.neighbourhoods.items()
                  if self.scope.kind is not ScopeKind.NEIGHBOURHOOD or id_ == self.scope.id]
        return tuple(NeighbourhoodEquity(key=slug, label=label, minutes=given.get(slug, 0),
                                         registered_members=int(registered.get(id_, 0)))
                     for id_, slug, label in sorted(chosen, key=lambda item: item[1]))


def week_end_now(week: IsoWeek, tz: ZoneInfo, now: datetime) -> bool:
    """Whether the week is still running (a summary of it is "so far")."""
    return now < week.ends_at(tz)

