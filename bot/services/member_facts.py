"""Two facts about a member that several services ask inside their own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member


async def is_registered(session: AsyncSession, member_id: int) -> bool:
    """Known, registered and not erased: someone credits can belong to."""
    row = (await session.execute(select(Member.registered_at, Member.erased_at)
                                 .where(Member.id == member_id))).one_or_none()
    return row is not None and row.registered_at is not None and row.erased_at is None


async def is_reachable(session: AsyncSession, member_id: int) -> bool:
    """Has Telegram and is not erased: someone a notification can be recorded for."""
    row = (await session.execute(select(Member.telegram_user_id, Member.erased_at)
                                 .where(Member.id == member_id))).one_or_none()
    return row is not None and row.telegram_user_id is not None and row.erased_at is None
