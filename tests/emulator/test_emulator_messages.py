"""sendMessage through PTB's real Bot: shapes, limits, markup, chats."""

from __future__ import annotations

import pytest
import telegram
from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest, Forbidden

from bot.emulator import EmulatedUser, TelegramEmulator


async def test_message_comes_back_in_telegram_shape(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    sent = await bot.send_message(1001, "<b>Croeso</b> i'r banc amser 🕰", parse_mode="HTML")
    assert sent.text == "Croeso i'r banc amser 🕰"
    assert sent.from_user.is_bot and sent.from_user.username == "coprod_test_bot"
    assert sent.chat.id == 1001 and sent.chat.type == "private" and sent.chat.first_name == "Ceri"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 6

    seen = await ceri.next_message(timeout=1)
    assert seen.message_id == sent.message_id
    assert seen.text == "Croeso i'r banc amser 🕰"
    assert seen.html == "<b>Croeso</b> i'r banc amser 🕰"
    assert seen.parse_mode == "HTML"
    assert ceri.last_message == seen


async def test_length_is_counted_in_utf16_after_parsing(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    # Markup does not count: 4096 visible characters wrapped in tags is fine.
    await bot.send_message(1001, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    # An astral emoji is two UTF-16 units, so 2049 of them are 4098 > 4096.
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1001, "🌈" * 2049)
    assert emu.rejections == [("sendMessage", 400, "Bad Request: message is too long")]


async def test_empty_and_whitespace_text_is_refused(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    for text in ("", "  \n ", "<b> </b>"):
        with pytest.raises(BadRequest, match="(?i)message text is empty"):
            await bot.send_message(1001, text, parse_mode="HTML")


async def test_bad_html_is_refused_with_telegrams_wording(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "Oriau: <5 awr", parse_mode="HTML")
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "<b>bold <i>both</b></i>", parse_mode="HTML")
    assert [r[2] for r in emu.rejections] == [
        'Bad Request: can\'t parse entities: Unsupported start tag "5" at byte offset 7',
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 15, "
        'expected "</i>", found "</b>"',
    ]
    # Without parse_mode the same text is just text.
    plain = await bot.send_message(1001, "Oriau: <5")
    assert plain.text == "Oriau: <5"


async def test_unknown_parse_mode_is_refused(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    with pytest.raises(BadRequest, match="(?i)unsupported parse_mode"):
        await bot.send_message(1001, "hi", parse_mode="HTM")


async def test_unknown_chat_and_blocked_user(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(4242, "hello?")
    ceri.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "still there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(1001, "typing")
    ceri.unblock()
    await bot.send_message(1001, "welcome back")
    assert [r[:2] for r in emu.rejections] == [
        ("sendMessage", 400),
        ("sendMessage", 403),
        ("sendChatAction", 403),
    ]
    assert (await ceri.next_message(timeout=1)).text == "welcome back"


async def test_block_and_unblock_emit_my_chat_member(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    ceri.block()
    ceri.unblock()
    updates = await bot.get_updates()
    statuses = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in updates
    ]
    assert statuses == [("member", "kicked"), ("kicked", "member")]


async def test_reply_keyboard_is_tracked(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("Cymraeg"), "English"]], one_time_keyboard=True)
    sent = await bot.send_message(1001, "Dewis iaith / Choose language", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram echoes inline keyboards only
    message = await ceri.next_message(timeout=1)
    assert message.reply_keyboard == [["Cymraeg", "English"]]
    assert ceri.reply_keyboard == [["Cymraeg", "English"]]
    await bot.send_message(1001, "Diolch", reply_markup=ReplyKeyboardRemove())
    assert ceri.reply_keyboard is None


async def test_reply_to_unknown_message_is_refused(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    update_id = await ceri.send_text("helo")
    update = (await bot.get_updates())[0]
    assert update.update_id == update_id
    reply = await bot.send_message(1001, "helo!", reply_to_message_id=update.message.message_id)
    assert reply.reply_to_message.text == "helo"
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(1001, "to nothing", reply_to_message_id=999)


async def test_chat_action_is_recorded_and_validated(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await bot.send_chat_action(1001, "upload_document")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(1001, "dancing")
    assert ceri.chat_actions == ["upload_document"]
