"""Flood control: per-chat token bucket and the global per-second window."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram.error import RetryAfter

from bot.emulator import EmulatorLimits, TelegramEmulator
from bot.emulator.clock import ManualClock


@pytest.fixture
async def tight(clock: ManualClock, make_bot) -> AsyncIterator[tuple[TelegramEmulator, telegram.Bot]]:
    limits = EmulatorLimits(global_per_s=5, chat_burst=3, chat_rate_per_s=0.5)
    async with TelegramEmulator(token="42:TIGHT", limits=limits, clock=clock) as emu:
        for user_id in (1, 2, 3):
            emu.user(user_id)
        async with make_bot("42:TIGHT", emulator=emu) as bot:
            yield emu, bot


async def test_chat_bucket_allows_a_burst_then_429(
    tight: tuple[TelegramEmulator, telegram.Bot], clock: ManualClock
) -> None:
    emu, bot = tight
    for n in range(3):
        await bot.send_message(1, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "one too many")
    # One token refills in 1 / 0.5 = 2 seconds.
    assert retry_seconds(caught.value) == 2
    assert emu.rejections == [
        ("sendMessage", 429, "Too Many Requests: retry after 2")
    ]
    await bot.send_message(2, "other chats are unaffected")
    clock.advance(1.2)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "still too early")
    assert retry_seconds(caught.value) == 1  # 0.8 s left rounds up
    clock.advance(0.8)
    await bot.send_message(1, "refilled")


async def test_edits_count_against_the_chat(
    tight: tuple[TelegramEmulator, telegram.Bot], clock: ManualClock
) -> None:
    _, bot = tight
    sent = await bot.send_message(1, "v0")
    await bot.edit_message_text("v1", chat_id=1, message_id=sent.message_id)
    await bot.edit_message_text("v2", chat_id=1, message_id=sent.message_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("v3", chat_id=1, message_id=sent.message_id)


async def test_global_limit_across_chats(
    tight: tuple[TelegramEmulator, telegram.Bot], clock: ManualClock
) -> None:
    emu, bot = tight
    for n in range(5):
        await bot.send_message(1 + n % 3, f"fan-out {n}")
        clock.advance(0.1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(3, "sixth within a second")
    assert retry_seconds(caught.value) == 1
    clock.advance(0.51)  # the first send has left the rolling second
    await bot.send_message(3, "fits again")
    assert [r[1] for r in emu.rejections] == [429]


async def test_refusals_do_not_spend_budget(tight: tuple[TelegramEmulator, telegram.Bot]) -> None:
    _, bot = tight
    for _ in range(5):
        with pytest.raises(telegram.error.BadRequest):
            await bot.send_message(1, "<b>", parse_mode="HTML")
    for n in range(3):
        await bot.send_message(1, f"still a full bucket {n}")


def retry_seconds(error: RetryAfter) -> float:
    """PTB gives an int or a timedelta depending on its configuration."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value
