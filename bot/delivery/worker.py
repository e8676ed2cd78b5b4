"""The worker role: every scheduled job and the dispatcher, acting only while this
process holds the leader lease.

APScheduler (python-telegram-bot's job queue) stays the clock: every worker process
schedules the jobs, and a job that fires in a worker that is not the leader does
nothing. Nothing that matters lives in the scheduler: each job finds its work in the
database (due reminders by their dedupe keys, vouchers past their date, due outbox
rows), so a new leader simply runs each job once when it takes over and carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.ext import Application

from bot.delivery.dispatcher import Dispatcher
from bot.delivery.leader import LeaderLease, Leadership
from bot.services.container import Services

log = logging.getLogger(__name__)

Job = Callable[[Any], Coroutine[Any, Any, None]]  # a job queue callback (takes the context)


@dataclass(frozen=True)
class ScheduledJob:
    callback: Job
    every_s: float
    first_s: float
    name: str


class Worker:
    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], services: Services,
                 dispatcher: Dispatcher, jobs: list[ScheduledJob]) -> None:
        self.application = application
        self.services = services
        self.jobs = jobs
        lease = LeaderLease(services.db, holder=services.outbox.worker,
                            ttl=timedelta(seconds=services.config.delivery.leader_lease_seconds))
        self.leadership = Leadership(lease, on_gain=self._take_over)
        self.dispatcher = dispatcher
        # Run at each new term besides the jobs (the webhook's registration); each must
        # not raise, or the term would not start.
        self.on_gain: list[Callable[[], Coroutine[Any, Any, None]]] = []
        dispatcher.may_send = self.leadership.is_leader
        assert application.job_queue is not None  # python-telegram-bot's job-queue extra is installed
        for job in jobs:
            application.job_queue.run_repeating(self._as_leader(job.callback), interval=job.every_s,
                                                first=job.first_s, name=job.name)

    def start(self) -> None:
        self.leadership.start()
        self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()
        await self.leadership.stop()

    def _as_leader(self, callback: Job) -> Job:
        async def run(context: Any) -> None:
            if self.leadership.is_leader():
                await callback(context)
        run.__qualname__ = run.__name__ = f"as_leader({callback.__name__})"
        return run

    async def _take_over(self) -> None:
        """A new term: the old leader has stopped (it stops when it cannot renew), so the
        rows it held are ours at once; and every job runs now rather than at its next tick."""
        released = await self.services.outbox.release_others()
        if released:
            log.info("took over %d notifications the previous leader held", released)
        assert self.application.job_queue is not None
        for job in self.jobs:
            self.application.job_queue.run_once(self._as_leader(job.callback), when=0.05, name=f"{job.name}-now")
        self.dispatcher.wake()
        for hook in self.on_gain:
            await hook()
