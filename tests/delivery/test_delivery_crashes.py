"""The bot process killed with SIGKILL in the middle of deliveries, as a power cut would:
every recipient gets their message, and the only repeats are sends that were in flight
(sent, not yet recorded) at a kill. Real `coprod-bot run` processes, the emulator with
Telegram's limits."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.db.session import Database
from bot.emulator import EmulatorLimits, TelegramEmulator
from tests.conftest import TEST_CONFIG
from tests.delivery.bot_processes import BotProcess, leader, pending_chats, sent_count, write_config
from tests.delivery.queueing import FIRST_USER_ID, add_members, queue

RECIPIENTS = 1000


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot",
                                limits=EmulatorLimits(global_per_s=30, chat_burst=1, chat_rate_per_s=1.0))
    await emulator.start(host="127.0.0.1", port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


def received(emulator: TelegramEmulator) -> Counter[int]:
    return Counter({FIRST_USER_ID + n: len(emulator.user(FIRST_USER_ID + n).messages) for n in range(RECIPIENTS)})


async def in_flight_at_kill(db: Database, emulator: TelegramEmulator, chat_of: dict[int, int],
                            already: Counter[int]) -> int:
    """Sends Telegram took that the dead process never recorded: they will go again."""
    await asyncio.sleep(0.5)  # a request already on the wire is still answered after its sender died
    now = received(emulator)
    return sum(1 for member in await pending_chats(db) if now[chat_of[member]] > already[chat_of[member]])


async def delivered(db: Database, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while await sent_count(db) < total:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {await sent_count(db)} of {total} sent after {timeout} s")
        await asyncio.sleep(0.3)


async def prepared(db: Database, emulator: TelegramEmulator, clock: FrozenClock, tag: str,
                   members: list[int] | None = None) -> list[int]:
    now = datetime.now(timezone.utc)  # the processes run on the real clock
    if members is None:
        members = await add_members(db, RECIPIENTS, now=now)
        for n in range(RECIPIENTS):
            emulator.user(FIRST_USER_ID + n)
    await queue(db, members, now=now, tag=tag)
    return members


async def killed_mid_delivery(db: Database, bot: BotProcess, shuffle: random.Random) -> None:
    """SIGKILL at a random moment once the process has sent a few more (5 to 40): timed by
    progress, not by the clock, so on a loaded machine too every kill lands mid-delivery
    (20 kills send at most 800 of the 1,000) rather than after it was over."""
    loop = asyncio.get_running_loop()
    target = await sent_count(db) + shuffle.randint(5, 40)
    deadline = loop.time() + 60
    while await sent_count(db) < target and loop.time() < deadline:
        await asyncio.sleep(shuffle.uniform(0.0, 0.05))
    await bot.kill()


async def test_killed_twenty_times_during_a_thousand_recipient_delivery_nobody_is_missed(
        emulator: TelegramEmulator, db: Database, clock: FrozenClock, tmp_path: Path) -> None:
    if db.dialect != "sqlite":
        pytest.skip("the crash test runs on SQLite, the one-process set-up; PostgreSQL is the two-worker test's")
    members = await prepared(db, emulator, clock, "crash")
    chat_of = {member: FIRST_USER_ID + n for n, member in enumerate(members)}
    url = db.engine.url.render_as_string(hide_password=False)
    bot = BotProcess(tmp_path, emulator, url, write_config(tmp_path, leader_lease_seconds=1.0))
    shuffle = random.Random(20261201)
    bound, kills = 0, []
    for _ in range(20):
        before = received(emulator)
        await bot.start()
        await killed_mid_delivery(db, bot, shuffle)
        flying = await in_flight_at_kill(db, emulator, chat_of, before)
        bound += flying
        kills.append((await sent_count(db), flying))
    await bot.start()
    try:
        await delivered(db, RECIPIENTS, timeout=120)
    finally:
        await bot.stop()
    counts = received(emulator)
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    print(f"\n20 kills (sent so far, in flight at the kill): {kills}\n"
          f"every recipient reached: {all(counts.values())}; duplicates {duplicates}, "
          f"sends in flight at the kills {bound}")
    assert all(count >= 1 for count in counts.values()), "a recipient was missed"
    assert duplicates <= bound
    assert kills[-1][0] < RECIPIENTS, "the kills all came after the delivery was over: the test proves nothing"


async def test_two_workers_one_leader_and_a_standby_that_takes_over_within_fifteen_seconds(
        emulator: TelegramEmulator, db: Database, clock: FrozenClock, tmp_path: Path) -> None:
    if db.dialect != "postgresql":
        pytest.skip("two worker processes share a PostgreSQL database")
    members = await prepared(db, emulator, clock, "first")
    url = db.engine.url.render_as_string(hide_password=False)
    config = write_config(tmp_path)  # the default lease: 10 s
    workers = [BotProcess(tmp_path, emulator, url, config, role="worker") for _ in range(2)]
    for worker in workers:
        await worker.start()
    try:
        await delivered(db, RECIPIENTS, timeout=120)
        counts = received(emulator)
        assert counts == Counter({FIRST_USER_ID + n: 1 for n in range(RECIPIENTS)})  # 0 duplicates, 0 misses
        holder, term = await leader(db)
        [boss] = [worker for worker in workers if f"-{worker.pid}-" in holder]  # exactly one leads
        [standby] = [worker for worker in workers if worker is not boss]
        from sqlalchemy import select

        from bot.db.models import OutboxMessage
        async with db.read() as session:
            senders = set(await session.scalars(select(OutboxMessage.claimed_by).distinct()))
        assert senders == {holder}, senders  # the standby sent nothing

        chat_of = {member: FIRST_USER_ID + n for n, member in enumerate(members)}
        await prepared(db, emulator, clock, "second", members)
        while await sent_count(db) < RECIPIENTS + 200:
            await asyncio.sleep(0.05)
        await boss.kill()
        killed_at = time.monotonic()
        flying = await in_flight_at_kill(db, emulator, chat_of, Counter(chat_of.values()))  # one each before
        sent_at_kill = await sent_count(db)
        while (now := await leader(db))[0] == holder:
            assert time.monotonic() - killed_at < 15, "the standby did not take over within 15 s"
            await asyncio.sleep(0.1)
        handover = time.monotonic() - killed_at
        assert f"-{standby.pid}-" in now[0] and now[1] == term + 1
        await delivered(db, 2 * RECIPIENTS, timeout=120)
    finally:
        for worker in workers:
            await worker.stop()
    counts = received(emulator)
    duplicates = sum(count - 2 for count in counts.values() if count > 2)
    print(f"\nleader killed after {sent_at_kill - RECIPIENTS} of the second 1,000; standby leader "
          f"{handover:.1f} s later; misses {sum(1 for c in counts.values() if c < 2)}, duplicates {duplicates}, "
          f"in flight at the kill {flying}")
    assert all(count >= 2 for count in counts.values()), "a recipient was missed"
    assert duplicates <= flying
