"""Update handling through the real handlers and database, against a bare bot (issue 13 (a)).

A realistic mix from 50 volunteers and 5 coordinators, black-box through the emulator:
volunteers browse shifts, check their balance, open a shift, sign up and cancel, and log
hours (the whole /log dialogue, sent for approval); coordinators look at /approvals and
approve what waits. Each update is timed from its sending to the bot's answer (a new
message or an edit) and counted as a read (commands that only show) or a write (every
press, the dialogue's text, /log).

The floor is a bare python-telegram-bot bot measured in the same run: it answers every
update with one fixed reply (a press: answerCallbackQuery and an edit, like coprod-bot),
and before answering a write it commits one SQLite transaction (aiosqlite, WAL). Both
bots run at once, each with its own emulator, and are loaded in turn (one-second rounds,
the order alternating), so the machine's load falls on both alike.

- at 30 updates/s: median per kind as a ratio to the floor (write <= 1.5x, read <= 3x),
  and coprod-bot's p99 (target <= 20 ms; the floor's beside it);
- headroom: updates/s with every member sending again as soon as answered (target >= 300
  on 2 cores with SQLite), the floor's beside it.

Telegram's 30 messages/s would cap the headroom at 30 answers a second and, at 30
updates/s, make answers wait for room in the second (Telegram's limit, not handling):
so coprod-bot runs with the paid-broadcast ceiling ([delivery] allow_paid_broadcast,
1,000/s) and both emulators allow that much. Its pacer still counts every answer.

Then (issue 13 (e)) the same on PostgreSQL with two webhook replicas (`coprod-bot serve`,
the emulator spreading its posts over both), when COPROD_BENCH_DATABASE_URL (or
COPROD_TEST_DATABASE_URL) names a PostgreSQL database, which the bench empties; else
skipped with the reason printed. The floor is the same bare bot (SQLite).

    python bench/bench_updates.py [--seconds 20] [--burst 4] [--no-postgres]
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_delivery import TOKEN, load_average, pct  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from bot.config import parse_config  # noqa: E402
from bot.db.models import Role, TimeEntry, TimeEntryStatus  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.emulator import EmulatedUser, EmulatorLimits, TelegramEmulator  # noqa: E402
from bot.runtime import prepare  # noqa: E402
from bot.services import reference  # noqa: E402
from bot.services.accounts import member_account  # noqa: E402
from bot.services.shift_authoring import ShiftDraft  # noqa: E402
from tests.conftest import TEST_CONFIG  # noqa: E402
from tests.delivery.bot_processes import BotProcess, write_config  # noqa: E402
from tests.delivery.queueing import add_members  # noqa: E402

VOLUNTEERS, VOLUNTEER_BASE = 50, 810_000
COORDINATORS, COORDINATOR_BASE = 5, 820_000
SHIFTS = 10
RATE = 30.0  # updates a second
ROUND_S = 1.0
READ, WRITE = "read", "write"

BARE_BOT = textwrap.dedent("""
    import os, aiosqlite
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters
    READS = ("/shifts", "/balance", "/start", "/approvals")
    KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    db = None
    async def write():
        await db.execute("INSERT INTO handled (at) VALUES (julianday('now'))")
        await db.commit()
    async def message(update, context):
        if not update.message.text.startswith(READS):
            await write()
        await update.message.reply_text("Here you are.", reply_markup=KEYBOARD)
    async def press(update, context):
        await write()
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"Done ({update.update_id}).", reply_markup=KEYBOARD)
    async def ready(application):
        global db
        db = await aiosqlite.connect(os.environ["FLOOR_DB"])
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("CREATE TABLE IF NOT EXISTS handled (id INTEGER PRIMARY KEY, at REAL)")
        await db.commit()
        print("bare bot is running", flush=True)
    app = ApplicationBuilder().token(os.environ["TOKEN"]).base_url(os.environ["BASE_URL"]).build()
    app.add_handler(MessageHandler(filters.TEXT, message))
    app.add_handler(CallbackQueryHandler(press))
    app.post_init = ready
    app.run_polling(poll_interval=0.0, timeout=1, stop_signals=None, close_loop=False)
