"""Telegram's flood control never costs a member their answer: the answer waits for as
long as Telegram says (never less) and goes; held back longer than an answer may wait,
the update goes back to the inbox and is handled again once Telegram allows."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.db.enums import InboxStatus
from bot.db.runtime_models import InboxUpdate
from bot.delivery import lanes
from bot.emulator.errors import too_many_requests
from tests.e2e.conftest import BotUnderTest, register


async def test_an_answer_refused_twice_by_flood_control_still_reaches_the_member(bot: BotUnderTest) -> None:
    """Sam asks for his balance while Telegram is flooding the bot: the answer is refused
    twice, each time with "retry after 1". He gets it all the same, a little later, in
    the same handling of his update, and no "something went wrong"."""
    sam = bot.user(8301, "Sam")
    await register(bot, sam)
    bot.emulator.fail_next("sendMessage", too_many_requests(1), times=2)
    update_id = await sam.send_text("/balance")
    answer = await sam.next_message(timeout=10)
    assert "time credits" in answer.text
    assert "went wrong" not in answer.text
    refused = [entry for entry in bot.emulator.rejections if entry[0] == "sendMessage"]
    assert [code for _, code, _ in refused] == [429, 429]
    assert (await inbox_row(bot, update_id)).attempts == 1
    bot.emulator.forget_rejections("sendMessage")


async def test_an_update_whose_answer_flood_control_holds_back_too_long_is_handled_again(
        bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Flood control holds Alys's answer back past what an answer may wait: her /balance
    is not marked handled and forgotten, but handed back to the inbox, and handled again
    once Telegram allows: she gets her answer, once."""
    monkeypatch.setattr(lanes, "INTERACTIVE_PATIENCE_S", 1.5)
    await bot.restart()  # the lanes read their patience when the bot is built
    alys = bot.user(8302, "Alys")
    await register(bot, alys)
    bot.emulator.fail_next("sendMessage", too_many_requests(1), times=3)
    with caplog.at_level(logging.WARNING):
        update_id = await alys.send_text("/balance")
        answer = await alys.next_message(timeout=20)
    assert "time credits" in answer.text
    assert any("handed back to the inbox" in record.getMessage() for record in caplog.records)
    row = await inbox_row(bot, update_id)
    assert row.status == InboxStatus.HANDLED
    assert row.attempts == 2
    with pytest.raises(TimeoutError):
        await alys.next_message(timeout=1)
    bot.emulator.forget_rejections("sendMessage")


async def inbox_row(bot: BotUnderTest, update_id: int) -> InboxUpdate:
    await bot.settled(timeout=10)
    assert bot.services is not None
    async with bot.services.db.read() as session:
        return (await session.execute(select(InboxUpdate).where(InboxUpdate.update_id == update_id))).scalar_one()
