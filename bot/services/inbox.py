"""The durable inbox: every update from Telegram is a row before Telegram is told it
arrived, and is handled from there.

In polling mode Telegram forgets an update once the next getUpdates names a higher
offset, and python-telegram-bot asks for that offset as soon as it has *queued* a
batch, long before its handlers run. A process that dies with a backlog loses every
update in it. So the batch is stored here first (`receive`), inside the getUpdates call;
handled one by one and marked (`mark_handled`); and whatever a dead process left
behind is taken over by the next (`claim_abandoned`). An update id already in the inbox
is never handled again, whichever process or redelivery brings it back.

Claims are leases measured on the wall clock (they say whether a *process* is alive,
which has nothing to do with the scheme's clock that tests stand still): a process
renews its leases while it lives (`renew`); a lease that runs out means its process
died. This service knows nothing of Telegram: it stores and hands back JSON.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, SystemClock
from bot.db.enums import InboxStatus
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database, rows_changed

log = logging.getLogger(__name__)

# Long enough that a renewal every third of it never misses; short enough that a
# restart after a crash takes over the dead process's updates within seconds.
DEFAULT_LEASE = timedelta(seconds=10)
# An update claimed this often died with its process every time (it may be what
# kills it): it is given up rather than crash every process that takes it.
MAX_ATTEMPTS = 5
# How long a handled update's id is kept: Telegram keeps an unconfirmed update for 24
# hours, so an id older than this can never come back to be recognised as a repeat.
KEPT_AFTER_HANDLING = timedelta(days=2)
# Update kinds whose payload names the chat directly, or through its message.
_CHAT_PATHS = (("chat",), ("message", "chat"), ("from",), ("user",))


@dataclass(frozen=True)
class InboxEntry:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int = 1  # 2 or more: a process died while handling it (or let it go)

    @property
    def redelivered(self) -> bool:
        """Handled before, at least in part, by a process that did not finish it."""
        return self.attempts > 1


def update_id_of(raw: object) -> int | None:
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None


def chat_id_of(raw: dict[str, Any]) -> int | None:
    """The chat an update belongs to, read from the raw JSON (any kind of update: the
    first field besides update_id carries it)."""
    body = next((value for key, value in raw.items() if key != "update_id"), None)
    for path in _CHAT_PATHS:
        node: Any = body
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        identifier = node.get("id") if isinstance(node, dict) else None
        if isinstance(identifier, int) and not isinstance(identifier, bool):
            return identifier
    return None


class InboxService:
    def __init__(self, db: Database, *, worker: str, lease: timedelta = DEFAULT_LEASE,
                 wall_clock: Clock | None = None) -> None:
        self.db = db
        self.worker = worker
        self.lease = lease
        self.wall_clock = wall_clock or SystemClock()

    def _insert(self) -> Any:
        return (postgresql_insert if self.db.dialect == "postgresql" else sqlite_insert)(InboxUpdate)

    def _claimable(self, now: datetime) -> Any:
        return and_(InboxUpdate.status == InboxStatus.RECEIVED,
                    or_(InboxUpdate.claimed_until.is_(None), InboxUpdate.claimed_until < now))

    async def receive(self, raw_updates: list[Any]) -> list[InboxEntry]:
        """Stores a getUpdates batch; returns the updates this process is now to handle:
        the new ones, and any already stored that nobody holds (a dead process's). The rest
        must not be handled here: handled already, held by another live process, or
        waiting behind an older update of their chat that is (see `_take`)."""
        now = self.wall_clock.now()
        rows = []
        for raw in raw_updates:
            update_id = update_id_of(raw)
            if update_id is not None:
                rows.append({"update_id": update_id, "chat_id": chat_id_of(raw), "payload": raw,
                             "status": InboxStatus.RECEIVED, "attempts": 0, "received_at": now})
        if not rows:
            return []
        wanted = {row["update_id"] for row in rows}
        chats = {row["chat_id"] for row in rows if row["chat_id"] is not None}
        async with self.db.transaction() as session:
            await session.execute(self._insert().values(rows).on_conflict_do_nothing(index_elements=["update_id"]))
            received = (await session.execute(
                select(InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.claimed_by, InboxUpdate.claimed_until)
                .where(InboxUpdate.status == InboxStatus.RECEIVED,
                       or_(InboxUpdate.update_id.in_(wanted), InboxUpdate.chat_id.in_(chats)))
                .order_by(InboxUpdate.update_id))).all()
            taken = await self._take(session, received, wanted, now)
        for update_id in sorted(wanted - {entry.update_id for entry in taken}):
            log.info("update %s is not handled now: handled already, or held elsewhere", update_id)
        return taken

    async def claim_abandoned(self, limit: int = 500) -> list[InboxEntry]:
        """Rows received but not handled whose lease ran out (or was let go), oldest first,
        now claimed by this process. Rows claimed too often are given up instead."""
        now = self.wall_clock.now()
        async with self.db.transaction() as session:
            hopeless = list((await session.execute(
                select(InboxUpdate.update_id).where(self._claimable(now), InboxUpdate.attempts >= MAX_ATTEMPTS)
            )).scalars())
            if hopeless:
                await session.execute(
                    update(InboxUpdate).where(InboxUpdate.update_id.in_(hopeless), self._claimable(now))
                    .values(status=InboxStatus.GIVEN_UP, claimed_by=None, claimed_until=None, handled_at=now))
                log.error("gave up updates %s: each of %s attempts ended with its process", hopeless, MAX_ATTEMPTS)
            received = (await session.execute(
                select(InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.claimed_by, InboxUpdate.claimed_until)
                .where(InboxUpdate.status == InboxStatus.RECEIVED)
                .order_by(InboxUpdate.update_id).limit(limit))).all()
            return await self._take(session, received, None, now)

    async def _take(self, session: AsyncSession, received: Sequence[Any], wanted: set[int] | None,
                    now: datetime) -> list[InboxEntry]:
        """Claims, of `received` (unhandled rows, oldest first), those that are free and
        wanted (all free ones when `wanted` is None), keeping each chat in order: a
        member's updates are handled one after another, so a row is taken only when
        every older unhandled row of its chat is this process's already or taken with it.
        Behind an older row held by another live process, or a free one not wanted now,
        the chat waits; the sweep takes it all, in order, once that row is free."""
        blocked: set[int] = set()
        chosen: list[int] = []
        for row in received:
            if row.chat_id is not None and row.chat_id in blocked:
                continue
            mine = row.claimed_by == self.worker and row.claimed_until is not None and row.claimed_until >= now
            free = row.claimed_until is None or row.claimed_until < now
            if free and (wanted is None or row.update_id in wanted):
                chosen.append(row.update_id)
            elif not mine and row.chat_id is not None:
                blocked.add(row.chat_id)
        if not chosen:
            return []
        # The condition again: another process may have claimed some since the select.
        claimed = (await session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id.in_(chosen), self._claimable(now))
            .values(claimed_by=self.worker, claimed_until=now + self.lease, attempts=InboxUpdate.attempts + 1)
            .returning(InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.payload,
                       InboxUpdate.attempts))).all()
        return sorted((InboxEntry(update_id, chat_id, dict(payload), attempts)
                       for update_id, chat_id, payload, attempts in claimed),
                      key=lambda entry: entry.update_id)

    async def mark_handled(self, update_id: int) -> None:
        async with self.db.transaction() as session:
            await mark_handled_in(session, update_id, now=self.wall_clock.now())

    async def hand_back(self, update_id: int, *, after: timedelta) -> bool:
        """This process could not finish the update (Telegram refused its answer for
        longer than an answer may wait): it stays unhandled and free, for whichever
        process sweeps the inbox once `after` has passed (`claim_abandoned`). Its chat's
        later updates wait behind it there, as behind any unhandled row."""
        async with self.db.transaction() as session:
            return await rows_changed(session,
                update(InboxUpdate).where(InboxUpdate.update_id == update_id, InboxUpdate.claimed_by == self.worker,
                                          InboxUpdate.status == InboxStatus.RECEIVED)
                .values(claimed_by=None, claimed_until=self.wall_clock.now() + after)) > 0

    async def renew(self) -> int:
        """Keeps this process's claims alive; returns how many it holds."""
        async with self.db.transaction() as session:
            changed = await rows_changed(session,
                update(InboxUpdate).where(InboxUpdate.claimed_by == self.worker,
                                          InboxUpdate.status == InboxStatus.RECEIVED)
                .values(claimed_until=self.wall_clock.now() + self.lease))
            return changed

    async def release(self) -> int:
        """On a clean stop: whatever this process claimed and did not handle is let go at
        once, for the next process to take without waiting for the lease."""
        async with self.db.transaction() as session:
            changed = await rows_changed(session,
                update(InboxUpdate).where(InboxUpdate.claimed_by == self.worker,
                                          InboxUpdate.status == InboxStatus.RECEIVED)
                .values(claimed_by=None, claimed_until=None))
            return changed

    async def purge_handled(self, *, older_than: timedelta = KEPT_AFTER_HANDLING) -> int:
        """Forgets updates handled (or given up) long enough ago that Telegram can no
        longer send them again: without this the inbox grows with every press, for ever.
        Unhandled rows are never purged, however old."""
        cutoff = self.wall_clock.now() - older_than
        async with self.db.transaction() as session:
            changed = await rows_changed(session,
                delete(InboxUpdate).where(InboxUpdate.status.in_([InboxStatus.HANDLED, InboxStatus.GIVEN_UP]),
                                          InboxUpdate.handled_at < cutoff))
            return changed

    async def counts(self) -> dict[InboxStatus, int]:
        async with self.db.read() as session:
            rows = (await session.execute(
                select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status))).all()
        return {status: 0 for status in InboxStatus} | {InboxStatus(status): count for status, count in rows}


