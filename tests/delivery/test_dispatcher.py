"""The dispatcher against a stand-in for Telegram: every row once, the pipe kept full,
priorities honoured, and each outcome recorded as it should be."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.db.models import OutboxStatus
from bot.db.session import Database
from bot.delivery.dispatcher import Dispatcher, DispatcherSettings
from bot.delivery.outcomes import Outcome, Result
from bot.delivery.pacing import PaceLimits, Pacer
from bot.services.outbox import Claimed, OutboxService, Priority
from tests.delivery.queueing import add_members, queue, rows


class FakeTelegram:
    """Answers each send from a script (by chat), else takes it; remembers when."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, int, int]] = []  # (when, chat, row id)
        self.refused: list[tuple[float, int]] = []  # (when, chat) of each scripted answer
        self.script: dict[int, list[Outcome]] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.delay = 0.0
        self.gate: asyncio.Event | None = None
        self._ids = iter(range(5000, 10**9))

    async def send(self, row: Claimed) -> Outcome:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.delay)
            scripted = self.script.get(row.chat_id)
            if scripted:
                self.refused.append((time.monotonic(), row.chat_id))
                return scripted.pop(0)
            self.sent.append((time.monotonic(), row.chat_id, row.id))
            return Outcome.sent(next(self._ids))
        finally:
            self.in_flight -= 1


def dispatcher(db: Database, clock: FrozenClock, telegram: FakeTelegram, *, rate: float = 500,
               unreachable: list[int] | None = None, **settings: object) -> Dispatcher:
    async def mark(user_id: int) -> None:
        (unreachable if unreachable is not None else []).append(user_id)

    return Dispatcher(OutboxService(db, clock, worker="test", max_attempts=3), telegram.send,
                      Pacer(PaceLimits(overall_per_s=rate)), on_unreachable=mark,
                      settings=DispatcherSettings(idle_s=0.02, flush_s=0.02, **settings))


