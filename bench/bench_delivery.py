"""The delivery engine and the interactive lane, measured black-box.

The emulator and the members' load run in this process; the bot under test runs as its
own process (`coprod-bot run`, or a bare python-telegram-bot bot answering one fixed
reply, the floor), so the figures are ratios to a floor measured in the same run:

- delivery rate achieved / configured: 1,000 recipients at 30/s, timed at the emulator;
- interactive p99 during that delivery / without it (target <= 1.5), at 20 updates/s
  of /help from 50 registered members;
- interactive p99 against the bare bot at the same load (target <= 2x);
- a registered member's /balance against the bare bot (median <= 2.5x, p99 <= 3x);
- the dispatcher's CPU time per message (in this process, a stand-in sender: claiming,
  pacing and recording only);
- transactions and statements one /balance and one /shifts run (target: one each).

The bare bot and coprod-bot run at once, each with its own emulator, and are loaded in
turn (one-second rounds, the order alternating), so the machine's load falls on both
alike: a shared machine makes both slower, not the ratio meaningless.

    python bench/bench_delivery.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bot.config import parse_config  # noqa: E402
from bot.db.session import READ_ONLY, Database  # noqa: E402
from bot.delivery.dispatcher import Dispatcher, DispatcherSettings  # noqa: E402
from bot.delivery.outcomes import Outcome  # noqa: E402
from bot.delivery.pacing import PaceLimits, Pacer  # noqa: E402
from bot.delivery.roles import ProcessRole  # noqa: E402
from bot.emulator import EmulatorLimits, TelegramEmulator  # noqa: E402
from bot.runtime import prepare, start_polling, stop  # noqa: E402
from bot.services.accounts import member_account  # noqa: E402
from bot.services.outbox import OutboxService  # noqa: E402
from tests.conftest import TEST_CONFIG  # noqa: E402
from tests.delivery.bot_processes import BotProcess, sent_count, write_config  # noqa: E402
from tests.delivery.queueing import add_members, queue  # noqa: E402

TOKEN = TEST_CONFIG["telegram"]["token"]
CHATTERS = 50
CHATTER_BASE = 600_000
RECIPIENTS = 1000
RECIPIENT_BASE = 700_000
RATE = 20.0  # updates a second
ROUND_S = 1.0  # one bot loaded at a time, for this long, then the other

BARE_BOT = textwrap.dedent("""
    import os, sys
    from telegram.ext import ApplicationBuilder, CommandHandler
    async def answer(update, context):
        await update.message.reply_text("Help is here.")
    app = ApplicationBuilder().token(os.environ["TOKEN"]).base_url(os.environ["BASE_URL"]).build()
    app.add_handler(CommandHandler(["help", "balance"], answer))
    async def ready(application):
        print("bare bot is running", flush=True)
    app.post_init = ready
    app.run_polling(poll_interval=0.0, timeout=1, stop_signals=None, close_loop=False)
