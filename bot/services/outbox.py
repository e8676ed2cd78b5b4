"""Recording notifications to send, in the same transaction as the change they report.

A row here is a promise to tell a member something. It is written with the state
change that causes it (a booking, an approval), so a crash can never leave one without
the other; `dedupe_key` makes recording the same promise twice a no-op. The text is
rendered when it is sent, in the member's language at that moment. What each kind
carries is typed in `bot.services.outbox_payloads`.

Sending is the delivery engine's (bot/delivery): it claims due rows as short leases it
renews while it works, highest priority first, and records each outcome here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import BigInteger, case, cast, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Member, OutboxMessage, OutboxStatus
from bot.db.session import Database, rows_changed
from bot.services.outbox_payloads import OutboxKind, Payload, parse_payload


class Priority(enum.IntEnum):
    """Which due notification goes first; higher first, then the oldest."""

    BULK = 10  # newsletters and broadcasts: may wait behind everything personal
    NOTICE = 20  # a decision about the member's own hours, credits or vouchers
    TIMELY = 30  # about a shift soon: a reminder, a change, a cancellation, a promoted place


PRIORITY_OF_KIND: dict[OutboxKind, Priority] = {
    OutboxKind.SHIFT_CHANGED: Priority.TIMELY,
    OutboxKind.SHIFT_CANCELLED: Priority.TIMELY,
    OutboxKind.WAITLIST_PROMOTED: Priority.TIMELY,
    OutboxKind.LATE_CANCELLATION: Priority.TIMELY,
    OutboxKind.SHIFT_REMINDER: Priority.TIMELY,
    OutboxKind.ATTENDANCE_DUE: Priority.TIMELY,
    OutboxKind.BROADCAST: Priority.BULK,
    OutboxKind.BROADCAST_GROUP_POST: Priority.BULK,
    OutboxKind.BROADCAST_PROGRESS: Priority.TIMELY,  # the author is watching for it
    OutboxKind.COVER_NEEDED: Priority.TIMELY,
    OutboxKind.COVER_WANTED: Priority.BULK,
}


def priority_of(kind: OutboxKind) -> Priority:
    return PRIORITY_OF_KIND.get(kind, Priority.NOTICE)


async def enqueue(session: AsyncSession, *, member_id: int, payload: Payload, dedupe_key: str, now: datetime,
                  not_before: datetime | None = None, priority: Priority | None = None,
                  chat_id: int | None = None, broadcast_id: int | None = None) -> bool:
    """Record a notification of the payload's kind; returns False when one with this
    dedupe_key exists already. `chat_id`: sent there instead of the member's own chat
    (a group post); `broadcast_id`: one of that broadcast's recipients."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OutboxMessage).values(
        member_id=member_id, kind=payload.kind, payload=payload.to_json(), dedupe_key=dedupe_key,
        status=OutboxStatus.PENDING, not_before=not_before or now, attempts=0, created_at=now,
        priority=int(priority if priority is not None else priority_of(payload.kind)),
        chat_id=chat_id, broadcast_id=broadcast_id,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return await rows_changed(session, statement) == 1


@dataclass(frozen=True)
class Claimed:
    id: int
    member_id: int
    telegram_user_id: int | None  # rows of members without one are failed when claimed (but group posts)
    language: str | None
    kind: OutboxKind
    payload: Payload
    attempts: int
    priority: int = Priority.NOTICE
    group_chat_id: int | None = None  # sent to this group rather than to the member

    @property
    def chat_id(self) -> int:
        if self.group_chat_id is not None:
            return self.group_chat_id
        assert self.telegram_user_id is not None  # claim_due never hands out a row without one
        return self.telegram_user_id


@dataclass(frozen=True)
class Delivered:
    """Sent (message_id from Telegram), or nothing left to say (message_id None)."""

    id: int
    message_id: int | None


@dataclass(frozen=True)
class Failed:
    """A real failure. Permanent ones (blocked, refused) are given up at once; others
    retry after `retry_after` until MAX_ATTEMPTS failures."""

    id: int
    reason: str
    permanent: bool
    retry_after: timedelta = timedelta(minutes=1)


Report = Delivered | Failed

MAX_ATTEMPTS = 5
DEFAULT_LEASE = timedelta(seconds=30)


