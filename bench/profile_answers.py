"""Where an answer's time goes in the real bot process: `coprod-bot run` under cProfile
(COPROD_PROFILE, bot/cli.py), loaded with a command from registered members through the
emulator, its profile printed by cumulative and by own time. Not a benchmark (no target):
`python -m bench` does not run it.

    python bench/profile_answers.py [--command /balance] [--seconds 10] [--top 40]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_delivery import CHATTER_BASE, CHATTERS, TOKEN, load, load_average, seed, summary  # noqa: E402

from bot.emulator import EmulatorLimits, TelegramEmulator  # noqa: E402
from tests.delivery.bot_processes import BotProcess, write_config  # noqa: E402


async def main(command: str, seconds: float, top: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="profile-answers-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    await seed(url)
    emulator = TelegramEmulator(token=TOKEN, limits=EmulatorLimits(chat_burst=100))
    await emulator.start()
    for n in range(CHATTERS):
        emulator.user(CHATTER_BASE + n)
    profile = directory / "bot.prof"
    bot = BotProcess(directory, emulator, url, write_config(directory))
    bot.environment["COPROD_PROFILE"] = str(profile)
    try:
        await bot.start()
        try:
            await load(emulator, command, 2)  # warm up
            print(f"{command}: {summary(await load(emulator, command, seconds))} [{load_average()}]")
        finally:
            await bot.stop()
    finally:
        await emulator.stop()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(str(profile), stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(out.getvalue())
    print(f"profile kept in {profile} (python -m pstats {profile})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--command", default="/balance")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--top", type=int, default=40)
    arguments = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    asyncio.run(main(arguments.command, arguments.seconds, arguments.top))
