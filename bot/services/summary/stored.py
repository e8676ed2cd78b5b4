"""Closed weeks' figures, worked out once and kept (`summary_week`, migration 0010).

A summary shows twelve weeks (itself, the four before it, the trend); all but the one
it is about were shown by earlier summaries, and a closed week's records rarely change.
So each closed week's figures for a scope are stored with a stamp, and read back while
the stamp still holds: the sum of the `summary_week_stamp` generations of that week and
every week before it. Triggers bump a week's generation when its records change (an
approval or reversal landing late, attendance marked, a voucher expiring; a member moving
neighbourhood bumps every week), so a stored week is never shown once it is out of date;
it is worked out again. Cumulative, because a week's figures depend on the weeks before
it too (first-time and lapsed volunteers).

The stamps are read before any figure, in the same read transaction: a change committed
after that either is in the figures read (and the row is merely redone next time) or not,
and then its bump makes the row's stamp stale. Either way no wrong figure is ever shown.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from itertools import accumulate

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.summary_models import SummaryWeek, SummaryWeekStamp
from bot.services.summary.model import Hours, Label, LedgerWeek, Minutes, Scope, TrendWeek, WeekFigures
from bot.services.summary.weeks import IsoWeek


class StoredWeek(BaseModel):
    """One week of one scope: its figures (None when only its trend was needed so far),
    its place in the trend, and the ledger's movements it is reconciled with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    figures: WeekFigures | None = None
    trend: TrendWeek
    ledger: LedgerWeek | None = None


class Stamps:
    """Each week's cumulative change count, from one read of the stamp table."""

    def __init__(self, rows: list[tuple[date, int]]) -> None:
        self._mondays = [monday for monday, _ in rows]
        self._sums = list(accumulate(generation for _, generation in rows))

    @classmethod
    async def read(cls, session: AsyncSession) -> Stamps:
        rows = (await session.execute(select(SummaryWeekStamp.monday, SummaryWeekStamp.generation)
                                      .order_by(SummaryWeekStamp.monday))).all()
        return cls([(monday, int(generation)) for monday, generation in rows])

    def of(self, week: IsoWeek) -> int:
        index = bisect_right(self._mondays, week.monday)
        return self._sums[index - 1] if index else 0


@dataclass(frozen=True)
class Fresh:
    """A closed week worked out now, to be kept."""

    week: IsoWeek
    ends_at: datetime
    stamp: int
    stored: StoredWeek


async def load(session: AsyncSession, scope: Scope, weeks: list[IsoWeek], stamps: Stamps) -> dict[IsoWeek, StoredWeek]:
    """The stored weeks among `weeks` whose stamp still holds."""
    if not weeks:
        return {}
    rows = (await session.execute(select(SummaryWeek.week, SummaryWeek.stamp, SummaryWeek.figures).where(
        SummaryWeek.week.in_([str(week) for week in weeks]), SummaryWeek.scope_kind == scope.kind.value,
        SummaryWeek.scope_id.is_(None) if scope.id is None else SummaryWeek.scope_id == scope.id))).all()
    found: dict[IsoWeek, StoredWeek] = {}
    for name, stamp, figures in rows:
        week = IsoWeek.parse(name)
        if int(stamp) == stamps.of(week):
            found[week] = StoredWeek.model_validate(figures)
    return found


async def keep(session: AsyncSession, scope: Scope, fresh: list[Fresh], now: datetime) -> None:
    """Store (or replace) the weeks worked out; a row another worker stored meanwhile stays."""
    if not fresh:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(delete(SummaryWeek).where(
        SummaryWeek.week.in_([str(item.week) for item in fresh]), SummaryWeek.scope_kind == scope.kind.value,
        SummaryWeek.scope_id.is_(None) if scope.id is None else SummaryWeek.scope_id == scope.id))
    await session.execute(insert(SummaryWeek).values([
        {"week": str(item.week), "scope_kind": scope.kind.value, "scope_id": scope.id, "ends_at": item.ends_at,
         "stamp": item.stamp, "figures": item.stored.model_dump(mode="json"), "built_at": now} for item in fresh],
    ).on_conflict_do_nothing())


def relabelled(stored: StoredWeek, labels: dict[str, dict[str, Label]]) -> StoredWeek:
    """With today's names (a stored week keeps slugs and figures; names may be edited since)."""

    def named(items: tuple[Minutes, ...], kind: str) -> tuple[Minutes, ...]:
        return tuple(item.model_copy(update={"label": labels[kind].get(item.key, item.label)}) for item in items)

    figures = stored.figures
    if figures is not None:
        hours: Hours = figures.hours
        figures = figures.model_copy(update={"hours": hours.model_copy(update={
            "by_activity": named(hours.by_activity, "activity"),
            "by_organisation": named(hours.by_organisation, "organisation"),
            "by_neighbourhood": named(hours.by_neighbourhood, "neighbourhood")})})
    trend = stored.trend.model_copy(update={"by_activity": named(stored.trend.by_activity, "activity")})
    return stored.model_copy(update={"figures": figures, "trend": trend})
