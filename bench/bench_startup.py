"""Start-up and memory with 10,000 members (issue 13 (d)).

A member's /help waits in the emulator; `coprod-bot run` is started on a SQLite database
of 10,000 registered members (each with an account) and timed from the process's spawn
to that answer reaching the emulator (targets: < 1.5 s); then, after a few more updates,
its resident memory (VmRSS, target < 150 MB). A bare python-telegram-bot bot answering
/help is measured the same way in the same run, its figures beside ours: the part of the
time and memory that is Python and python-telegram-bot themselves.

    python bench/bench_startup.py [--members 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_delivery import BARE_BOT, TOKEN, load_average  # noqa: E402

from bot.config import parse_config  # noqa: E402
from bot.db.models import Account, AccountKind  # noqa: E402
from bot.emulator import EmulatedUser, TelegramEmulator  # noqa: E402
from bot.runtime import prepare  # noqa: E402
from tests.conftest import TEST_CONFIG  # noqa: E402
from tests.delivery.bot_processes import BotProcess, write_config  # noqa: E402
from tests.delivery.queueing import add_members  # noqa: E402

FIRST_USER = 900_000


async def seed(url: str, members: int) -> None:
    config = parse_config({**TEST_CONFIG, "database": {"url": url}})
    services = await prepare(config)
    ids = await add_members(services.db, members, now=datetime.now(UTC), first_user_id=FIRST_USER)
    async with services.db.transaction() as session:  # in bulk: as member_account would open them
        await session.execute(insert(Account), [
            {"kind": AccountKind.MEMBER, "member_id": member, "organisation_id": None, "balance_minutes": 0}
            for member in ids])
    await services.db.dispose()


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def answered(user: EmulatedUser, spawned: float, pid: Callable[[], int]) -> tuple[float, float]:
    """Seconds from `spawned` to the answer of the /help sent before it, and the resident
    memory once five more have been answered."""
    await user.next_message(timeout=60)
    took = time.perf_counter() - spawned
    for _ in range(5):
        await user.send_text("/help")
        await user.next_message(timeout=10)
    return took, resident_mb(pid())


async def main(members: int) -> None:
    def say(line: str) -> None:
        print(line, flush=True)

    say(f"start: {load_average()}")
    directory = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    seeded = time.perf_counter()
    await seed(url, members)
    say(f"seeded {members} members in {time.perf_counter() - seeded:.1f} s")
    emulator = TelegramEmulator(token=TOKEN)
    floor = TelegramEmulator(token=TOKEN)
    for each in (emulator, floor):
        await each.start()
    try:
        # The bare bot first: the disk cache then favours neither (both read the same venv).
        user = floor.user(FIRST_USER)
        await user.send_text("/help")
        environment = {**os.environ, "TOKEN": TOKEN, "BASE_URL": floor.base_url}
        spawned = time.perf_counter()
        bare = await asyncio.create_subprocess_exec(sys.executable, "-c", BARE_BOT, env=environment,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.DEVNULL)
        try:
            bare_took, bare_mb = await answered(user, spawned, lambda: bare.pid)
        finally:
            bare.terminate()
            await bare.wait()
        say(f"bare bot: first answer {bare_took:.2f} s after its spawn, resident {bare_mb:.0f} MB")

        bot = BotProcess(directory, emulator, url, write_config(directory))
        user = emulator.user(FIRST_USER)
        await user.send_text("/help")
        spawned = time.perf_counter()
        starting = asyncio.create_task(bot.start())  # returns once the bot says it is running
        try:
            took, mb = await answered(user, spawned, lambda: bot.pid)
            await starting
        finally:
            await bot.stop()
        say(f"coprod-bot: first answer {took:.2f} s after its spawn, resident {mb:.0f} MB")
    finally:
        await emulator.stop()
        await floor.stop()
    say(f"start-up to first answered update with {members} members, s: {took:.2f} (target < 1.5) "
        f"(bare bot {bare_took:.2f})")
    say(f"resident memory with {members} members, MB: {mb:.0f} (target < 150) (bare bot {bare_mb:.0f})")
    say(f"end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().members))
