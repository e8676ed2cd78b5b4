"""Deliveries through the emulator with Telegram's limits on, the real bot and its real
HTTP stack: a thousand members reached without one 429, flood control waited out when
Telegram answers it anyway, and members who blocked the bot skipped from then on."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.clock import FrozenClock
from bot.db.models import Member, OutboxStatus
from bot.db.session import Database
from bot.emulator import EmulatorLimits, TelegramEmulator
from tests.conftest import TEST_CONFIG
from tests.delivery.queueing import FIRST_USER_ID, add_members, queue, rows
from tests.e2e.conftest import e2e_config, running_bot


async def emulator_with(limits: EmulatorLimits) -> TelegramEmulator:
    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot",
                                limits=limits)
    await emulator.start(host="127.0.0.1", port=0)
    return emulator


@pytest.fixture
async def strict() -> AsyncIterator[TelegramEmulator]:
    """Telegram's limits, with no per-chat burst: a second message to one chat within a
    second is refused, so any per-chat violation shows as a 429."""
    emulator = await emulator_with(EmulatorLimits(global_per_s=30, chat_burst=1, chat_rate_per_s=1.0))
    try:
        yield emulator
    finally:
        await emulator.stop()


def log_flood_control(emulator: TelegramEmulator) -> list[tuple[float, int, bool]]:
    """(when, chat, accepted) of every counted send the emulator judged."""
    judged: list[tuple[float, int, bool]] = []
    acquire = emulator.rate_limiter.acquire

    def judging(chat_id: int) -> None:
        try:
            acquire(chat_id)
        except Exception:
            judged.append((time.monotonic(), chat_id, False))
            raise
        judged.append((time.monotonic(), chat_id, True))

    emulator.rate_limiter.acquire = judging  # type: ignore[method-assign]
    return judged


async def all_settled(db: Database, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await rows(db)
        if all(row.status is not OutboxStatus.PENDING for row in found):
            return found
        await asyncio.sleep(0.2)
    pending = sum(row.status is OutboxStatus.PENDING for row in await rows(db))
    raise AssertionError(f"{pending} notifications still pending after {timeout} s")


def bot_config(emulator: TelegramEmulator, db: Database):  # noqa: ANN201
    return e2e_config(emulator.base_url, db.engine.url.render_as_string(hide_password=False))


async def test_a_thousand_members_reached_without_one_429_or_a_second_message_in_a_second(
        strict: TelegramEmulator, db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 1000, now=clock.now())
    for n in range(1000):
        strict.user(FIRST_USER_ID + n)
    await queue(db, members, now=clock.now())
    await queue(db, members[:50] * 2, now=clock.now(), tag="again")  # 50 members get three each
    judged = log_flood_control(strict)
    async with running_bot(strict, bot_config(strict, db), clock):  # asserts no rejections at the end
        done = await all_settled(db, timeout=120)
    assert strict.rejections == []
    assert all(accepted for _, _, accepted in judged)
    received = Counter(message.chat_id for n in range(1000)
                       for message in strict.user(FIRST_USER_ID + n).messages)
    assert received == Counter({FIRST_USER_ID + n: 3 if n < 50 else 1 for n in range(1000)})
    assert all(row.status is OutboxStatus.SENT and row.telegram_message_id for row in done)
    per_chat: dict[int, list[float]] = {}
    for at, chat, _ in judged:
        per_chat.setdefault(chat, []).append(at)
    assert all(b - a >= 1.0 for sends in per_chat.values() for a, b in zip(sends, sends[1:]))


async def test_flood_control_from_telegram_is_waited_out_and_fails_nothing(
        db: Database, clock: FrozenClock) -> None:
    # Telegram tighter than the bot believes: it answers 429 on its own.
    emulator = await emulator_with(EmulatorLimits(global_per_s=4, chat_burst=20))
    try:
        members = await add_members(db, 30, now=clock.now())
        for n in range(30):
            emulator.user(FIRST_USER_ID + n)
        await queue(db, members, now=clock.now())
        judged = log_flood_control(emulator)
        async with running_bot(emulator, bot_config(emulator, db), clock) as bot:
            done = await all_settled(db, timeout=60)
            emulator.forget_rejections("sendMessage")  # expected here; the fixture would refuse them
            floods = bot.application.bot_data["dispatcher"].stats.flood_waits
    finally:
        await emulator.stop()
    refused = [(at, index) for index, (at, _, accepted) in enumerate(judged) if not accepted]
    assert refused and floods, "the emulator never answered 429: the test proves nothing"
    assert all(row.status is OutboxStatus.SENT and row.attempts == 0 for row in done)
    # After each 429 (retry after 1 s) nothing was tried again before a second had passed.
    for (at, index), wait in zip(refused, floods):
        assert wait == 1
        later = [when for when, _, _ in judged[index + 1:]]
        assert not later or later[0] - at >= wait - 0.01


async def test_members_who_blocked_the_bot_are_marked_unreachable_and_skipped_next_time(
        db: Database, clock: FrozenClock) -> None:
    emulator = await emulator_with(EmulatorLimits())
    try:
        members = await add_members(db, 10, now=clock.now())
        users = [emulator.user(FIRST_USER_ID + n) for n in range(10)]
        for user in users[:3]:
            user.blocked = True  # blocked, and the bot has not heard of it yet
        await queue(db, members, now=clock.now(), tag="first")
        async with running_bot(emulator, bot_config(emulator, db), clock):
            await all_settled(db, timeout=30)
            emulator.forget_rejections("sendMessage")
            asked_before = len(emulator.requests)
            await queue(db, members, now=clock.now(), tag="second")
            done = await all_settled(db, timeout=30)
            second_round = [params["chat_id"] for method, params in emulator.requests[asked_before:]
                            if method == "sendMessage"]
    finally:
        await emulator.stop()
    async with db.read() as session:
        from sqlalchemy import select
        unreachable = set(await session.scalars(select(Member.telegram_user_id).where(
            Member.unreachable_at.is_not(None))))
    assert unreachable == {FIRST_USER_ID, FIRST_USER_ID + 1, FIRST_USER_ID + 2}
    assert sorted(int(chat) for chat in second_round) == [FIRST_USER_ID + n for n in range(3, 10)]
    failed = [row for row in done if row.status is OutboxStatus.FAILED]
    assert len(failed) == 6 and all(row.member_id in members[:3] for row in failed)
    assert all(users[n].messages == [] for n in range(3))
