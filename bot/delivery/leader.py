"""One worker per database: a leader lease held in the database.

The lease is a row (`leader_lease`) with an expiry that its holder renews every third of
its length. A worker that finds the row lapsed takes it over and bumps its `term`. The
holder trusts its own leadership only until a fifth of the lease short of the expiry it
wrote (timed on its own monotonic clock from before it asked), so a leader cut off from
the database stops acting before anyone else can start: two leaders never overlap while
the machines' clocks agree to within that fifth. Times in the row are wall-clock UTC
(not the services' clock, which tests freeze), so leases lapse for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.background import cancel_and_wait
from bot.clock import Clock, SystemClock
from bot.db.runtime_models import LeaderLease as LeaseRow
from bot.db.session import Database

log = logging.getLogger(__name__)

WORKER_DUTY = "worker"  # the scheduled jobs and the dispatcher


class LeaderLease:
    def __init__(self, db: Database, *, holder: str, ttl: timedelta = timedelta(seconds=10),
                 name: str = WORKER_DUTY, clock: Clock | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.holder = holder
        self.ttl = ttl
        self.name = name
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self.term: int | None = None
        self._trusted_until = -1.0

    def is_leader(self) -> bool:
        return self.monotonic() < self._trusted_until

    async def claim(self) -> bool:
        """Take or renew the lease; True while this worker holds it."""
        started = self.monotonic()
        now = self.clock.now()
        expires = now + self.ttl
        async with self.db.transaction() as session:
            taken = await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, (LeaseRow.holder == self.holder) | (LeaseRow.expires_at < now))
                .values(holder=self.holder, expires_at=expires,
                        term=case((LeaseRow.holder == self.holder, LeaseRow.term), else_=LeaseRow.term + 1),
                        acquired_at=case((LeaseRow.holder == self.holder, LeaseRow.acquired_at), else_=now))
                .returning(LeaseRow.term))
            term = taken.scalar_one_or_none()
            if term is None:
                insert = postgresql_insert if self.db.dialect == "postgresql" else sqlite_insert
                created = await session.execute(
                    insert(LeaseRow).values(name=self.name, holder=self.holder, expires_at=expires,
                                            acquired_at=now, term=1)
                    .on_conflict_do_nothing(index_elements=["name"]).returning(LeaseRow.term))
                term = created.scalar_one_or_none()
        if term is None:
            self._trusted_until = -1.0
            self.term = None
            return False
        self.term = term
        self._trusted_until = started + self.ttl.total_seconds() * 0.8
        return True

    async def resign(self) -> None:
        """Stopping cleanly: let another worker take over at once rather than after the lease."""
        self._trusted_until = -1.0
        async with self.db.transaction() as session:
            await session.execute(update(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                                  .values(expires_at=self.clock.now() - timedelta(seconds=1)))


class Leadership:
    """Keeps trying for the lease, and renewing it once held; `on_gain` runs each time
    this worker becomes leader (a new term), before it acts as one."""

    def __init__(self, lease: LeaderLease, *, on_gain: Callable[[], Awaitable[None]] | None = None) -> None:
        self.lease = lease
        self.on_gain = on_gain
        self._task: asyncio.Task[None] | None = None
        self._ready = False  # on_gain has run for the current term
        self._term: int | None = None

    def is_leader(self) -> bool:
        return self._ready and self.lease.is_leader()

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name="leadership")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        self._ready = False
        with contextlib.suppress(Exception):
            await self.lease.resign()

    async def _keep(self) -> None:
        every = self.lease.ttl.total_seconds() / 3
        while True:
            try:
                held = await self.lease.claim()
            except Exception:
                log.warning("could not reach the leader lease", exc_info=True)
                held = False
            if held and (not self._ready or self.lease.term != self._term):
                self._ready = False
                log.info("%s is now the leader (term %s)", self.lease.holder, self.lease.term)
                if self.on_gain is not None:
                    try:
                        await self.on_gain()
                    except Exception:
                        log.exception("taking over as leader failed")
                        await asyncio.sleep(every)
                        continue
                self._term, self._ready = self.lease.term, True
            elif not held and self._ready:
                log.warning("%s is no longer the leader", self.lease.holder)
                self._ready = False
            await asyncio.sleep(every)
