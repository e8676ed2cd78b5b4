"""Recording notifications to send, in the same transaction as the change they report.

A row here is a promise to tell a member something. It is written with the state
change that causes it (a booking, an approval), so a crash can never leave one without
the other; `dedupe_key` makes recording the same promise twice a no-op. The text is
rendered when it is sent, in the member's language at that moment. What each kind
carries is typed in `bot.services.outbox_payloads`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Member, OutboxMessage, OutboxStatus
from bot.db.session import Database
from bot.services.outbox_payloads import OutboxKind, Payload, parse_payload


async def enqueue(session: AsyncSession, *, member_id: int, payload: Payload, dedupe_key: str, now: datetime,
                  not_before: datetime | None = None) -> bool:
    """Record a notification of the payload's kind; returns False when one with this
    dedupe_key exists already."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OutboxMessage).values(
        member_id=member_id, kind=payload.kind, payload=payload.to_json(), dedupe_key=dedupe_key,
        status=OutboxStatus.PENDING, not_before=not_before or now, attempts=0, created_at=now,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await session.execute(statement)
    return bool(result.rowcount)


@dataclass(frozen=True)
class Claimed:
    id: int
    member_id: int
    telegram_user_id: int | None
    language: str | None
    kind: OutboxKind
    payload: Payload
    attempts: int


MAX_ATTEMPTS = 5


class OutboxService:
    """Claims due notifications under a lease, so two bot processes never send the same
    row at once, and a process that dies mid-send lets another take it over."""

    def __init__(self, db: Database, clock: Clock, *, worker: str, lease: timedelta = timedelta(minutes=2)) -> None:
        self.db = db
        self.clock = clock
        self.worker = worker
        self.lease = lease

    async def claim_due(self, limit: int = 30) -> list[Claimed]:
        now = self.clock.now()
        until = now + self.lease
        async with self.db.transaction() as session:
            due = select(OutboxMessage.id).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ).order_by(OutboxMessage.not_before, OutboxMessage.id).limit(limit)
            if self.db.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list(await session.scalars(due))
            if not ids:
                return []
            # Guarded again in the UPDATE: another process may have claimed between.
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_(ids),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ).values(claimed_by=self.worker, claimed_until=until, attempts=OutboxMessage.attempts + 1))
            rows = await session.execute(
                select(OutboxMessage, Member.telegram_user_id, Member.language, Member.unreachable_at)
                .join(Member, Member.id == OutboxMessage.member_id)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.worker,
                       OutboxMessage.claimed_until == until)
                .order_by(OutboxMessage.id))
            claimed = []
            for message, telegram_user_id, language, unreachable_at in rows.all():
                if telegram_user_id is None or unreachable_at is not None:
                    message.status = OutboxStatus.FAILED
                    message.last_error = "member unreachable"
                    continue
                try:
                    kind = OutboxKind(message.kind)
                    payload = parse_payload(kind, dict(message.payload or {}))
                except (ValueError, ValidationError) as error:  # a row no renderer could read
                    message.status = OutboxStatus.FAILED
                    message.last_error = f"unreadable {message.kind!r}: {error}"[:300]
                    continue
                claimed.append(Claimed(message.id, message.member_id, telegram_user_id,
                                       language.value if language else None, kind, payload, message.attempts))
            return claimed

    async def mark_sent(self, message_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                status=OutboxStatus.SENT, sent_at=self.clock.now(), claimed_until=None))

    async def mark_failed(self, message_id: int, error: str, *, permanent: bool,
                          retry_after: timedelta = timedelta(minutes=1)) -> None:
        async with self.db.transaction() as session:
            message = await session.get(OutboxMessage, message_id)
            if message is None:
                return
            message.last_error = error[:300]
            message.claimed_until = None
            if permanent or message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
            else:
                message.not_before = self.clock.now() + retry_after
