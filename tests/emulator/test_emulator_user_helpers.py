"""The test-side helpers: waiting, silence, users, useful failure messages."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram.error import BadRequest

from bot.emulator import EmulatedUser, TelegramEmulator


async def test_user_is_idempotent_and_updatable(emu: TelegramEmulator) -> None:
    ceri = emu.user(1001, first_name="Ceri", language_code="cy")
    assert emu.user(1001) is ceri
    assert ceri.language_code == "cy"
    emu.user(1001, language_code="en", username="ceri_j")
    assert (ceri.first_name, ceri.language_code, ceri.username) == ("Ceri", "en", "ceri_j")
    assert emu.user(2002).first_name == "User2002"


async def test_timeout_message_explains_what_the_chat_got(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await bot.send_message(1001, "Croeso")
    assert (await ceri.next_message(timeout=1)).text == "Croeso"
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "<b>Shifft", parse_mode="HTML")
    with pytest.raises(TimeoutError) as caught:
        await ceri.next_message(timeout=0.05)
    report = str(caught.value)
    assert "no new bot message in chat 1001" in report
    assert "#1 text 'Croeso'" in report
    assert "can't parse entities" in report


async def test_waiting_for_a_message_that_arrives_later(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    async def reply_soon() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(1001, "yn hwyrach")

    task = asyncio.create_task(reply_soon())
    assert (await ceri.next_message(timeout=1)).text == "yn hwyrach"
    await task


async def test_expect_silence(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await ceri.expect_silence(0.05)
    await bot.send_message(1001, "unread")
    with pytest.raises(AssertionError, match="(?s)expected silence in chat 1001.*unread"):
        await ceri.expect_silence(0.05)

    async def interrupt() -> None:
        await asyncio.sleep(0.02)
        await bot.send_message(1001, "interruption")

    await ceri.next_message(timeout=1)
    task = asyncio.create_task(interrupt())
    with pytest.raises(AssertionError, match="interruption"):
        await ceri.expect_silence(0.5)
    await task
