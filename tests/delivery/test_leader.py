"""One worker per database: the leader lease taken, renewed, lapsed and taken over."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.clock import FrozenClock
from bot.db.session import Database
from bot.delivery.leader import LeaderLease


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lease(db: Database, holder: str, wall: FrozenClock, mono: Monotonic) -> LeaderLease:
    return LeaderLease(db, holder=holder, ttl=timedelta(seconds=10), clock=wall, monotonic=mono)


async def test_exactly_one_worker_leads_and_another_takes_over_when_it_stops_renewing(db: Database) -> None:
    wall, mono = FrozenClock(datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)), Monotonic()
    first, second = lease(db, "first", wall, mono), lease(db, "second", wall, mono)
    assert await first.claim() and first.is_leader()
    assert not await second.claim() and not second.is_leader()
    wall.advance(seconds=3)
    mono.now += 3
    assert await first.claim() and first.term == 1  # renewed, same term
    assert not await second.claim()
    # The first worker dies. It would have stopped trusting itself after 8 s ...
    wall.advance(seconds=8)
    mono.now += 8
    assert not first.is_leader()
    assert not await second.claim()  # ... and the database still says it leads for 2 s more
    wall.advance(seconds=2.5)
    mono.now += 2.5
    assert await second.claim() and second.is_leader() and second.term == 2
    assert not await first.claim() and not first.is_leader()  # back from the dead, it is not leader


async def test_a_leader_stopping_cleanly_hands_over_at_once(db: Database) -> None:
    wall, mono = FrozenClock(datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)), Monotonic()
    first, second = lease(db, "first", wall, mono), lease(db, "second", wall, mono)
    assert await first.claim()
    await first.resign()
    assert not first.is_leader()
    assert await second.claim() and second.term == 2
