"""What logging, approving and group crediting share about time entries: the reads they
decide on, and crediting an approved entry (an earn in the ledger, linked to the entry,
and the volunteer told) in the caller's transaction.

Notification written here (only for members who can receive it: a Telegram account,
not erased): "hours_approved" to the volunteer, dedupe key "hours_approved:{time_entry_id}".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import TimeEntry, TimeEntryStatus
from bot.services.hour_rules import IDEMPOTENCY_KEY_MAX, LIVE_ENTRY
from bot.services.ledger import Ledger
from bot.services.member_facts import is_reachable
from bot.services.outbox import enqueue
from bot.services.outbox_payloads import HoursApproved


async def pending_minutes(session: AsyncSession, member_id: int) -> int:
    """Minutes the member logged that still wait for a coordinator."""
    total = await session.scalar(select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.member_id == member_id, TimeEntry.status == TimeEntryStatus.PENDING))
    return int(total or 0)


async def row_exists(session: AsyncSession, model: type[Any], row_id: int) -> bool:
    return await session.scalar(select(model.id).where(model.id == row_id)) is not None


async def minutes_on(session: AsyncSession, member_ids: Sequence[int], worked_on: date) -> dict[int, int]:
    """Each member's pending and approved minutes on that day (members with none are left out)."""
    rows = await session.execute(
        select(TimeEntry.member_id, func.sum(TimeEntry.minutes))
        .where(TimeEntry.member_id.in_(list(member_ids)), TimeEntry.worked_on == worked_on,
               TimeEntry.status.in_(LIVE_ENTRY))
        .group_by(TimeEntry.member_id))
    return {member_id: int(total) for member_id, total in rows}


async def has_similar_entry(session: AsyncSession, member_id: int, organisation_id: int, activity_type_id: int,
                            worked_on: date) -> bool:
    """Whether the member already logged this activity for this organisation that day
    (a possible duplicate, which approve-all leaves for a look of its own)."""
    return await session.scalar(select(TimeEntry.id).where(
        TimeEntry.member_id == member_id, TimeEntry.organisation_id == organisation_id,
        TimeEntry.activity_type_id == activity_type_id, TimeEntry.worked_on == worked_on,
        TimeEntry.status.in_(LIVE_ENTRY)).limit(1)) is not None


def check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValueError(f"idempotency_key must be 1..{IDEMPOTENCY_KEY_MAX} characters")


def entry_facts(entry: TimeEntry) -> dict[str, int | date]:
    """The fields every time-entry notification carries (`outbox_payloads.TimeEntryFacts`)."""
    return {"time_entry_id": entry.id, "minutes": entry.minutes, "worked_on": entry.worked_on,
            "organisation_id": entry.organisation_id, "activity_type_id": entry.activity_type_id}


async def credit_entry(ledger: Ledger, session: AsyncSession, entry: TimeEntry, actor_member_id: int,
                       now: datetime) -> int:
    """Earn for an entry just approved, link it, and tell the volunteer; the transaction id."""
    posted = await ledger.earn(session, member_id=entry.member_id, minutes=entry.minutes,
                               idempotency_key=f"time-entry:{entry.id}", now=now, memo=entry.note,
                               actor_member_id=actor_member_id)
    await session.execute(update(TimeEntry.__table__).where(TimeEntry.__table__.c.id == entry.id)
                          .values(ledger_transaction_id=posted.transaction_id))
    if await is_reachable(session, entry.member_id):
        balance = await ledger.balance(session, await ledger.member_account_id(session, entry.member_id))
        payload = HoursApproved.model_validate(
            {**entry_facts(entry), "transaction_id": posted.transaction_id, "balance_minutes": balance})
        await enqueue(session, member_id=entry.member_id, payload=payload, dedupe_key=f"hours_approved:{entry.id}",
                      now=now)
    return posted.transaction_id


async def credit_entries(ledger: Ledger, session: AsyncSession, entries: Sequence[TimeEntry], actor_member_id: int,
                         now: datetime) -> dict[int, int]:
    """Credit entries already marked approved, locking accounts in ascending id order (the
    lock order that keeps a batch from deadlocking with single approvals);
    {entry id: transaction id}."""
    account_of = {member_id: await ledger.member_account_id(session, member_id)
                  for member_id in {entry.member_id for entry in entries}}
    if entries:
        await ledger.lock_accounts(session, [await ledger.scheme_account_id(session), *account_of.values()])
    transactions = {}
    for entry in sorted(entries, key=lambda e: (account_of[e.member_id], e.id)):
        transactions[entry.id] = await credit_entry(ledger, session, entry, actor_member_id, now)
    return transactions