""")


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, p99 {pct(values, 0.99) * 1000:.1f} ms (n={len(values)})"


async def load(emulator: TelegramEmulator, command: str, seconds: float) -> list[float]:
    """`command` from the chatters in turn at RATE a second; each answer's latency."""
    latencies: list[float] = []

    async def one(user_id: int) -> None:
        user = emulator.user(user_id)
        started = time.perf_counter()
        await user.send_text(command)
        await user.next_message(timeout=10)
        latencies.append(time.perf_counter() - started)

    tasks = []
    start = time.perf_counter()
    for n in range(int(seconds * RATE)):
        await asyncio.sleep(max(0.0, start + n / RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(one(CHATTER_BASE + n % CHATTERS)))
    await asyncio.gather(*tasks)
    return latencies


async def seed(url: str) -> list[int]:
    config = parse_config({**TEST_CONFIG, "database": {"url": url}})
    services = await prepare(config)
    now = datetime.now(UTC)
    chatters = await add_members(services.db, CHATTERS, now=now, first_user_id=CHATTER_BASE)
    async with services.db.transaction() as session:
        for member in chatters:
            await member_account(session, member)
    recipients = await add_members(services.db, RECIPIENTS, now=now, first_user_id=RECIPIENT_BASE)
    await services.db.dispose()
    return recipients


async def count_statements(emulator: TelegramEmulator, url: str) -> dict[str, tuple[int, int, int]]:
    """Read-only transactions, writing transactions and statements of one /balance and
    one /shifts, in this process (the inbox's own writes, storing the update and marking
    it handled, are the writing ones). The least of three tries: the inbox's lease
    renewal may fall inside one."""
    config = parse_config({**TEST_CONFIG, "database": {"url": url},
                           "telegram": {**TEST_CONFIG["telegram"], "base_url": emulator.base_url}})
    services = await prepare(config)
    counts = {"read": 0, "write": 0, "statements": 0}
    engine = services.db.engine.sync_engine

    def began(connection: Any) -> None:
        counts["read" if connection.get_execution_options().get(READ_ONLY) else "write"] += 1

    event.listen(engine, "begin", began)
    event.listen(engine, "before_cursor_execute",
                 lambda *_args: counts.__setitem__("statements", counts["statements"] + 1))
    application = await start_polling(services, poll_timeout=1, role=ProcessRole.INGRESS)
    found = {}
    try:
        user = emulator.user(CHATTER_BASE)
        for command in ("/balance", "/shifts"):
            tries = []
            for attempt in range(4):
                await asyncio.sleep(0.3)
                counts.update(read=0, write=0, statements=0)
                await user.send_text(command)
                await user.next_message(timeout=10)
                await asyncio.sleep(0.3)  # anything the handler does after answering
                if attempt:  # the first warms the caches
                    tries.append((counts["read"], counts["write"], counts["statements"]))
            found[command] = min(tries, key=lambda counted: (sum(counted[:2]), counted[2]))
    finally:
        await stop(application)
        await services.db.dispose()
    return found


async def dispatcher_cpu(url: str, recipients: list[int]) -> float:
    """CPU seconds per message of claiming, pacing and recording, with a stand-in sender."""
    db = Database.from_url(url)
    from bot.clock import SystemClock
    clock = SystemClock()
    await queue(db, recipients, now=clock.now(), tag="cpu")
    ids = iter(range(1, 10**9))

    async def send(_row: object) -> Outcome:
        return Outcome.sent(next(ids))

    dispatcher = Dispatcher(OutboxService(db, clock, worker="bench"), send, Pacer(PaceLimits(overall_per_s=1000)),
                            settings=DispatcherSettings(idle_s=0.05))
    cpu = time.process_time()
    dispatcher.start()
    while dispatcher.stats.sent < len(recipients):
        await asyncio.sleep(0.05)
    await dispatcher.stop()
    used = time.process_time() - cpu
    await db.dispose()
    return used / len(recipients)


async def _below(count: Awaitable[int], bound: int) -> bool:
    return await count < bound


def load_average() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


async def interleaved(bots: dict[str, TelegramEmulator], command: str, seconds: float) -> dict[str, list[float]]:
    """`command` at RATE a second to each bot in turn, in rounds of ROUND_S, for `seconds`
    each: whatever else loads the machine loads both alike (the order alternates too)."""
    found: dict[str, list[float]] = {name: [] for name in bots}
    names = list(bots)
    for round_ in range(max(1, round(seconds / ROUND_S))):
        for name in names if round_ % 2 == 0 else reversed(names):
            found[name] += await load(bots[name], command, ROUND_S)
    return found


async def interleaved_while(bots: dict[str, TelegramEmulator], command: str,
                            going: Callable[[], Awaitable[bool]]) -> dict[str, list[float]]:
    """As `interleaved`, round after round for as long as `going` says."""
    found: dict[str, list[float]] = {name: [] for name in bots}
    names = list(bots)
    round_ = 0
    while await going():
        for name in names if round_ % 2 == 0 else reversed(names):
            found[name] += await load(bots[name], command, ROUND_S)
        round_ += 1
    return found


async def start_bare(emulator: TelegramEmulator) -> asyncio.subprocess.Process:
    environment = {**os.environ, "TOKEN": TOKEN, "BASE_URL": emulator.base_url}
    bare = await asyncio.create_subprocess_exec(sys.executable, "-c", BARE_BOT, env=environment,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert bare.stdout is not None
    await asyncio.wait_for(bare.stdout.readline(), 30)
    return bare


async def main(seconds: float) -> None:
    def say(line: str) -> None:
        print(line, flush=True)  # as measured: a later failure loses nothing

    say(f"start: {load_average()}")
    directory = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    recipients = await seed(url)
    # One emulator per bot, so both run at once, each polling its own, and are loaded in turn.
    emulator = TelegramEmulator(token=TOKEN, limits=EmulatorLimits(chat_burst=100))
    floor = TelegramEmulator(token=TOKEN, limits=EmulatorLimits(chat_burst=100))
    for each in (emulator, floor):
        await each.start()
        for n in range(CHATTERS):
            each.user(CHATTER_BASE + n)
    for n in range(RECIPIENTS):
        emulator.user(RECIPIENT_BASE + n)
    sends: list[float] = []
    acquire = emulator.rate_limiter.acquire

    def timed(chat_id: int) -> None:
        acquire(chat_id)
        if chat_id >= RECIPIENT_BASE:
            sends.append(time.perf_counter())

    emulator.rate_limiter.acquire = timed  # type: ignore[method-assign]
    bots = {"coprod-bot": emulator, "bare bot": floor}

    try:
        bot = BotProcess(directory, emulator, url, write_config(directory))
        await bot.start()
        bare = await start_bare(floor)
        try:
            await interleaved(bots, "/help", 2)  # warm up
            helps = await interleaved(bots, "/help", seconds)
            say(f"/help, coprod-bot:      {summary(helps['coprod-bot'])}")
            say(f"/help, bare bot:        {summary(helps['bare bot'])}  [interleaved, {load_average()}]")
            balances = await interleaved(bots, "/balance", seconds)
            say(f"/balance, coprod-bot:   {summary(balances['coprod-bot'])}")
            say(f"/balance, bare bot:     {summary(balances['bare bot'])}  [interleaved, {load_average()}]")
            quiet, bare_help = helps["coprod-bot"], helps["bare bot"]
            balance, bare_balance = balances["coprod-bot"], balances["bare bot"]
            db = Database.from_url(url)
            await queue(db, recipients, now=datetime.now(UTC), tag="newsletter")
            while await sent_count(db) < RECIPIENTS:  # the rate, with nobody chatting
                await asyncio.sleep(0.2)
            rate = (len(sends) - 1) / (sends[-1] - sends[0])
            say(f"delivery: {RECIPIENTS} recipients at {rate:.2f}/s; achieved / configured {rate / 30:.3f} "
                f"(target >= 0.97); emulator refusals {list(emulator.rejections)}  [{load_average()}]")
            # The pacer counts a send from when its answer came (it cannot know when Telegram
            # counted it), so 30 sends take 1 s (and its margin) plus one send's latency.
            say(f"  so one send took about {(30 / rate - 1.002) * 1000:.0f} ms from booking to answer "
                f"(the pace is 30 / (1.002 s + that))")
            await queue(db, recipients, now=datetime.now(UTC), tag="second newsletter")
            # Members chatting while it goes, the bare bot loaded in turn as before.
            # Rounds while at least two seconds of the delivery are left, so that every
            # sample of coprod-bot's is taken during it.
            during = await interleaved_while(bots, "/help", lambda: _below(sent_count(db), 2 * RECIPIENTS - 60))
            busy = during["coprod-bot"]
            say(f"/help, during delivery: {summary(busy)}")
            say(f"/help, bare bot meanwhile: {summary(during['bare bot'])}  [interleaved, {load_average()}]")
            while await sent_count(db) < 2 * RECIPIENTS:
                await asyncio.sleep(0.2)
            await db.dispose()
        finally:
            bare.terminate()
            await bare.wait()
            await bot.stop()
        say(f"emulator refusals after both deliveries: {list(emulator.rejections)}")
        # The same emulator: its update ids go on from those the inbox has seen.
        statements = await count_statements(emulator, url)
    finally:
        await emulator.stop()
        await floor.stop()
    cpu = await dispatcher_cpu(url, recipients)

    say(f"dispatcher CPU per message (claim, pace, record; stand-in sender): {cpu * 1e6:.0f} µs")
    say(f"interactive p99 during delivery / without: {pct(busy, .99) / pct(quiet, .99):.2f} (target <= 1.5)")
    say(f"interactive p99 / bare bot: {pct(quiet, .99) / pct(bare_help, .99):.2f} (target <= 2)")
    say(f"/balance / bare bot: median {statistics.median(balance) / statistics.median(bare_balance):.2f} "
        f"(target <= 2.5), p99 {pct(balance, .99) / pct(bare_balance, .99):.2f} (target <= 3)")
    for command, (reads, writes, count) in statements.items():
        say(f"{command}: read-only transactions of its handling: {reads} (target <= 1); plus {writes} writing "
            f"(the inbox's: storing the update, marking it handled); {count} statements in all")
    say(f"end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each interactive run, per bot")
    asyncio.run(main(parser.parse_args().seconds))
