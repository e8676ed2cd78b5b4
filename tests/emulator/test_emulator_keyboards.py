"""Inline keyboard rules and pressing buttons as a user."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton as Btn
from telegram import InlineKeyboardMarkup as Kb
from telegram.error import BadRequest

from bot.emulator import EmulatedUser, TelegramEmulator


async def _refusal(bot: telegram.Bot, emu: TelegramEmulator, markup: object) -> str:
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "dewis", reply_markup=markup)
    return emu.rejections[-1][2]


async def test_callback_data_must_be_1_to_64_bytes(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    await bot.send_message(1001, "ok", reply_markup=Kb([[Btn("x", callback_data="d" * 64)]]))
    # 22 'ŵ' are 44 bytes, plus 21 ASCII = 65 bytes though only 43 characters.
    too_long = Kb([[Btn("x", callback_data="ŵ" * 22 + "a" * 21)]])
    assert await _refusal(bot, emu, too_long) == "Bad Request: BUTTON_DATA_INVALID"


async def test_button_needs_exactly_one_action_and_a_label(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    bare = {"inline_keyboard": [[{"text": "label only"}]]}
    assert await _refusal(bot, emu, bare) == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )
    empty_data = {"inline_keyboard": [[{"text": "x", "callback_data": ""}]]}
    assert "Text buttons are unallowed" in await _refusal(bot, emu, empty_data)
    both = {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://x.cymru"}]]}
    assert "exactly one of the optional fields" in await _refusal(bot, emu, both)
    blank = {"inline_keyboard": [[{"text": " ", "callback_data": "a"}]]}
    assert await _refusal(bot, emu, blank) == "Bad Request: BUTTON_TEXT_INVALID"
    no_text = {"inline_keyboard": [[{"callback_data": "a"}]]}
    assert 'Can\'t find field "text"' in await _refusal(bot, emu, no_text)
    ftp = Kb([[Btn("x", url="ftp://files.example")]])
    assert "Unsupported URL protocol" in await _refusal(bot, emu, ftp)


async def test_press_by_label_substring_and_index(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await bot.send_message(
        1001,
        "Iaith?",
        reply_markup=Kb([[Btn("Cymraeg", callback_data="lang:cy"), Btn("English", callback_data="lang:en")]]),
    )
    await bot.send_message(
        1001,
        "Shifft",
        reply_markup=Kb(
            [[Btn("✅ Ymuno / Join", callback_data="join:12")], [Btn("Map", url="https://map.cymru")]]
        ),
    )
    await ceri.press("English")  # exact label, found on the older message
    await ceri.press("Join")  # substring match
    await ceri.press(1)  # first button of the newest message with a keyboard
    updates = await telegram.Bot.get_updates(bot)
    data = [u.callback_query.data for u in updates]
    assert data == ["lang:en", "join:12", "join:12"]
    assert updates[0].callback_query.message.text == "Iaith?"
    assert updates[0].callback_query.from_user.language_code == "cy"


async def test_press_explains_what_is_wrong(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    with pytest.raises(AssertionError, match="no bot message"):
        await ceri.press(1)
    await bot.send_message(
        1001,
        "x",
        reply_markup=Kb([[Btn("Map", url="https://map.cymru"), Btn("Shift 1", callback_data="s1")],
                         [Btn("Shift 2", callback_data="s2")]]),
    )
    with pytest.raises(AssertionError, match="no button labelled 'Nope'"):
        await ceri.press("Nope")
    with pytest.raises(AssertionError, match="sends no callback query"):
        await ceri.press("Map")
    with pytest.raises(AssertionError, match="ambiguous"):
        await ceri.press("Shift")
    with pytest.raises(AssertionError, match="has 3 buttons"):
        await ceri.press(4)


async def test_button_labels(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await bot.send_message(
        1001, "x", reply_markup=Kb([[Btn("A", callback_data="a")], [Btn("B", url="https://b.cymru")]])
    )
    message = await ceri.next_message(timeout=1)
    assert message.button_labels() == ["A", "B"]
    assert message.buttons[1][0].url == "https://b.cymru"
    assert message.buttons[0][0].callback_data == "a"
