"""getUpdates: long polling, offsets, limits, filters, redelivery, conflicts."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time

import pytest
import telegram
from telegram.error import Conflict

from bot.emulator import EmulatedUser, TelegramEmulator


async def test_long_poll_wakes_when_an_update_arrives(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    assert not poll.done()  # nothing queued: the server is holding the request
    update_id = await ceri.send_text("/start shift_12")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message.text == "/start shift_12"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert message.from_user.language_code == "cy"


async def test_long_poll_honours_timeout(bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=200)) == ()
    assert 0.15 < time.monotonic() - started < 0.9


async def test_offset_confirms_and_limit_pages(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    ids = [await ceri.send_text(f"neges {n}") for n in range(3)]
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    again = await bot.get_updates()  # nothing confirmed yet: same updates again
    assert [u.update_id for u in again] == ids
    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_commands_get_entities_like_telegram(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await ceri.send_text("/help@coprod_test_bot now")
    await ceri.send_text("/ not a command, nor a/b")
    await ceri.send_text("🕰 dim /start")
    first, second, third = (u.message for u in await bot.get_updates())
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bot_command", 0, 21)]
    assert second.entities == ()
    # Telegram marks commands anywhere; the offset counts the emoji as two units.
    assert [(e.offset, e.length) for e in third.entities] == [(7, 6)]


async def test_allowed_updates_filters_and_persists(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    sent = await bot.send_message(1001, "x", reply_markup=telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("y", callback_data="y")]]))
    await ceri.send_text("helo")
    await ceri.press_data(sent.message_id, "y")
    only_callbacks = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in only_callbacks] == ["y"]
    await ceri.send_text("ignored too")
    assert [u.callback_query is not None for u in await bot.get_updates()] == [True]


async def test_redelivery_keeps_the_update_id(bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator) -> None:
    update_id = await ceri.send_text("ymuno")
    (update,) = await bot.get_updates()
    assert await bot.get_updates(offset=update_id + 1) == ()  # confirmed
    await emu.redeliver(update_id)
    (again,) = await bot.get_updates(offset=update_id + 1)  # despite the confirmed offset
    assert again.update_id == update_id and again.message.text == "ymuno"
    assert await bot.get_updates(offset=update_id + 1) == ()  # confirmed once more
    with pytest.raises(KeyError):
        await emu.redeliver(9999)


async def test_redelivered_update_waits_for_its_own_confirmation(
    bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator
) -> None:
    update_id = await ceri.send_text("one")
    await bot.get_updates(offset=update_id + 1)
    await emu.redeliver(update_id)
    later = await ceri.send_text("two")
    # The bot "dies" after receiving the batch and restarts without an offset.
    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1)] == [update_id, later]
    assert [u.update_id for u in await bot.get_updates()] == [update_id, later]
    assert await bot.get_updates(offset=later + 1) == ()


async def test_drop_pending_updates(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await ceri.send_text("hen")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_two_pollers_conflict(emu: TelegramEmulator, bot: telegram.Bot, make_bot) -> None:
    async with make_bot() as second_instance:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(second_instance.get_updates(timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 2)
        assert await second == ()
    assert emu.rejections == [
        (
            "getUpdates",
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )
    ]


async def test_stop_releases_waiting_pollers(emu: TelegramEmulator, bot: telegram.Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await emu.stop()
    assert await asyncio.wait_for(poll, 2) == ()
    assert time.monotonic() - started < 1
