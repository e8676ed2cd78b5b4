"""Updates handled side by side, each chat's one after another in arrival order.

python-telegram-bot hands every update to an update processor as its own task, in the
order they came from the inbox. Different chats' updates run concurrently (at most
`running` at once), so one member's slow booking does not hold up another member's
/balance. One chat's updates wait for each other: a dialogue's next step must see the
step before it, so a member's second message is handled only after their first.

Order within a chat rests on two facts of asyncio: tasks start in the order they were
created, and a task that finds a lock free takes it without yielding, while waiters on
a held lock are woken first come, first served. An update reaches its chat's lock in the
same step it starts, so the lock is taken in arrival order. The processor's own bound
(python-telegram-bot's semaphore, taken before `do_process_update`) is set far above
`running` so that updates waiting for their chat never occupy the slots other chats'
updates need: `running` bounds only the work actually under way.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_RUNNING = 32
# Updates that may wait (for their chat or a running slot) before python-telegram-bot
# stops taking more from its queue; only memory bounds it.
DEFAULT_WAITING = 4096


def chat_key(update: object) -> Hashable | None:
    """What orders an update: its chat, else its sender (an inline query has no chat);
    None for what belongs to no conversation (runs as soon as a slot is free)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # updates holding or waiting for the lock; the entry goes at zero


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, running: int = DEFAULT_RUNNING, *, waiting: int = DEFAULT_WAITING) -> None:
        if running < 1:
            raise ValueError("running must be at least 1")
        super().__init__(max(waiting, running))
        self.running = running
        self._slots = asyncio.Semaphore(running)
        self._chats: dict[Hashable, _Chat] = {}

    async def initialize(self) -> None:
        """Nothing to open: the locks are made as chats appear."""

    async def shutdown(self) -> None:
        """Nothing to close: python-telegram-bot waits for the updates under way."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._run(coroutine)
            return
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat()
        chat.users += 1
        try:
            async with chat.lock:  # no await before this line: the lock is queued in arrival order
                await self._run(coroutine)
        finally:
            chat.users -= 1
            if chat.users == 0:
                del self._chats[key]

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        try:
            async with self._slots:
                await coroutine
        except asyncio.CancelledError:
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # cancelled while waiting: never started, so no "never awaited" warning
            raise

    @property
    def chats_waiting(self) -> int:
        """Chats with an update under way or waiting (for tests and metrics)."""
        return len(self._chats)
