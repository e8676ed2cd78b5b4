"""What Telegram handed over is the database's to keep: a redelivered update is answered
once, and one a process received but never handled is handled by the next."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.enums import InboxStatus
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database
from bot.services.inbox import InboxService
from tests.e2e.conftest import BotUnderTest, register


async def test_a_redelivered_message_is_answered_once(bot: BotUnderTest) -> None:
    member = bot.user(8101, "Sam")
    await register(bot, member)
    update_id = await member.send_text("/help")
    await member.next_message()
    await bot.emulator.redeliver(update_id)
    await member.expect_silence(1.0)
    async with bot.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.update_id == update_id)) == 1


async def test_an_update_a_dead_process_stored_but_never_handled_is_answered_after_a_restart(
        bot: BotUnderTest) -> None:
    member = bot.user(8111, "Sam")
    await register(bot, member)
    await bot.stop()
    # A process received /balance, stored it and confirmed it to Telegram, then died
    # (its lease let go): Telegram will never send it again.
    update_id = await member.send_text("/balance")
    raw = dict(bot.emulator.updates.delivered())[update_id]
    database = Database.from_url(bot.config.database.url)
    try:
        dying = InboxService(database, worker="dead")
        assert [entry.update_id for entry in await dying.receive([raw])] == [update_id]
        await dying.release()
    finally:
        await database.dispose()
    bot.emulator.updates.confirm(update_id + 1)
    await bot.start()
    assert "Your balance" in (await member.next_message()).text
    await member.expect_silence(0.5)  # answered once
    await bot.settled()  # and marked handled just after the answer went out
    async with bot.services.db.read() as session:
        assert await session.scalar(select(InboxUpdate.status).where(
            InboxUpdate.update_id == update_id)) is InboxStatus.HANDLED
