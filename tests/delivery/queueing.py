"""Members and queued notifications in bulk, for delivery tests and benchmarks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from bot.db.models import Language, Member, MemberKind, OutboxMessage, OutboxStatus
from bot.db.session import Database
from bot.services.outbox import Priority, priority_of
from bot.services.outbox_payloads import CreditsReceived, Payload

FIRST_USER_ID = 700_000


def gift(number: int) -> CreditsReceived:
    return CreditsReceived(transaction_id=number, minutes=60, from_member_id=1, from_display_name="Nia",
                           note=None, balance_minutes=60)


async def add_members(db: Database, count: int, *, now: datetime, first_user_id: int = FIRST_USER_ID) -> list[int]:
    """`count` registered members with Telegram ids first_user_id, first_user_id + 1, ...;
    returns their member ids in that order."""
    async with db.transaction() as session:
        await session.execute(insert(Member), [
            {"kind": MemberKind.INDIVIDUAL, "telegram_user_id": first_user_id + n, "display_name": f"Member {n}",
             "language": Language.EN, "consented_at": now, "registered_at": now} for n in range(count)])
        rows = await session.execute(select(Member.id, Member.telegram_user_id).where(
            Member.telegram_user_id >= first_user_id, Member.telegram_user_id < first_user_id + count))
        by_user = dict((user, member) for member, user in rows.all())
    return [by_user[first_user_id + n] for n in range(count)]


async def queue(db: Database, member_ids: list[int], *, now: datetime, tag: str = "n",
                payload: Payload | None = None, priority: Priority | None = None) -> None:
    """One notification to each member (a member listed twice gets two)."""
    async with db.transaction() as session:
        await session.execute(insert(OutboxMessage), [
            {"member_id": member_id, "kind": (payload or gift(n)).kind,
             "payload": (payload or gift(n)).to_json(), "dedupe_key": f"{tag}:{n}:{member_id}",
             "status": OutboxStatus.PENDING, "not_before": now, "attempts": 0, "created_at": now,
             "priority": int(priority if priority is not None else priority_of((payload or gift(n)).kind))}
            for n, member_id in enumerate(member_ids)])


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
