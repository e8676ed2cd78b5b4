"""The server-side update queue behind getUpdates.

Semantics follow the Bot API: updates stay queued until a getUpdates call
passes an ``offset`` greater than their id; a call with nothing to return
waits up to ``timeout`` seconds and wakes as soon as something is enqueued;
``allowed_updates`` persists between calls.  Redelivery models Telegram
sending an update again because the bot died before confirming it.
"""

from __future__ import annotations

import asyncio
from typing import Any

# What Telegram leaves out when allowed_updates is empty or was never set.
_EXCLUDED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


class UpdateQueue:
    def __init__(self, first_update_id: int = 1) -> None:
        self._next_id = first_update_id
        self._pending: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        # Redelivered updates: id -> whether it has been handed out since.
        self._forced: dict[int, bool] = {}
        self._allowed: list[str] | None = None
        self._changed = asyncio.Event()
        self.poll_generation = 0  # bumped by every getUpdates, to detect competing pollers

    # -- producing -------------------------------------------------------------
    def enqueue(self, payload: dict[str, Any]) -> int:
        update_id = self._next_id
        self._next_id += 1
        update = {"update_id": update_id, **payload}
        self._history[update_id] = update
        self._pending.append(update)
        self.notify()
        return update_id

    def delivered(self) -> list[tuple[int, dict[str, Any]]]:
        """Every update queued so far, oldest first."""
        return sorted(self._history.items())

    def redeliver(self, update_id: int) -> None:
        if update_id not in self._history:
            raise KeyError(f"no update with id {update_id} was ever enqueued")
        if any(u["update_id"] == update_id for u in self._pending):
            return  # still unconfirmed: Telegram will deliver it anyway
        self._forced[update_id] = False
        self.notify()

    def notify(self) -> None:
        """Wake every waiting long poll (they re-check their own conditions)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def changed(self) -> asyncio.Event:
        """The event the next ``notify`` sets; grab it *before* checking state."""
        return self._changed

    # -- consuming -------------------------------------------------------------
    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self._allowed = list(allowed)

    def confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            # "-N": keep only the last N updates, forget everything before.
            keep = self._pending[offset:] if -offset < len(self._pending) else self._pending
            self._pending = list(keep)
            return
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        for update_id, delivered in list(self._forced.items()):
            if delivered and offset > update_id:
                del self._forced[update_id]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Updates to hand out now (not removed: only an offset confirms)."""
        self._pending = [u for u in self._pending if self._is_allowed(u)]
        forced = [self._history[i] for i in self._forced if self._is_allowed(self._history[i])]
        batch = sorted(forced + self._pending, key=lambda u: u["update_id"])[:limit]
        for update in batch:
            if update["update_id"] in self._forced:
                self._forced[update["update_id"]] = True
        return batch

    def drop_pending(self) -> None:
        self._pending.clear()
        self._forced.clear()

    @property
    def pending_count(self) -> int:
        return len(self._pending) + len(self._forced)

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = update_kind(update)
        if not self._allowed:
            return kind not in _EXCLUDED_BY_DEFAULT
        return kind in self._allowed