""")


@dataclass(frozen=True)
class Step:
    kind: str
    text: str | None = None  # sent as a message ...
    press: str | int | None = None  # ... or a button pressed
    expect: str | None = None  # the answer says this (other messages, e.g. notices, are passed over)


def volunteer_steps(shift_id: int) -> list[Step]:
    return [
        Step(READ, text="/shifts", expect="shift"),
        Step(READ, text="/balance", expect="balance"),
        Step(READ, text=f"/start shift_{shift_id}", expect="Splott Hub"),
        Step(WRITE, press="Sign up", expect="booked"),
        Step(WRITE, press="Cancel my place", expect="ancel"),
        Step(WRITE, text="/log"),
        Step(WRITE, press="Community hub"),
        Step(WRITE, press="Splott Community Trust"),
        Step(WRITE, press="Yesterday"),
        Step(WRITE, text="1"),
        Step(WRITE, press=1),  # no note
        Step(WRITE, press="Send for approval", expect="approval"),
    ]


COORDINATOR_STEPS = [Step(READ, text="/approvals", expect="aiting"), Step(WRITE, press="approve")]
NOTICES = ("approved", "You approved")  # notifications that may arrive between a member's steps


class Member:
    """One emulated member working through their steps, one update at a time."""

    def __init__(self, user: EmulatedUser, steps: list[Step], *, floor: bool,
                 pending: Callable[[], Awaitable[int | None]]) -> None:
        self.user = user
        self.steps = steps
        self.floor = floor
        self.pending = pending  # a time entry waiting for approval, for coordinators
        self.next = 0
        self.busy = False

    async def step(self, found: list[tuple[str, float]]) -> None:
        step = self.steps[self.next % len(self.steps)]
        self.next += 1
        self.busy = True
        try:
            user = self.user
            user._cursor = len(user._events)
            data: str | None = None
            if step.press == "approve":
                entry = None if self.floor else await self.pending()
                if entry is None and not self.floor:
                    return
                data = "go" if self.floor else f"appr:ok:{entry}"
            started = time.perf_counter()
            if step.text is not None:
                await user.send_text(step.text)
            elif self.floor or data is not None:
                last = user.last_message
                assert last is not None
                query = await user.press_data(last.message_id, data or "go")
                if step.press == "approve":  # answered by an edit, or a toast alone (approved elsewhere)
                    await first_of(user.next_event(timeout=15), user.callback_answer(query, timeout=15))
                    found.append((step.kind, time.perf_counter() - started))
                    return
            else:
                assert step.press is not None
                await user.press(step.press)
            while True:
                event = await user.next_event(timeout=15)
                if self.floor or (step.expect is None and not any(word in event.text for word in NOTICES)) \
                        or (step.expect is not None and step.expect in event.text):
                    break
            found.append((step.kind, time.perf_counter() - started))
        finally:
            self.busy = False


async def first_of(*waits: Awaitable[object]) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in done:
        task.result()


async def paced(members: list[Member], seconds: float, rate: float) -> list[tuple[str, float]]:
    """`rate` updates a second, each from the next member not waiting for an answer."""
    found: list[tuple[str, float]] = []
    tasks = []
    start = time.perf_counter()
    turn = 0
    for n in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        for _ in range(len(members)):
            member = members[turn % len(members)]
            turn += 1
            if not member.busy:
                member.busy = True
                tasks.append(asyncio.create_task(member.step(found)))
                break
    await asyncio.gather(*tasks)
    return found


async def flat_out(members: list[Member], seconds: float) -> float:
    """Every member sends its next update as soon as its last was answered: updates/s."""
    found: list[tuple[str, float]] = []
    deadline = time.perf_counter() + seconds

    async def keep_going(member: Member) -> None:
        while time.perf_counter() < deadline:
            await member.step(found)

    started = time.perf_counter()
    await asyncio.gather(*(keep_going(member) for member in members))
    return len(found) / (time.perf_counter() - started)


async def seed(url: str) -> list[int]:
    """Volunteers (with accounts), coordinators of Splott Community Trust, and SHIFTS open
    shifts next week with room for everyone; returns the shifts' ids."""
    config = parse_config({**TEST_CONFIG, "database": {"url": url}})
    services = await prepare(config)
    now = datetime.now(UTC)
    volunteers = await add_members(services.db, VOLUNTEERS, now=now, first_user_id=VOLUNTEER_BASE)
    coordinators = await add_members(services.db, COORDINATORS, now=now, first_user_id=COORDINATOR_BASE)
    async with services.db.transaction() as session:
        for member in volunteers + coordinators:
            await member_account(session, member)
    for n in range(COORDINATORS):
        await services.members.grant(actor_member_id=None, role=Role.COORDINATOR,
                                     telegram_user_id=COORDINATOR_BASE + n, organisation_slug="splott-community")
    ids = {item.slug: item.id for item in [*await reference.neighbourhoods(services.db),
                                           *await reference.organisations(services.db),
                                           *await reference.activity_types(services.db)]}
    shifts = []
    for n in range(SHIFTS):
        starts = (now + timedelta(days=5 + n)).replace(hour=10, minute=0, second=0, microsecond=0)
        created = await services.shifts.create_shifts(coordinators[0], ShiftDraft(
            organisation_id=ids["splott-community"], activity_type_id=ids["community-hub"],
            neighbourhood_id=ids["splott"], venue="Splott Hub", starts_at=starts, ends_at=starts + timedelta(hours=2),
            capacity=VOLUNTEERS + 10, requires_dbs=False, description_en="Serve lunch", description_cy="Gweini cinio"))
        shifts += created.shift_ids
    await services.db.dispose()
    return shifts


