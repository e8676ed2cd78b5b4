"""Weekly summaries: built for a scope and week, kept as snapshots when sent, and
offered on demand to staff (their organisations; admins: anything).

Each public call is one database transaction; building reads in one read-only
transaction, so every figure of a summary sees the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import Neighbourhood, Organisation, OrganisationKind, Role, RoleGrant
from bot.db.session import Database
from bot.services import roles
from bot.services.summary import snapshots, stored
from bot.services.summary.figures import HISTORY_WEEKS, TREND_WEEKS, Names, WeekReader
from bot.services.summary.model import Hours, Label, Scope, ScopeKind, Summary, WeekFigures
from bot.services.summary.reconciliation import LedgerMovements, reconcile
from bot.services.summary.snapshots import Snapshot
from bot.services.summary.weeks import IsoWeek, weeks_before

SCHEME = Scope(kind=ScopeKind.SCHEME)


@dataclass(frozen=True)
class OnDemand:
    """What /summary shows: the summary, and for a week already sent, how it compares."""

    summary: Summary  # what was sent, for a week that was; else built now
    sent: Snapshot | None = None
    # Built again now, the figures differ from what was sent (a late approval, a reversal).
    recomputed_differs: bool = False


async def build_summary(session: AsyncSession, scope: Scope, week: IsoWeek, config: Config,
                        now: datetime, fresh: list[stored.Fresh] | None = None) -> Summary:
    """The whole summary of one week and scope, in the caller's (read) transaction.

    Closed weeks stored with a stamp that still holds are read back; the others are
    worked out, and the closed ones among them added to `fresh` for the caller to keep
    (`summarise` does)."""
    tz = config.tz
    stamps = await stored.Stamps.read(session)  # before any figure: see stored.py
    names = await Names.read(session)
    earlier = weeks_before(week, HISTORY_WEEKS)
    shown = (week, *earlier)  # with their figures; the trend's other weeks need only their trend
    trend_weeks = tuple(week.shifted(-offset) for offset in range(TREND_WEEKS - 1, -1, -1))
    closed = [each for each in trend_weeks if each.ends_at(tz) <= now]
    kept = await stored.load(session, scope, closed, stamps)
    reader = WeekReader(session, scope, tz, names, window=shown)
    wanted = [each for each in trend_weeks if each not in kept or (
        each in shown and (kept[each].figures is None or kept[each].ledger is None))]
    if wanted:
        trends = {item.week: item for item in await reader.trend(week, only=wanted)}
        ledger = LedgerMovements(session, scope, tz)
        for each in sorted(wanted, reverse=True):  # this week first: the volunteers' window
            before = kept.get(each)
            item = stored.StoredWeek(
                trend=trends[each],
                figures=await reader.week(each) if each in shown else before.figures if before else None,
                ledger=await ledger.week(each) if each in shown else before.ledger if before else None)
            kept[each] = item
            if fresh is not None and each in closed:
                fresh.append(stored.Fresh(each, each.ends_at(tz), stamps.of(each), item))
    labels = names.labels()
    kept = {each: stored.relabelled(item, labels) for each, item in kept.items()}
    this = _figures(kept[week])
    history = tuple(_figures(kept[before]) if index == 0 else _totals_only(_figures(kept[before]))
                    for index, before in enumerate(earlier))
    ledger_week = kept[week].ledger
    assert ledger_week is not None  # worked out above for every shown week
    return Summary(
        scope=scope, week=week, this=this, history=history, trend=tuple(kept[each].trend for each in trend_weeks),
        partners=await reader.partners(week), equity=await reader.equity(week, this.hours),
        next_week_short=await reader.next_week_short(week), reconciliation=reconcile(this.credits, ledger_week),
        so_far=now < week.ends_at(tz))


def _figures(item: stored.StoredWeek) -> WeekFigures:
    assert item.figures is not None  # worked out by build_summary for every shown week
    return item.figures


def _totals_only(figures: WeekFigures) -> WeekFigures:
    """The weeks further back are shown by their totals (the average beside each figure)."""
    return figures.model_copy(update={"hours": Hours(
        total=figures.hours.total, replacing_reduced_service=figures.hours.replacing_reduced_service)})


async def summarise(db: Database, scope: Scope, week: IsoWeek, config: Config, now: datetime) -> Summary:
    """`build_summary` in a read transaction, then the closed weeks it worked out kept."""
    fresh: list[stored.Fresh] = []
    async with db.read() as session:
        summary = await build_summary(session, scope, week, config, now, fresh)
    if fresh:
        async with db.transaction() as session:
            await stored.keep(session, scope, fresh, now)
    return summary


def _scope_of(kind: ScopeKind, row: Organisation | Neighbourhood) -> Scope:
    return Scope(kind=kind, id=row.id, slug=row.slug, label=Label(en=row.name_en, cy=row.name_cy))


async def scope_named(session: AsyncSession, kind: ScopeKind, slug: str | None) -> Scope | None:
    """The scope an operator or a button names by slug; None when there is no such one."""
    if kind is ScopeKind.SCHEME:
        return SCHEME
    row: Organisation | Neighbourhood | None
    if kind is ScopeKind.ORGANISATION:
        row = (await session.scalars(select(Organisation).where(Organisation.slug == slug))).first()
    else:
        row = (await session.scalars(select(Neighbourhood).where(Neighbourhood.slug == slug))).first()
    return _scope_of(kind, row) if row is not None else None


async def scope_by_id(session: AsyncSession, kind: ScopeKind, scope_id: int | None) -> Scope | None:
    if kind is ScopeKind.SCHEME:
        return SCHEME
    if scope_id is None:
        return None
    row: Organisation | Neighbourhood | None = await session.get(
        Organisation if kind is ScopeKind.ORGANISATION else Neighbourhood, scope_id)
    return _scope_of(kind, row) if row is not None else None


async def staff_scopes(session: AsyncSession, member_id: int) -> list[Scope]:
    """What a staff member's role covers: each organisation they are staff of, and for a
    neighbourhood TSO its neighbourhood too; the whole scheme for a specialist (city-wide)
    TSO's staff."""
    organisations = (await session.scalars(
        select(Organisation).join(RoleGrant, RoleGrant.organisation_id == Organisation.id)
        .where(RoleGrant.member_id == member_id, RoleGrant.role == Role.STAFF)
        .order_by(Organisation.slug))).all()
    scopes: list[Scope] = []
    if any(OrganisationKind(row.kind) is OrganisationKind.SPECIALIST_TSO for row in organisations):
        scopes.append(SCHEME)
    for row in organisations:
        scopes.append(_scope_of(ScopeKind.ORGANISATION, row))
        if OrganisationKind(row.kind) is OrganisationKind.NEIGHBOURHOOD_TSO and row.neighbourhood_id is not None:
            scope = await scope_by_id(session, ScopeKind.NEIGHBOURHOOD, row.neighbourhood_id)
            if scope is not None and scope not in scopes:
                scopes.append(scope)
    return scopes


