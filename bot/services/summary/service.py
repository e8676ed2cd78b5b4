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
from bot.services.summary import snapshots
from bot.services.summary.figures import HISTORY_WEEKS, Names, WeekReader
from bot.services.summary.model import Label, Scope, ScopeKind, Summary
from bot.services.summary.reconciliation import reconcile
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
                        now: datetime) -> Summary:
    """The whole summary of one week and scope, in the caller's transaction."""
    tz = config.tz
    earlier = weeks_before(week, HISTORY_WEEKS)
    reader = WeekReader(session, scope, tz, await Names.read(session), window=(week, *earlier))
    this = await reader.week(week)
    # Last week in full (its breakdowns are shown beside this week's); the three before it in totals.
    history = tuple([await reader.week(before, detailed=index == 0) for index, before in enumerate(earlier)])
    return Summary(
        scope=scope, week=week, this=this, history=history, trend=await reader.trend(week),
        partners=await reader.partners(week), equity=await reader.equity(week, this.hours),
        next_week_short=await reader.next_week_short(week),
        reconciliation=await reconcile(session, scope, tz, week, this.credits),
        so_far=now < week.ends_at(tz))


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
        async with self.db.read() as session:
            return await build_summary(session, scope, week, self.config, self.clock.now())

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
        async with self.db.read() as session:
            built = await build_summary(session, scope, week, self.config, self.clock.now())
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