class OutboxService:
    """Claims due notifications under a lease, so two bot processes never send the same
    row at once, and a process that dies mid-send lets another take it over."""

    def __init__(self, db: Database, clock: Clock, *, worker: str, lease: timedelta = DEFAULT_LEASE,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self.db = db
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.max_attempts = max_attempts

    async def claim_due(self, limit: int = 30, *, lease: timedelta | None = None) -> list[Claimed]:
        """Up to `limit` due rows, highest priority first, leased to this worker for
        `lease` (renew it while they are in hand). Claiming is not an attempt: only a
        real failure counts towards giving a row up."""
        now = self.clock.now()
        until = now + (lease or self.lease)
        async with self.db.transaction() as session:
            due = select(OutboxMessage.id).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ).order_by(OutboxMessage.priority.desc(), OutboxMessage.not_before, OutboxMessage.id).limit(limit)
            if self.db.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list(await session.scalars(due))
            if not ids:
                return []
            # Guarded again in the UPDATE: another process may have claimed between.
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_(ids),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ).values(claimed_by=self.worker, claimed_until=until))
            rows = await session.execute(
                select(OutboxMessage, Member.telegram_user_id, Member.language, Member.unreachable_at)
                .join(Member, Member.id == OutboxMessage.member_id)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.worker,
                       OutboxMessage.claimed_until == until)
                .order_by(OutboxMessage.priority.desc(), OutboxMessage.not_before, OutboxMessage.id))
            claimed = []
            for message, telegram_user_id, language, unreachable_at in rows.all():
                # A group post goes to the group whether or not its author is reachable.
                if message.chat_id is None and (telegram_user_id is None or unreachable_at is not None):
                    message.status = OutboxStatus.FAILED
                    message.last_error = "member unreachable"
                    message.claimed_until = None
                    continue
                try:
                    kind = OutboxKind(message.kind)
                    payload = parse_payload(kind, dict(message.payload or {}))
                except (ValueError, ValidationError) as error:  # a row no renderer could read
                    message.status = OutboxStatus.FAILED
                    message.last_error = f"unreadable {message.kind!r}: {error}"[:300]
                    message.claimed_until = None
                    continue
                claimed.append(Claimed(message.id, message.member_id, telegram_user_id,
                                       language.value if language else None, kind, payload, message.attempts,
                                       message.priority, message.chat_id))
            return claimed

    async def renew(self, ids: Iterable[int], *, lease: timedelta | None = None) -> None:
        """Extend this worker's lease on rows still in hand."""
        ids = list(ids)
        if not ids:
            return
        until = self.clock.now() + (lease or self.lease)
        async with self.db.transaction() as session:
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.worker,
                OutboxMessage.status == OutboxStatus.PENDING,
            ).values(claimed_until=until))

    async def release(self, ids: Iterable[int]) -> None:
        """Hand rows back unsent (this worker is stopping): due again at once."""
        ids = list(ids)
        if not ids:
            return
        async with self.db.transaction() as session:
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.worker,
                OutboxMessage.status == OutboxStatus.PENDING,
            ).values(claimed_until=None))

    async def release_others(self) -> int:
        """Void every other worker's leases: called by a new leader, whose predecessor
        has stopped sending (it stops when it cannot renew its leadership)."""
        async with self.db.transaction() as session:
            return await rows_changed(session, update(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.claimed_until.is_not(None),
                or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_by != self.worker),
            ).values(claimed_until=None))

    async def record(self, reports: Sequence[Report]) -> None:
        """What came of a batch of sends, in one transaction."""
        if not reports:
            return
        now = self.clock.now()
        async with self.db.transaction() as session:
            delivered = [report for report in reports if isinstance(report, Delivered)]
            if delivered:
                await session.execute(update(OutboxMessage).where(
                    OutboxMessage.id.in_([report.id for report in delivered])).values(
                    status=OutboxStatus.SENT, sent_at=now, claimed_until=None,
                    # Typed: a batch sent as nothing (all ids None) would be an untyped NULL to PostgreSQL.
                    telegram_message_id=cast(case({report.id: report.message_id for report in delivered},
                                                  value=OutboxMessage.id, else_=None), BigInteger)))
            for report in reports:
                if isinstance(report, Failed):
                    await self._fail(session, report, now)

    async def _fail(self, session: AsyncSession, report: Failed, now: datetime) -> None:
        message = await session.get(OutboxMessage, report.id)
        if message is None:
            return
        message.attempts += 1
        message.last_error = report.reason[:300]
        message.claimed_until = None
        if report.permanent or message.attempts >= self.max_attempts:
            message.status = OutboxStatus.FAILED
        else:
            message.not_before = now + report.retry_after

    async def mark_sent(self, message_id: int, telegram_message_id: int | None = None) -> None:
        await self.record([Delivered(message_id, telegram_message_id)])

    async def mark_failed(self, message_id: int, error: str, *, permanent: bool,
                          retry_after: timedelta = timedelta(minutes=1)) -> None:
        await self.record([Failed(message_id, error, permanent, retry_after)])
