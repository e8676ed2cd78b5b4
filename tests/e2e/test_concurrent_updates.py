"""Members are answered side by side: one member's slow request does not keep another
waiting, while a member's own messages are still handled one after another."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.transfers import BalanceSummary
from tests.e2e.conftest import BotUnderTest, register


async def test_a_slow_answer_for_one_member_does_not_delay_another(
        bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    slow, quick = bot.user(8201, "Sam"), bot.user(8202, "Alys")
    await register(bot, slow)
    await register(bot, quick)
    assert bot.services is not None
    transfers = bot.services.transfers
    looked_up = transfers.balance_summary
    slow_member = await bot.services.members.by_telegram_id(slow.user_id)
    assert slow_member is not None
    reached, release = asyncio.Event(), asyncio.Event()

    async def balance_summary(member_id: int) -> BalanceSummary | None:
        if member_id == slow_member.id:  # Sam's balance takes as long as the test says
            reached.set()
            await release.wait()
        return await looked_up(member_id)

    monkeypatch.setattr(transfers, "balance_summary", balance_summary)

    try:
        await slow.send_text("/balance")
        await asyncio.wait_for(reached.wait(), 5)
        await slow.send_text("/help")  # Sam's next message: must wait for the first
        await quick.send_text("/balance")
        assert "Your balance" in (await quick.next_message()).text  # Alys is answered meanwhile
        await quick.send_text("/help")
        assert "/balance" in (await quick.next_message()).text
        await slow.expect_silence(0.5)  # Sam's /help has not overtaken his /balance
    finally:
        release.set()  # (also when an assertion failed: the bot stops only once Sam is answered)
    assert "Your balance" in (await slow.next_message()).text
    assert "/balance" in (await slow.next_message()).text  # then the help, in the order he sent them
