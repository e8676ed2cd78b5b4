"""The weekly summary's missed run, with two real worker processes on one PostgreSQL
database: the bot was down through Monday 08:00 (nothing of that week's summaries is
in the outbox), both workers come back at once, and each staff member gets the missed
summary once: one set of outbox rows, one message per part in Telegram. Brought back
a second time, they send nothing more.

The processes run on the real clock, so the missed run is the last Monday 08:00
(Europe/London) before now, whatever day the test runs on; the staff were granted
their role weeks before it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.config import Config
from bot.db.models import OutboxMessage, OutboxStatus, Role, RoleGrant
from bot.db.session import Database
from bot.db.summary_models import SummarySnapshot
from bot.emulator import TelegramEmulator
from bot.services.outbox_payloads import OutboxKind
from bot.services.summary.delivery import due_at
from tests.conftest import TEST_CONFIG
from tests.delivery.bot_processes import BotProcess, leader, write_config
from tests.services.ledger_helpers import grant

STAFF = {2101: ("splott-community", "cy"), 2102: ("ely-hub", "en")}  # Telegram id: organisation, language


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot")
    await emulator.start(host="127.0.0.1", port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


async def summary_rows(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.WEEKLY_SUMMARY).order_by(OutboxMessage.id))).all())


async def all_sent(db: Database, expected_heads: int, timeout: float) -> list[OutboxMessage]:
    """The summaries' rows once every staff member's are queued and sent."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await summary_rows(db)
        heads = [row for row in rows if row.dedupe_key.endswith(":0")]
        if len(heads) >= expected_heads and all(row.status == OutboxStatus.SENT for row in rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s: {[(row.dedupe_key, row.status) for row in rows]}")
        await asyncio.sleep(0.3)


async def led_again(db: Database, before: tuple[str, float] | None, timeout: float) -> None:
    """Until one of the workers brought back holds a new term of the lease."""
    deadline = time.monotonic() + timeout
    while (now := await leader(db)) is None or now == before or (before is not None and now[1] <= before[1]):
        if time.monotonic() > deadline:
            raise AssertionError(f"no new leader after {timeout} s: {now}")
        await asyncio.sleep(0.2)


def received(emulator: TelegramEmulator) -> dict[int, list[str]]:
    return {user_id: [message.text for message in emulator.user(user_id).messages] for user_id in STAFF}


async def test_a_missed_monday_run_is_sent_once_when_two_workers_come_back(
        emulator: TelegramEmulator, db: Database, config: Config, reference: dict[str, int], make_member: object,
        tmp_path: Path) -> None:
    if db.dialect != "postgresql":
        pytest.skip("two worker processes share a PostgreSQL database (set COPROD_TEST_DATABASE_URL)")
    now = datetime.now(UTC)  # the processes run on the real clock
    due = due_at(config, now)
    assert due.moment <= now
    members: dict[int, int] = {}
    for telegram_user_id, (organisation, language) in STAFF.items():
        emulator.user(telegram_user_id)
        members[telegram_user_id] = await make_member(  # type: ignore[operator]
            f"Staff {telegram_user_id}", telegram_user_id=telegram_user_id, language=language)
        await grant(db, members[telegram_user_id], Role.STAFF, reference[organisation])
    async with db.transaction() as session:  # staff long before the run the bot missed
        await session.execute(update(RoleGrant.__table__).values(granted_at=due.moment - timedelta(days=30)))
    assert await summary_rows(db) == []  # down through the run: nothing of it queued

    url = db.engine.url.render_as_string(hide_password=False)
    config_path = write_config(tmp_path, leader_lease_seconds=2.0)
    workers = [BotProcess(tmp_path, emulator, url, config_path, role="worker") for _ in range(2)]
    await asyncio.gather(*(worker.start() for worker in workers))  # back together
    try:
        # Each staff member's organisation and its neighbourhood: two summaries each.
        rows = await all_sent(db, expected_heads=2 * len(STAFF), timeout=45)
        await asyncio.sleep(2.5)  # another lease term: a second queueing would show by now
        rows = await summary_rows(db)
    finally:
        await asyncio.gather(*(worker.stop() for worker in workers))
    weeks = {row.dedupe_key.split(":")[1] for row in rows}
    assert weeks == {str(due.week)}
    keys = [row.dedupe_key for row in rows]
    assert len(keys) == len(set(keys))
    messages = received(emulator)
    for telegram_user_id in STAFF:
        # One Telegram message per outbox row of theirs, none twice.
        assert len(messages[telegram_user_id]) == sum(1 for row in rows if row.member_id == members[telegram_user_id])
        assert len(set(messages[telegram_user_id])) == len(messages[telegram_user_id])
    assert "Crynodeb wythnosol" in "\n".join(messages[2101]) and "Weekly summary" in "\n".join(messages[2102])

    # Back once more, later the same week: the run was made, so nothing goes again.
    before = await leader(db)
    await asyncio.gather(*(worker.start() for worker in workers))
    try:
        await led_again(db, before, timeout=30)
        await asyncio.sleep(2)  # a new term runs every job at once (Worker._take_over)
    finally:
        await asyncio.gather(*(worker.stop() for worker in workers))
    assert [row.dedupe_key for row in await summary_rows(db)] == keys
    assert received(emulator) == messages
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SummarySnapshot)) == 2 * len(STAFF)
