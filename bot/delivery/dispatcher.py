"""The dispatcher: keeps the pipe to Telegram full without ever overfilling it.

It claims due outbox rows ahead of the pace (a short lease, renewed while they are in
hand), asks the pacer when each may go, sends up to `concurrency` at once, and records
each outcome in small batches. A 429 puts the row back in hand (not a failed attempt)
and holds bulk sends for its `retry_after`; a 403 marks the member unreachable; a network
error retries the row later with backoff; a refusal gives it up with its reason.

What a crash can cost: rows sent but not yet recorded (in flight, or in the batch
waiting to be written) are sent again by whoever takes over; every other claimed row
is simply claimed again when its lease lapses (or at once by a new leader).
Nothing here speaks Telegram: `send` (a `Sender`) does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.background import cancel_and_wait
from bot.delivery.outcomes import Outcome, Result, Sender
from bot.delivery.pacing import BULK_SEND, Pacer, Sent
from bot.services.outbox import Claimed, Delivered, Failed, OutboxService, Report

log = logging.getLogger(__name__)

Unreachable = Callable[[int], Awaitable[None]]  # telegram user id -> mark them unreachable


def backoff(attempts: int) -> timedelta:
    """After a network error: 5 s, 10 s, 20 s ... at most 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(0, attempts), 600))


@dataclass
class DispatcherSettings:
    concurrency: int = 16  # sends in flight at once
    claim_ahead_s: float = 2.0  # rows held in hand, in seconds of sending at the current pace
    lease: timedelta = timedelta(seconds=30)
    idle_s: float = 0.5  # how often an idle dispatcher looks for due rows
    flush_s: float = 0.1  # how long an outcome may wait to be recorded
    scan: int = 64  # rows in hand considered for the next free slot


@dataclass
class DispatcherStats:
    sent: int = 0
    floods: int = 0
    failed: int = 0
    unreachable: int = 0
    flood_waits: list[float] = field(default_factory=list)


