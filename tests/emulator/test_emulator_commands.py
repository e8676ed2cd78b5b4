"""setMyCommands & co: recorded per scope and language, validated like Telegram."""

from __future__ import annotations

import pytest
import telegram
from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat, MenuButtonCommands
from telegram.error import BadRequest

from bot.emulator import EmulatedUser, TelegramEmulator


async def test_commands_are_recorded_by_scope_and_language(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("dechrau", "Dechrau"), BotCommand("cymorth", "Cymorth")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="cy",
    )
    await bot.set_my_commands([BotCommand("oriau", "Fy oriau")], scope=BotCommandScopeChat(1001))
    assert emu.commands == {
        ("default", ""): [("start", "Start"), ("help", "Help")],
        ("all_private_chats", "cy"): [("dechrau", "Dechrau"), ("cymorth", "Cymorth")],
        ("chat:1001", ""): [("oriau", "Fy oriau")],
    }
    welsh = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="cy")
    assert [c.command for c in welsh] == ["dechrau", "cymorth"]
    assert await bot.get_my_commands(language_code="en") == ()
    await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="cy")
    assert ("all_private_chats", "cy") not in emu.commands


@pytest.mark.parametrize(
    ("commands", "language", "description"),
    [
        ([BotCommand("Start", "x")], None, "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand("shift-list", "x")], None, "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand("start", "  ")], None, "Bad Request: command description must be non-empty"),
        ([BotCommand("a" * 33, "x")], None, "Bad Request: command length must not exceed 32"),
        ([BotCommand("start", "x")], "cym", "Bad Request: invalid language code specified"),
    ],
)
async def test_invalid_commands_are_refused(
    bot: telegram.Bot, emu: TelegramEmulator, commands: list[BotCommand], language: str | None, description: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.set_my_commands(commands, language_code=language)
    assert emu.rejections == [("setMyCommands", 400, description)]
    assert emu.commands == {}


async def test_leading_slash_is_tolerated_like_telegram(bot: telegram.Bot, emu: TelegramEmulator) -> None:
    await bot.set_my_commands([BotCommand("/start", " Dechrau ")])
    assert emu.commands == {("default", ""): [("start", "Dechrau")]}


async def test_menu_button(bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator) -> None:
    assert await bot.set_chat_menu_button(chat_id=1001, menu_button=MenuButtonCommands())
    assert emu.menu_buttons[1001] == {"type": "commands"}
    assert (await bot.get_chat_menu_button(chat_id=1001)).type == "commands"
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.set_chat_menu_button(chat_id=5, menu_button=MenuButtonCommands())
