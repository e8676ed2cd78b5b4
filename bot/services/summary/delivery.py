"""The weekly push: at the configured local weekday and time, every TSO staff member
gets the summary of the week before for each scope their role covers, in their language,
through the outbox.

A clock job calls `queue_due` often, from any number of workers. What is due is worked
out from "now" alone (the last scheduled moment not after it), and what was done from
the outbox's dedupe keys ("weekly_summary:{week}:{scope}:{member}:{part}"), so a run
missed while the bot was down is queued when it comes back, and queued once, however
many workers run it; the scheduler holds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import Member, OutboxMessage, Role, RoleGrant
from bot.db.session import Database
from bot.i18n import translator
from bot.reports.text import summary_messages
from bot.services import outbox
from bot.services.outbox import Priority
from bot.services.outbox_payloads import WeeklySummary
from bot.services.summary import snapshots
from bot.services.summary.model import Scope, Summary
from bot.services.summary.service import staff_scopes, summarise
from bot.services.summary.weeks import IsoWeek


@dataclass(frozen=True)
class Due:
    moment: datetime  # UTC: the last scheduled send not after now
    week: IsoWeek  # the week it summarises


def due_at(config: Config, now: datetime) -> Due:
    """The scheduled moment in force at `now`: this week's (local weekday and time),
    or last week's while this week's is still ahead. Local time, so 08:00 stays 08:00
    on both sides of a clock change."""
    tz = config.tz
    local_today = now.astimezone(tz).date()
    monday = local_today - timedelta(days=local_today.weekday())

    def moment_in(week_monday: date) -> datetime:
        day = week_monday + timedelta(days=config.summaries.weekday)
        return datetime.combine(day, config.summaries.local_time, tzinfo=tz).astimezone(UTC)

    moment = moment_in(monday)
    if moment > now:
        moment = moment_in(monday - timedelta(weeks=1))
    return Due(moment, IsoWeek.containing(moment, tz).shifted(-1))


def dedupe_key(week: IsoWeek, scope: Scope, member_id: int, part: int) -> str:
    return f"weekly_summary:{week}:{scope.key}:{member_id}:{part}"


def part_count(summary: Summary, language: str, config: Config) -> int:
    return len(summary_messages(translator(language, config.tz), summary))


class SummaryDelivery:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def queue_due(self, now: datetime | None = None) -> int:
        """Queue what is due and not yet queued; how many staff members' summaries were
        queued by this call (each may be several messages)."""
        if not self.config.summaries.enabled:
            return 0
        now = now or self.clock.now()
        due = due_at(self.config, now)
        missing = await self._missing(due)
        if not missing:
            return 0
        by_scope: dict[Scope, list[tuple[int, str]]] = defaultdict(list)
        for scope, member_id, language in missing:
            by_scope[scope].append((member_id, language))
        queued = 0
        for scope, recipients in by_scope.items():
            summary = await summarise(self.db, scope, due.week, self.config, now)
            parts = {language: part_count(summary, language, self.config) for _, language in recipients}
            async with self.db.transaction() as session:
                snapshot_id = await snapshots.store(session, summary, now)
                for member_id, language in recipients:
                    queued += await self._queue(session, summary, snapshot_id, member_id, language,
                                                parts[language], now)
        return queued

    async def _missing(self, due: Due) -> list[tuple[Scope, int, str]]:
        """(scope, member, language) of staff granted by the moment whose summary of the
        week is not in the outbox yet."""
        default = self.config.scheme.default_language
        async with self.db.read() as session:
            staff = (await session.execute(
                select(Member.id, Member.language).join(RoleGrant, RoleGrant.member_id == Member.id)
                .where(RoleGrant.role == Role.STAFF, RoleGrant.granted_at <= due.moment,
                       Member.erased_at.is_(None), Member.telegram_user_id.is_not(None))
                .distinct().order_by(Member.id))).all()
            wanted = [(scope, member_id, language.value if language else default)
                      for member_id, language in staff for scope in await staff_scopes(session, member_id)]
            keys = [dedupe_key(due.week, scope, member_id, 0) for scope, member_id, _ in wanted]
            queued = set(await session.scalars(select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_(keys)))) if keys else set()
        return [item for item, key in zip(wanted, keys, strict=True) if key not in queued]

    async def _queue(self, session: AsyncSession, summary: Summary, snapshot_id: int, member_id: int, language: str,
                     parts: int, now: datetime) -> bool:
        for part in range(parts):
            queued = await outbox.enqueue(
                session, member_id=member_id, now=now, priority=Priority.BULK,
                payload=WeeklySummary(snapshot_id=snapshot_id, language=language, part=part, parts=parts),
                dedupe_key=dedupe_key(summary.week, summary.scope, member_id, part))
            if not queued:  # another worker queued this member's summary first: its parts are its own
                return False
        return True
