"""What an operator's probes and dashboards ask of the database: is it reachable, are the
migrations current (readiness), and how far behind is the outbox (the backlog and the
age of the oldest notification already due)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import func, select, text

from bot.clock import Clock
from bot.db.enums import InboxStatus
from bot.db.models import OutboxMessage, OutboxStatus
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str  # "ok", or what is wrong, for the probe's body (never a secret)


@dataclass(frozen=True)
class Backlog:
    due: int  # pending notifications whose time has come
    oldest_due_age_s: float  # how long the oldest of them has waited; 0 when none
    inbox_unhandled: int  # updates stored and not yet handled


@cache
def head_revision() -> str | None:
    """The newest migration this code ships (read once: the files do not change)."""
    from alembic.script import ScriptDirectory

    from bot.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class HealthService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def readiness(self) -> Readiness:
        from bot.db.migrate import current_revision

        try:
            async with self.db.read() as session:
                await session.execute(text("SELECT 1"))
            current = await current_revision(self.db)
        except Exception as error:
            return Readiness(False, f"database unreachable ({type(error).__name__})")
        if current != head_revision():
            return Readiness(False, f"migrations not current (database at {current}, code at {head_revision()})")
        return Readiness(True, "ok")

    async def backlog(self) -> Backlog:
        now = self.clock.now()
        async with self.db.read() as session:
            due, oldest = (await session.execute(
                select(func.count(), func.min(OutboxMessage.not_before))
                .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now))).one()
            unhandled = await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == InboxStatus.RECEIVED))
        return Backlog(int(due or 0), _age(now, oldest), int(unhandled or 0))


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0
