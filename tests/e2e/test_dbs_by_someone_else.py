"""A coordinator who needs a DBS check of their own cannot record it themselves."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import DbsCheck, Member, Role
from tests.e2e.conftest import BotUnderTest, grant, register


async def test_a_coordinator_cannot_record_their_own_dbs_check(bot: BotUnderTest) -> None:
    tom = bot.user(6101, "Tom")
    await register(bot, tom)
    await grant(bot, 6101, Role.COORDINATOR, "splott-community")
    async with bot.services.db.read() as session:
        own_number = await session.scalar(select(Member.id).where(Member.telegram_user_id == 6101))
    await tom.send_text(f"/dbs {own_number} 1/11/2026")
    assert "can't record your own DBS check" in (await tom.next_message()).text
    async with bot.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(DbsCheck)) == 0