class Dispatcher:
    def __init__(self, outbox: OutboxService, send: Sender, pacer: Pacer, *,
                 on_unreachable: Unreachable | None = None, settings: DispatcherSettings | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 may_send: Callable[[], bool] = lambda: True) -> None:
        self.outbox = outbox
        self.send = send
        self.pacer = pacer
        self.on_unreachable = on_unreachable
        self.settings = settings or DispatcherSettings()
        self.monotonic = monotonic
        self.may_send = may_send  # False while this process is not the leader
        self.stats = DispatcherStats()
        self._hand: list[Claimed] = []  # claimed, not yet sent, in priority order
        self._in_flight: dict[int, Claimed] = {}
        self._reports: list[Report] = []
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._sends: set[asyncio.Task[None]] = set()
        self._claiming: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run(), name="dispatcher"),
                       asyncio.create_task(self._keep_recording(), name="dispatcher-record"),
                       asyncio.create_task(self._keep_leases(), name="dispatcher-leases")]

    async def stop(self) -> None:
        """Finish the sends in flight, record everything, hand back the rest unsent."""
        self._stopping = True
        self._wake.set()
        await cancel_and_wait(*self._tasks)
        self._tasks = []
        if self._claiming is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._claiming
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        await self._record()
        unsent, self._hand = [row.id for row in self._hand], []
        await self._quietly(self.outbox.release(unsent))

    def wake(self) -> None:
        """Something was queued: look now rather than at the next idle tick."""
        self._wake.set()

    @property
    def in_hand(self) -> int:
        return len(self._hand) + len(self._in_flight)

    # -- the loop ----------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stopping:
            if not self.may_send():
                await self._hand_back()
                await self._pause(self.settings.idle_s)
                continue
            if len(self._hand) < self._capacity() // 2 and (self._claiming is None or self._claiming.done()):
                # In the background: the sends go on at their pace while the database answers.
                self._claiming = asyncio.create_task(self._claim())
                if not self._hand:
                    # Shielded: a stop that cancels this loop must not cancel a claim the
                    # database may already have committed, or its rows stay leased unsent
                    # until the lease runs out; stop() waits for it and hands them back.
                    await asyncio.shield(self._claiming)
            if not self._hand:
                await self._pause(self.settings.idle_s)
                continue
            now = self.monotonic()
            row, at = self._next(now)
            if at > now:
                await self._pause(min(at - now, self.settings.idle_s))
                continue
            await self._slots.acquire()
            if self._stopping:
                self._slots.release()
                return
            now = self.monotonic()
            if self.pacer.earliest(row.chat_id, now) > now:  # a 429 arrived while we waited
                self._slots.release()
                continue
            sent = self.pacer.take(row.chat_id, now, slot=at)
            self._hand.remove(row)
            self._in_flight[row.id] = row
            task = asyncio.create_task(self._send_one(row, sent))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    def _capacity(self) -> int:
        ahead = math.ceil(self.pacer.bulk_rate * self.settings.claim_ahead_s)
        return max(2 * self.settings.concurrency, ahead)

    def _next(self, now: float) -> tuple[Claimed, float]:
        """The row, among the first few in hand, whose chat is free soonest (the first
        such on a tie, so priority order holds whenever the chats allow)."""
        best, best_at = self._hand[0], math.inf
        for row in self._hand[: self.settings.scan]:
            at = self.pacer.earliest(row.chat_id, now)
            if at < best_at:
                best, best_at = row, at
                if at <= now:
                    break
        return best, best_at

    async def _claim(self) -> None:
        room = self._capacity() - self.in_hand
        if room <= 0:
            return
        try:
            claimed = await self.outbox.claim_due(room, lease=self.settings.lease)
        except Exception:
            log.exception("could not claim notifications; trying again shortly")
            return
        known = {row.id for row in self._hand} | set(self._in_flight)
        self._hand.extend(row for row in claimed if row.id not in known)
        self._hand.sort(key=_order)

    async def _send_one(self, row: Claimed, sent: Sent) -> None:
        BULK_SEND.set(sent)  # this task's own context: the bulk lane notes the answer (lanes.py)
        try:
            try:
                outcome = await self.send(row)
            except Exception as error:
                log.exception("sending notification %s failed unexpectedly", row.id)
                outcome = Outcome(Result.TRANSIENT, reason=f"{type(error).__name__}: {error}")
            finally:
                self.pacer.finished(sent, self.monotonic())
                self._slots.release()
                self._wake.set()  # the second's budget may have room again
            await self._settle(row, outcome)
        finally:
            self._in_flight.pop(row.id, None)

    async def _settle(self, row: Claimed, outcome: Outcome) -> None:
        result = outcome.result
        if result in (Result.SENT, Result.NOTHING_TO_SAY):
            self._reports.append(Delivered(row.id, outcome.message_id))
            self.stats.sent += result is Result.SENT
            self.pacer.succeeded()
        elif result is Result.FLOOD:
            # Not an attempt: the row waits in hand, and so does every bulk send.
            self.stats.floods += 1
            self.stats.flood_waits.append(outcome.retry_after)
            self.pacer.flood(self.monotonic(), outcome.retry_after, row.chat_id)
            self._hand.append(row)
            self._hand.sort(key=_order)
        elif result is Result.UNREACHABLE:
            self.stats.unreachable += 1
            if self.on_unreachable is not None and row.telegram_user_id is not None:
                await self._quietly(self.on_unreachable(row.telegram_user_id))
            self._reports.append(Failed(row.id, outcome.reason or "member unreachable", permanent=True))
        else:
            self.stats.failed += 1
            self._reports.append(Failed(row.id, outcome.reason or result.value,
                                        permanent=result is Result.REFUSED, retry_after=backoff(row.attempts)))

    # -- recording and leases ----------------------------------------------------------
    async def _keep_recording(self) -> None:
        while True:
            await asyncio.sleep(self.settings.flush_s)
            await self._record()

    async def _record(self) -> None:
        reports, self._reports = self._reports, []
        if not reports:
            return
        try:
            await self.outbox.record(reports)
            _log_batch(reports)
        except asyncio.CancelledError:
            # stop() cancels the recording loop; what it was writing is written by stop()'s
            # own last _record, not lost (a sent row left unrecorded would be sent again).
            self._reports[:0] = reports
            raise
        except Exception:
            log.exception("could not record %d delivery outcomes; retrying", len(reports))
            self._reports[:0] = reports

    async def _keep_leases(self) -> None:
        every = max(self.settings.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            held = [row.id for row in self._hand] + list(self._in_flight) + [report.id for report in self._reports]
            await self._quietly(self.outbox.renew(held, lease=self.settings.lease))

    async def _hand_back(self) -> None:
        """No longer the leader: stop, and let the new one have what we held unsent."""
        if self._hand:
            unsent, self._hand = [row.id for row in self._hand], []
            await self._quietly(self.outbox.release(unsent))

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(seconds, 0.0))

    @staticmethod
    async def _quietly(work: Awaitable[object]) -> None:
        try:
            await work
        except Exception:
            log.exception("delivery bookkeeping failed")


def _log_batch(reports: list[Report]) -> None:
    """One line per recorded batch of deliveries (ids only: what a member was told is theirs)."""
    sent = sum(isinstance(report, Delivered) for report in reports)
    failed = len(reports) - sent
    log.info("delivery batch recorded: %d sent, %d failed", sent, failed,
             extra={"event": "delivery", "sent": sent, "failed": failed})


def _order(row: Claimed) -> tuple[int, int]:
    return (-row.priority, row.id)
