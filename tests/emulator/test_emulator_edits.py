"""Edits and deletions: events, "not modified", unknown messages."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton as Btn
from telegram import InlineKeyboardMarkup as Kb
from telegram.error import BadRequest

from bot.emulator import EmulatedUser, TelegramEmulator

KEYBOARD = Kb([[Btn("Ymuno", callback_data="join:1")]])


async def test_edit_is_an_event_and_updates_current_state(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    sent = await bot.send_message(1001, "Shifft 1: 2 lle", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "Shifft 1: <b>1 lle</b>", chat_id=1001, message_id=sent.message_id,
        parse_mode="HTML", reply_markup=KEYBOARD,
    )
    assert edited.text == "Shifft 1: 1 lle" and edited.edit_date is not None

    first = await ceri.next_event(timeout=1)
    second = await ceri.next_event(timeout=1)
    assert (first.edited, first.text) == (False, "Shifft 1: 2 lle")  # history is not rewritten
    assert (second.edited, second.text) == (True, "Shifft 1: 1 lle")
    assert second.message_id == sent.message_id
    assert [m.text for m in ceri.messages] == ["Shifft 1: 1 lle"]
    await ceri.expect_silence(0.05)


async def test_next_message_skips_edits(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    sent = await bot.send_message(1001, "one")
    await bot.edit_message_text("one, edited", chat_id=1001, message_id=sent.message_id)
    await bot.send_message(1001, "two")
    assert (await ceri.next_message(timeout=1)).text == "one"
    assert (await ceri.next_message(timeout=1)).text == "two"


async def test_identical_edit_is_not_modified(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    sent = await bot.send_message(1001, "<b>same</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>same</b>", chat_id=1001, message_id=sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
        )
    assert emu.rejections[-1][2] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # Formatting counts as content: the same letters in bold are a change.
    await bot.edit_message_text("same", chat_id=1001, message_id=sent.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id, reply_markup=KEYBOARD)


async def test_edit_without_markup_drops_the_keyboard(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    sent = await bot.send_message(1001, "Dewis", reply_markup=KEYBOARD)
    await bot.edit_message_text("Wedi dewis", chat_id=1001, message_id=sent.message_id)
    assert ceri.last_message.buttons == []
    await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id, reply_markup=KEYBOARD)
    assert ceri.last_message.button_labels() == ["Ymuno"]


async def test_edit_and_delete_unknown_messages(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=77)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(1001, 77)
    sent = await bot.send_message(1001, "dros dro")
    assert await bot.delete_message(1001, sent.message_id) is True
    assert ceri.messages == [] and ceri.last_message is None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=sent.message_id)


async def test_edit_is_checked_like_a_send(bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator) -> None:
    sent = await bot.send_message(1001, "x")
    with pytest.raises(BadRequest, match="(?i)message_too_long"):
        await bot.edit_message_text("y" * 4097, chat_id=1001, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.edit_message_text("<i>y", chat_id=1001, message_id=sent.message_id, parse_mode="HTML")
    doc = await bot.send_document(1001, b"%PDF-1.4", filename="rota.pdf")
    with pytest.raises(BadRequest, match="(?i)there is no text in the message to edit"):
        await bot.edit_message_text("y", chat_id=1001, message_id=doc.message_id)