async def settled(db: Database, count: int | None = None, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = await rows(db)
        if all(row.status is not OutboxStatus.PENDING for row in found) and (count is None or len(found) == count):
            return found
        if time.monotonic() > deadline:
            pending = [row.id for row in found if row.status is OutboxStatus.PENDING]
            raise AssertionError(f"{len(pending)} rows still pending")
        await asyncio.sleep(0.02)


async def test_every_member_gets_their_notification_once_with_telegrams_message_id_kept(
        db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 300, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    telegram.delay = 0.02  # a round trip: sends must overlap to keep the pace
    running = dispatcher(db, clock, telegram)
    running.start()
    try:
        done = await settled(db, 300)
    finally:
        await running.stop()
    assert sorted(chat for _, chat, _ in telegram.sent) == list(range(700_000, 700_300))
    assert len({row_id for _, _, row_id in telegram.sent}) == 300
    assert all(row.status is OutboxStatus.SENT and row.telegram_message_id >= 5000 for row in done)
    assert len({row.telegram_message_id for row in done}) == 300
    assert telegram.most_in_flight > 1  # concurrently, not one after another
    assert all(row.attempts == 0 for row in done)


async def test_a_reminder_due_soon_goes_before_a_newsletter_queued_earlier(db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 40, now=clock.now())
    await queue(db, members[:20], now=clock.now(), tag="newsletter", priority=Priority.BULK)
    await queue(db, members[20:], now=clock.now(), tag="reminder", priority=Priority.TIMELY)
    telegram = FakeTelegram()
    running = dispatcher(db, clock, telegram, concurrency=1)
    running.start()
    try:
        await settled(db, 40)
    finally:
        await running.stop()
    order = [chat - 700_000 for _, chat, _ in telegram.sent]
    assert sorted(order[:20]) == list(range(20, 40))


async def test_flood_control_is_waited_out_and_is_not_a_failed_attempt(db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 5, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    telegram.script[700_002] = [Outcome.flood(0.4, "Too Many Requests: retry after 0.4")]
    running = dispatcher(db, clock, telegram, rate=20, concurrency=1)
    running.start()
    try:
        done = await settled(db, 5)
    finally:
        await running.stop()
    assert all(row.status is OutboxStatus.SENT and row.attempts == 0 and row.last_error is None for row in done)
    assert running.stats.floods == 1 and running.pacer.bulk_rate < 20
    [(flooded_at, _)] = telegram.refused
    assert min(at for at, _, _ in telegram.sent if at > flooded_at) - flooded_at >= 0.4  # never earlier


async def test_a_member_who_blocked_the_bot_is_marked_unreachable_and_given_up(
        db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 3, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    telegram.script[700_001] = [Outcome(Result.UNREACHABLE, reason="Forbidden: bot was blocked by the user")]
    unreachable: list[int] = []
    running = dispatcher(db, clock, telegram, unreachable=unreachable)
    running.start()
    try:
        done = await settled(db, 3)
    finally:
        await running.stop()
    assert unreachable == [700_001]
    assert [row.status for row in done] == [OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SENT]
    assert done[1].last_error == "Forbidden: bot was blocked by the user"


async def test_a_network_error_retries_with_backoff_and_gives_up_after_the_attempts(
        db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 2, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    network = Outcome(Result.TRANSIENT, reason="NetworkError: connection reset")
    telegram.script[700_000] = [network, network, network]
    running = dispatcher(db, clock, telegram)
    running.start()
    try:
        await settled_one(db, members[1])
        first = (await rows(db))[0]
        assert (first.status, first.attempts) == (OutboxStatus.PENDING, 1)
        assert first.not_before == clock.now() + timedelta(seconds=5)  # backoff, not at once
        for _ in range(2):  # the clock moves past each backoff in turn
            clock.advance(seconds=3600)
            running.wake()
            await attempts_reach(db, first.id, _ + 2)
    finally:
        await running.stop()
    first = (await rows(db))[0]
    assert (first.status, first.attempts, first.last_error) == (OutboxStatus.FAILED, 3,
                                                                "NetworkError: connection reset")


async def test_rows_in_hand_keep_their_lease_while_a_slow_send_lasts(db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 1, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    telegram.gate = asyncio.Event()
    running = dispatcher(db, clock, telegram, lease=timedelta(seconds=0.3))
    running.start()
    try:
        while telegram.in_flight == 0:
            await asyncio.sleep(0.01)
        clock.advance(seconds=60)  # far beyond the first lease
        await asyncio.sleep(0.3)
        row = (await rows(db))[0]
        assert row.claimed_until > clock.now()  # renewed, so nobody else takes it
        other = OutboxService(db, clock, worker="other")
        assert await other.claim_due() == []
        telegram.gate.set()
        await settled(db, 1)
    finally:
        await running.stop()


async def test_stopping_hands_back_what_was_claimed_but_not_sent(db: Database, clock: FrozenClock) -> None:
    members = await add_members(db, 50, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    running = dispatcher(db, clock, telegram, rate=10)
    running.start()
    while not telegram.sent:
        await asyncio.sleep(0.01)
    await running.stop()
    left = [row for row in await rows(db) if row.status is OutboxStatus.PENDING]
    assert left and all(row.claimed_until is None for row in left)
    other = OutboxService(db, clock, worker="other")
    assert len(await other.claim_due(100)) == len(left)  # due again at once, not after the lease


async def settled_one(db: Database, member_id: int) -> None:
    for _ in range(500):
        if any(row.member_id == member_id and row.status is OutboxStatus.SENT for row in await rows(db)):
            return
        await asyncio.sleep(0.02)
    pytest.fail("never sent")


async def attempts_reach(db: Database, row_id: int, attempts: int) -> None:
    for _ in range(500):
        row = next(row for row in await rows(db) if row.id == row_id)
        if row.attempts >= attempts and row.claimed_until is None:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"row {row_id} never reached {attempts} attempts")


async def test_each_recorded_batch_is_one_log_line_with_its_counts(
        db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> None:
    members = await add_members(db, 12, now=clock.now())
    await queue(db, members, now=clock.now())
    telegram = FakeTelegram()
    telegram.script[700_003] = [Outcome(Result.REFUSED, reason="Bad Request: chat not found")]
    running = dispatcher(db, clock, telegram)
    caplog.set_level("INFO", logger="bot.delivery.dispatcher")
    running.start()
    try:
        await settled(db, 12)
    finally:
        await running.stop()
    batches = [record for record in caplog.records if getattr(record, "event", None) == "delivery"]
    assert batches and all(record.getMessage().startswith("delivery batch recorded") for record in batches)
    assert sum(record.sent for record in batches) == 11  # type: ignore[attr-defined]
    assert sum(record.failed for record in batches) == 1  # type: ignore[attr-defined]
