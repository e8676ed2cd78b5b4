"""Snapshots: every summary sent, stored as its figures (model.Summary's JSON) with its
week, scope and content hash. Storing the same content twice keeps one row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.summary_models import SummarySnapshot
from bot.services.summary.model import Scope, Summary
from bot.services.summary.weeks import IsoWeek


@dataclass(frozen=True)
class Snapshot:
    id: int
    summary: Summary
    content_hash: str
    created_at: datetime


def _of_scope(week: IsoWeek, scope: Scope) -> list[ColumnElement[bool]]:
    return [SummarySnapshot.week == str(week), SummarySnapshot.scope_kind == scope.kind.value,
            SummarySnapshot.scope_id.is_(None) if scope.id is None else SummarySnapshot.scope_id == scope.id]


async def store(session: AsyncSession, summary: Summary, now: datetime) -> int:
    """The snapshot's id: a new row, or the one already holding exactly these figures."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    content_hash = summary.content_hash
    await session.execute(insert(SummarySnapshot).values(
        week=str(summary.week), scope_kind=summary.scope.kind.value, scope_id=summary.scope.id,
        content_hash=content_hash, figures=summary.model_dump(mode="json"), created_at=now,
    ).on_conflict_do_nothing())
    snapshot_id = await session.scalar(select(SummarySnapshot.id).where(
        *_of_scope(summary.week, summary.scope), SummarySnapshot.content_hash == content_hash))
    assert snapshot_id is not None  # inserted above, or there already
    return int(snapshot_id)


def _loaded(row: SummarySnapshot) -> Snapshot:
    return Snapshot(row.id, Summary.model_validate(row.figures), row.content_hash, row.created_at)


async def load(session: AsyncSession, snapshot_id: int) -> Snapshot | None:
    row = await session.get(SummarySnapshot, snapshot_id)
    return _loaded(row) if row is not None else None


async def latest(session: AsyncSession, week: IsoWeek, scope: Scope) -> Snapshot | None:
    """What was last sent for this week and scope, if anything was."""
    row = (await session.scalars(select(SummarySnapshot).where(*_of_scope(week, scope))
                                 .order_by(SummarySnapshot.id.desc()).limit(1))).first()
    return _loaded(row) if row is not None else None
