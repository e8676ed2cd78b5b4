"""answerCallbackQuery bookkeeping and Telegram's refusals."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton as Btn
from telegram import InlineKeyboardMarkup as Kb
from telegram.error import BadRequest

from bot.emulator import EmulatedUser, TelegramEmulator
from bot.emulator.clock import ManualClock

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def _keyboard(bot: telegram.Bot) -> telegram.Message:
    return await bot.send_message(1001, "Ymuno?", reply_markup=Kb([[Btn("Ie", callback_data="yes")]]))


async def test_answers_are_tracked(bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator) -> None:
    await _keyboard(bot)
    first = await ceri.press("Ie")
    second = await ceri.press("Ie")
    assert emu.unanswered_callback_queries() == [first, second]
    await bot.answer_callback_query(first, text="Diolch!", show_alert=True)
    assert await ceri.callback_answer(first, timeout=1) == {"text": "Diolch!", "show_alert": True}
    assert emu.unanswered_callback_queries() == [second]
    with pytest.raises(TimeoutError, match=f"did not answer callback query {second}"):
        await ceri.callback_answer(second, timeout=0.05)


async def test_answering_twice_or_unknown_is_refused(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    await _keyboard(bot)
    query_id = await ceri.press("Ie")
    await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query("123")
    assert [r[2] for r in emu.rejections] == [TOO_OLD, TOO_OLD]


async def test_answer_after_15_seconds_is_refused(
    bot: telegram.Bot, ceri: EmulatedUser, clock: ManualClock
) -> None:
    await _keyboard(bot)
    query_id = await ceri.press("Ie")
    clock.advance(15.5)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id, text="hwyr")


async def test_answer_text_is_limited_to_200(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await _keyboard(bot)
    query_id = await ceri.press("Ie")
    with pytest.raises(BadRequest, match="(?i)message_too_long"):
        await bot.answer_callback_query(query_id, text="a" * 201)
    await bot.answer_callback_query(query_id, text="a" * 200)  # the refusal did not use it up


async def test_forged_callback_data_and_vanished_messages(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    sent = await _keyboard(bot)
    await ceri.press_data(sent.message_id, "admin:delete_everything")
    await ceri.press_data(9999, "yes")  # a message the bot has since deleted
    forged, vanished = (u.callback_query for u in await bot.get_updates())
    assert forged.data == "admin:delete_everything"
    assert forged.message.message_id == sent.message_id
    assert not vanished.message.is_accessible  # date 0: Telegram's InaccessibleMessage
    assert vanished.message.message_id == 9999