# Update ids a dialogue step marked handled in its own committed transaction, while the
# update's handling is under way (`marks_committed`): the separate mark afterwards would
# be a second write transaction (SQLite's write lock) that changes nothing.
_COMMITTED: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("inbox_marked", default=None)


@contextmanager
def marks_committed() -> Iterator[set[int]]:
    """Around one update's handling: collects the ids `note_committed` reports in it."""
    marked: set[int] = set()
    token = _COMMITTED.set(marked)
    try:
        yield marked
    finally:
        _COMMITTED.reset(token)


def note_committed(update_id: int) -> None:
    """The transaction that ran `mark_handled_in` for `update_id` has committed."""
    marked = _COMMITTED.get()
    if marked is not None:
        marked.add(update_id)


async def mark_handled_in(session: AsyncSession, update_id: int, *, now: datetime | None = None) -> None:
    """Marks an update handled inside the caller's transaction: a dialogue step's write
    and the end of its update commit together (bot/services/dialogues.py), so a process
    that dies after the step never handles the same update again from the step it led to.
    An update that is not in the inbox (a webhook test, a hand-made update) or was marked
    already is left as it is. `now` is the wall clock's unless given (leases and their
    times say whether a process is alive, not what the scheme's clock says)."""
    now = now or SystemClock().now()
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id == update_id, InboxUpdate.status == InboxStatus.RECEIVED)
        .values(status=InboxStatus.HANDLED, handled_at=now, claimed_by=None, claimed_until=None))
