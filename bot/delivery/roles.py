"""What a bot process does: take members' updates in (ingress), do the scheduled work and
send the outbox (worker), or both (all, the default, and the only sensible one with SQLite)."""

from __future__ import annotations

import enum


class ProcessRole(enum.StrEnum):
    INGRESS = "ingress"
    WORKER = "worker"
    ALL = "all"

    @property
    def takes_updates(self) -> bool:
        return self in (ProcessRole.INGRESS, ProcessRole.ALL)

    @property
    def works(self) -> bool:
        return self in (ProcessRole.WORKER, ProcessRole.ALL)
