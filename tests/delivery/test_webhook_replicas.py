"""Two `coprod-bot serve` replicas on one PostgreSQL database, sharing nothing else, with
the emulator in front spreading Telegram's webhook posts over both as a load balancer
would (each post to the next replica, so one dialogue's consecutive updates land on
different replicas). Every dialogue completes, every notification (reminders of a shift
among them) goes out exactly once,
and killing the leader hands the worker role (and the webhook's registration) to the
other replica, which carries on with the dialogues and the deliveries."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from bot.config import parse_config
from bot.db.models import (
    ActivityType,
    Neighbourhood,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Shift,
    ShiftSignup,
    SignupStatus,
)
from bot.db.runtime_models import LeaderLease
from bot.db.session import Database
from bot.emulator import EmulatedUser, EmulatorLimits, TelegramEmulator
from bot.services.outbox_payloads import OutboxKind
from bot.services.shift_notices import ShiftNotices
from tests.conftest import NO_POSTGRES, POSTGRES_URL, TEST_CONFIG, _fresh_postgres
from tests.delivery.bot_processes import BotProcess, leader, sent_count, write_config
from tests.delivery.queueing import FIRST_USER_ID, add_members, queue
from tests.e2e.conftest import register

SECRET = "two-replicas-secret_0123456789"
PUBLIC_URL = "https://bot.example.org/telegram"
RECIPIENTS = 40


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replica(BotProcess):
    """`coprod-bot serve` on a port of its own."""

    def __init__(self, directory: Path, emulator: TelegramEmulator, database_url: str, config: Path) -> None:
        super().__init__(directory, emulator, database_url, config)
        self.port = free_port()
        self.arguments = ["serve", "--config", str(config)]
        self.environment.update({"COPROD_WEBHOOK__SECRET": SECRET, "COPROD_WEBHOOK__LISTEN_PORT": str(self.port)})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def holder_prefix(self) -> str:
        return f"{socket.gethostname()[:30]}-{self.pid}-"  # bot/services/container.py worker_name


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    if not POSTGRES_URL:
        pytest.skip(f"two replicas share one PostgreSQL database (SQLite serves one process): {NO_POSTGRES}")
    database = await _fresh_postgres()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot",
                                limits=EmulatorLimits(chat_burst=60))
    await emulator.start(host="127.0.0.1", port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


async def eventually(condition: Callable[[], bool | Awaitable[bool]], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await _truth(condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.2)


async def a_dialogue(member: EmulatedUser) -> None:
    """Registration (five updates) and a balance: a whole dialogue, step by step."""
    await register(None, member, name=f"Resident {member.user_id}")  # type: ignore[arg-type]
    await member.send_text("/balance")
    assert "Your balance" in (await member.next_message(timeout=20)).text


async def booked_shift(database: Database, members: list[int], *, starts_at: datetime) -> int:
    """A shift of the Splott trust with every one of `members` booked."""
    async with database.transaction() as session:
        organisation = await session.scalar(select(Organisation.id).where(Organisation.slug == "splott-community"))
        activity = await session.scalar(select(ActivityType.id).where(ActivityType.slug == "community-hub"))
        neighbourhood = await session.scalar(select(Neighbourhood.id).where(Neighbourhood.slug == "splott"))
        shift = Shift(organisation_id=organisation, activity_type_id=activity, neighbourhood_id=neighbourhood,
                      venue="Splott Community Centre", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                      capacity=len(members), booked_count=len(members), created_by_member_id=members[0])
        session.add(shift)
        await session.flush()
        # Booked a day ago, before the 24-hour reminder time, which has passed: that reminder is due
        # (late) now; a reminder time before the booking would be skipped (reminder_rules).
        booked = datetime.now(UTC) - timedelta(days=1)
        session.add_all(ShiftSignup(shift_id=shift.id, member_id=member, status=SignupStatus.BOOKED,
                                    created_at=booked, booked_at=booked) for member in members)
        return shift.id


def received(emulator: TelegramEmulator, first: int = FIRST_USER_ID) -> Counter[int]:
    return Counter({first + n: len(emulator.user(first + n).messages) for n in range(RECIPIENTS)})


async def test_two_replicas_share_the_dialogues_and_the_deliveries_and_survive_the_leader(
        tmp_path: Path, database: Database, emulator: TelegramEmulator) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    config = write_config(tmp_path, leader_lease_seconds=2.0)
    # Two replicas, each keeping to half of the bot's rate: Telegram counts them as one.
    config.write_text(config.read_text() + f'\n[webhook]\nurl = "{PUBLIC_URL}"\nreplicas = 2\n')
    replicas = [Replica(tmp_path, emulator, url, config) for _ in range(2)]
    try:
        for replica in replicas:
            await replica.start()
        emulator.spread_webhook([replica.url + "/telegram" for replica in replicas])
        await eventually(lambda: emulator.webhook.active, "the leader registers the webhook")
        settings = [params for method, params in emulator.requests if method == "setWebhook"]
        assert len(settings) == 1 and settings[0]["secret_token"] == SECRET  # the leader only

        # One member alone: the load balancer alternates, so each step of her dialogue goes
        # to the other replica from the one before.
        ceri = emulator.user(8301, first_name="Ceri", language_code="en")
        await a_dialogue(ceri)
        hers = [target for update_id, target in sorted(emulator.webhook.state.delivered_to.items())]
        assert len(hers) == 6 and all(a != b for a, b in itertools.pairwise(hers)), hers
        # Several at once, interleaved over both replicas.
        await asyncio.gather(*(a_dialogue(emulator.user(8310 + n, first_name=f"N{n}", language_code="en"))
                               for n in range(6)))

        # Notifications (the outbox rows reminders are): each member gets exactly one.
        now = datetime.now(UTC)
        members = await add_members(database, RECIPIENTS, now=now)
        for n in range(RECIPIENTS):
            emulator.user(FIRST_USER_ID + n)
        await queue(database, members, now=now, tag="first")
        await eventually(lambda: _at_least(sent_count(database), RECIPIENTS), "the first delivery")
        assert set(received(emulator).values()) == {1}

        # Forty of them booked on a shift in three hours: their reminders are due, and the
        # reminder job (every 5 minutes on the leader) has not run since.
        shift_id = await booked_shift(database, members, starts_at=datetime.now(UTC) + timedelta(hours=3))

        # The leader dies (SIGKILL, no clean-up): the other replica takes the lease, the
        # webhook's registration and the deliveries, runs every job at once (the reminders)
        # and carries on answering.
        holder = await leader(database)
        assert holder is not None
        dying = next(replica for replica in replicas if holder[0].startswith(replica.holder_prefix))
        survivor = next(replica for replica in replicas if replica is not dying)
        await dying.kill()
        await eventually(lambda: _led_by(database, survivor), "the survivor leads", timeout=20)
        await eventually(lambda: len([m for m, _ in emulator.requests if m == "setWebhook"]) == 2,
                         "the new leader registers the webhook again")
        await queue(database, members, now=datetime.now(UTC), tag="second")
        dai = emulator.user(8401, first_name="Dai", language_code="en")
        await a_dialogue(dai)  # the dead replica's posts fail and are retried on the survivor
        await eventually(lambda: _at_least(sent_count(database), 3 * RECIPIENTS),
                         "the reminders and the second delivery")
        # A second run of the reminder job (two leaders must be safe) queues nothing more.
        notices = ShiftNotices(database, parse_config(TEST_CONFIG), SystemClock())
        assert await notices.queue_due_reminders() == 0
        await asyncio.sleep(1.0)
        assert set(received(emulator).values()) == {3}  # a gift, a reminder, a gift: none lost or doubled
        async with database.read() as session:
            reminders = list(await session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == OutboxKind.SHIFT_REMINDER.value)))
        assert len(reminders) == RECIPIENTS and {row.status for row in reminders} == {OutboxStatus.SENT}
        assert {row.payload["shift_id"] for row in reminders} == {shift_id}
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(survivor.url + "/metrics")).text
            assert (await client.get(survivor.url + "/readyz")).status_code == 200
        assert "\ncoprod_leader 1.0\n" in metrics
        # SIGTERM: in-flight updates finish, the lease is given up at once.
        await survivor.stop()
        assert survivor.process is not None and survivor.process.returncode == 0
        async with database.read() as session:
            expires = await session.scalar(select(LeaderLease.expires_at))
        assert expires is not None and expires < datetime.now(UTC)  # given up, not left to lapse
    finally:
        for replica in replicas:
            await replica.stop()
    assert emulator.rejections == [], emulator.rejections


async def _truth(value: bool | Awaitable[bool]) -> bool:
    return await value if inspect.isawaitable(value) else value


async def _at_least(count: Awaitable[int], target: int) -> bool:
    return await count >= target


async def _led_by(database: Database, replica: Replica) -> bool:
    holder = await leader(database)
    return holder is not None and holder[0].startswith(replica.holder_prefix)