def members_of(emulator: TelegramEmulator, shifts: list[int], *, floor: bool,
               pending: Callable[[], Awaitable[int | None]]) -> list[Member]:
    volunteers = [Member(emulator.user(VOLUNTEER_BASE + n, "Sam"), volunteer_steps(shifts[n % len(shifts)]),
                         floor=floor, pending=pending) for n in range(VOLUNTEERS)]
    coordinators = [Member(emulator.user(COORDINATOR_BASE + n, "Tom"), COORDINATOR_STEPS, floor=floor,
                           pending=pending) for n in range(COORDINATORS)]
    # Coordinators spread among the volunteers, as they would write.
    every = len(volunteers) // len(coordinators)
    mixed: list[Member] = []
    for n, volunteer in enumerate(volunteers):
        mixed.append(volunteer)
        if n % every == every - 1 and coordinators:
            mixed.append(coordinators.pop())
    return mixed


def figures(found: list[tuple[str, float]], kind: str | None = None) -> list[float]:
    return [latency for each, latency in found if kind is None or each == kind]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, p99 {pct(values, .99) * 1000:.1f} ms (n={len(values)})"


async def start_bare(emulator: TelegramEmulator, directory: Path) -> asyncio.subprocess.Process:
    environment = {**os.environ, "TOKEN": TOKEN, "BASE_URL": emulator.base_url,
                   "FLOOR_DB": str(directory / "floor.db")}
    bare = await asyncio.create_subprocess_exec(sys.executable, "-c", BARE_BOT, env=environment,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert bare.stdout is not None
    await asyncio.wait_for(bare.stdout.readline(), 30)
    return bare


Launch = Callable[[TelegramEmulator, str, Path], Awaitable[list[BotProcess]]]


async def polling_bot(emulator: TelegramEmulator, url: str, directory: Path) -> list[BotProcess]:
    """SQLite: one `coprod-bot run` (ingress and worker)."""
    bot = BotProcess(directory, emulator, url, write_config(directory, allow_paid_broadcast=True))
    await bot.start()
    return [bot]


async def webhook_replicas(emulator: TelegramEmulator, url: str, directory: Path) -> list[BotProcess]:
    """PostgreSQL: two `coprod-bot serve` replicas, the emulator spreading the webhook's
    posts over both as a load balancer would."""
    from tests.delivery.test_webhook_replicas import PUBLIC_URL, Replica

    config = write_config(directory, allow_paid_broadcast=True)
    config.write_text(config.read_text() + f'\n[webhook]\nurl = "{PUBLIC_URL}"\nreplicas = 2\n')
    replicas = [Replica(directory, emulator, url, config) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    emulator.spread_webhook([replica.url + "/telegram" for replica in replicas])
    deadline = time.monotonic() + 30
    while not emulator.webhook.active:
        if time.monotonic() > deadline:
            raise RuntimeError("the leader did not register the webhook within 30 s")
        await asyncio.sleep(0.1)
    return list(replicas)


async def empty_postgres(url: str) -> None:
    """The bench's own database, emptied: every table is made afresh by the migrations."""
    database = Database.from_url(url)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.dispose()


async def measure(label: str, url: str, directory: Path, launch: Launch, seconds: float, burst: float,
                  say: Callable[[str], None]) -> None:
    directory.mkdir(exist_ok=True)
    shifts = await seed(url)
    db = Database.from_url(url)
    taken: set[int] = set()

    async def pending() -> int | None:
        """A time entry waiting for approval that no coordinator here has pressed yet."""
        async with db.read() as session:
            entry = await session.scalar(select(TimeEntry.id).where(
                TimeEntry.status == TimeEntryStatus.PENDING, TimeEntry.id.not_in(taken or {0}))
                .order_by(TimeEntry.id).limit(1))
        if entry is not None:
            taken.add(entry)
        return entry

    # Handling measured, not Telegram's 30/s (see above): the paid-broadcast rate.
    limits = EmulatorLimits(chat_burst=1000, global_per_s=1000)
    emulator, floor = TelegramEmulator(token=TOKEN, limits=limits), TelegramEmulator(token=TOKEN, limits=limits)
    for each in (emulator, floor):
        await each.start()
    bots = {"coprod-bot": members_of(emulator, shifts, floor=False, pending=pending),
            "bare bot": members_of(floor, shifts, floor=True, pending=pending)}
    processes: list[BotProcess] = []
    try:
        processes = await launch(emulator, url, directory)
        bare = await start_bare(floor, directory)
        try:
            found: dict[str, list[tuple[str, float]]] = {name: [] for name in bots}
            rates: dict[str, list[float]] = {name: [] for name in bots}
            names = list(bots)
            for name in names:  # warm up: caches, connections, a first pass of every step
                await paced(bots[name], 2, RATE)
            for round_ in range(max(1, round(seconds / ROUND_S))):
                for name in names if round_ % 2 == 0 else reversed(names):
                    found[name] += await paced(bots[name], ROUND_S, RATE)
            say(f"{label}: at {RATE:.0f} updates/s, interleaved  [{load_average()}]")
            for name in names:
                for kind in (READ, WRITE):
                    say(f"  {name} {kind}s: {ms(figures(found[name], kind))}")
            for round_ in range(4):
                for name in names if round_ % 2 == 0 else reversed(names):
                    rates[name].append(await flat_out(bots[name], burst / 4))
            say(f"{label}: flat out, interleaved: coprod-bot {statistics.mean(rates['coprod-bot']):.0f} updates/s, "
                f"bare bot {statistics.mean(rates['bare bot']):.0f} updates/s  [{load_average()}]")
        finally:
            bare.terminate()
            await bare.wait()
            for process in processes:
                await process.stop()
    finally:
        await emulator.stop()
        await floor.stop()
        await db.dispose()
    ours, bare_found = found["coprod-bot"], found["bare bot"]
    for kind, bound in ((WRITE, 1.5), (READ, 3.0)):
        ratio = statistics.median(figures(ours, kind)) / statistics.median(figures(bare_found, kind))
        say(f"{label}: {kind} path median / bare bot: {ratio:.2f} (target <= {bound})")
    say(f"{label}: p99 at {RATE:.0f} updates/s, ms: {pct(figures(ours), .99) * 1000:.1f} (target <= 20) "
        f"(bare bot {pct(figures(bare_found), .99) * 1000:.1f})")
    say(f"{label}: headroom, updates/s: {statistics.mean(rates['coprod-bot']):.0f} (target >= 300) "
        f"(bare bot {statistics.mean(rates['bare bot']):.0f}, {os.cpu_count()} cores)")


async def main(seconds: float, burst: float, postgres: bool) -> None:
    def say(line: str) -> None:
        print(line, flush=True)

    say(f"start: {load_average()}")
    directory = Path(tempfile.mkdtemp(prefix="bench-updates-"))
    await measure("SQLite, one process", f"sqlite+aiosqlite:///{directory / 'bench.db'}", directory, polling_bot,
                  seconds, burst, say)
    url = os.environ.get("COPROD_BENCH_DATABASE_URL") or os.environ.get("COPROD_TEST_DATABASE_URL")
    if not postgres:
        say("PostgreSQL, two webhook replicas: skipped (--no-postgres)")
    elif not url:
        say("PostgreSQL, two webhook replicas: skipped: set COPROD_BENCH_DATABASE_URL (or COPROD_TEST_DATABASE_URL) "
            "to a PostgreSQL database the bench may empty")
    else:
        await empty_postgres(url)
        await measure("PostgreSQL, two webhook replicas", url, directory / "pg", webhook_replicas, seconds, burst, say)
    say(f"end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="paced load per bot")
    parser.add_argument("--burst", type=float, default=4.0, help="flat-out load per bot")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false",
                        help="SQLite only, even where a PostgreSQL URL is set")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.burst, arguments.postgres))
