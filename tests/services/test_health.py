"""Readiness and the outbox backlog, as /readyz and /metrics report them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FrozenClock
from bot.db.session import Database
from bot.services.health import HealthService, head_revision
from tests.conftest import DEFAULT_NOW
from tests.delivery.queueing import add_members, queue


async def test_a_migrated_database_is_ready_and_reports_its_due_notifications(db: Database) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    health = HealthService(db, clock)
    assert (await health.readiness()).ready
    empty = await health.backlog()
    assert (empty.due, empty.oldest_due_age_s, empty.inbox_unhandled) == (0, 0.0, 0)
    members = await add_members(db, 3, now=DEFAULT_NOW)
    await queue(db, members, now=DEFAULT_NOW - timedelta(minutes=2), tag="late")
    await queue(db, members[:1], now=DEFAULT_NOW + timedelta(hours=1), tag="later")  # not due yet
    backlog = await health.backlog()
    assert backlog.due == 3 and backlog.oldest_due_age_s == 120.0


async def test_a_database_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/unmigrated.db")
    try:
        readiness = await HealthService(database, FrozenClock(DEFAULT_NOW)).readiness()
    finally:
        await database.dispose()
    assert not readiness.ready
    assert readiness.reason == f"migrations not current (database at None, code at {head_revision()})"


async def test_an_unreachable_database_is_not_ready() -> None:
    database = Database.from_url("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        readiness = await HealthService(database, FrozenClock(DEFAULT_NOW)).readiness()
    finally:
        await database.dispose()
    assert not readiness.ready and readiness.reason.startswith("database unreachable")