async def all_scopes(session: AsyncSession) -> list[Scope]:
    organisations = (await session.scalars(select(Organisation).order_by(Organisation.slug))).all()
    neighbourhoods = (await session.scalars(select(Neighbourhood).order_by(Neighbourhood.slug))).all()
    return [SCHEME, *(_scope_of(ScopeKind.ORGANISATION, row) for row in organisations),
            *(_scope_of(ScopeKind.NEIGHBOURHOOD, row) for row in neighbourhoods)]


class SummaryService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    def current_week(self) -> IsoWeek:
        return IsoWeek.containing(self.clock.now(), self.config.tz)

    async def build(self, scope: Scope, week: IsoWeek) -> Summary:
        return await summarise(self.db, scope, week, self.config, self.clock.now())

    async def scope(self, kind: ScopeKind, slug: str | None = None) -> Scope | None:
        async with self.db.read() as session:
            return await scope_named(session, kind, slug)

    async def scopes_for(self, member_id: int) -> list[Scope]:
        """The scopes this member may see: admins every one, staff their role's, others none."""
        async with self.db.read() as session:
            if await roles.is_admin(session, member_id, self.config.admins.telegram_user_ids):
                return await all_scopes(session)
            return await staff_scopes(session, member_id)

    async def may_see(self, member_id: int, scope: Scope) -> bool:
        return scope in await self.scopes_for(member_id)

    async def on_demand(self, scope: Scope, week: IsoWeek) -> OnDemand:
        """A past week that was sent reads as it was sent, with a note when the figures
        built now differ; any other week is built now."""
        built = await summarise(self.db, scope, week, self.config, self.clock.now())
        async with self.db.read() as session:
            sent = await snapshots.latest(session, week, scope)
        if sent is None:
            return OnDemand(built)
        return OnDemand(sent.summary, sent, recomputed_differs=built.content_hash != sent.content_hash)

    async def snapshot(self, snapshot_id: int) -> Snapshot | None:
        async with self.db.read() as session:
            return await snapshots.load(session, snapshot_id)

    async def keep(self, summary: Summary) -> int:
        """Store a summary about to be sent; its snapshot's id."""
        async with self.db.transaction() as session:
            return await snapshots.store(session, summary, self.clock.now())
