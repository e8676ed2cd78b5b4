"""Two lanes to Telegram, as python-telegram-bot's rate limiter hook.

Interactive: every request the handlers make (replies, edits, callback answers to the
member's own update) goes out at once, never queued behind bulk, never spaced; it is
noted, so the pacer counts it against the second's overall budget and bulk sends yield
to it (it waits only if answers alone have filled the second, which Telegram would
refuse anyway). A 429 on this lane waits its `retry_after` (never less), holds bulk
sends as long, and tries again, for as long as `patience_s` allows in all: a member's
answer late is better than a member's answer lost. Past that the RetryAfter goes up to
the handlers' error handler, which hands the update back to the inbox to be handled
again once Telegram allows (handlers/dispatcher.py `on_error`, bot/app.py). Bulk: the
dispatcher's sends, marked `rate_limit_args=BULK`, already paced, pass straight through;
the dispatcher handles their 429s itself.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.db.session import end_shared_read
from bot.delivery.pacing import BULK_SEND, Pacer

log = logging.getLogger(__name__)

BULK: dict[str, str] = {"lane": "bulk"}
ANSWER_POLL_S = 0.01
# How long, in all, an answer may wait on Telegram's flood control before its update is
# handed back to the inbox: flood waits are seconds, rarely more than a minute.
INTERACTIVE_PATIENCE_S = 120.0

# Requests that put a message in a chat (or change one), the ones flood control counts.
_COUNTED_PREFIXES = ("send", "edit", "copy", "forward")
_UNCOUNTED = frozenset({"sendChatAction"})


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def counted(endpoint: str) -> bool:
    return endpoint.startswith(_COUNTED_PREFIXES) and endpoint not in _UNCOUNTED


class TwoLanes(BaseRateLimiter[dict[str, str]]):
    def __init__(self, pacer: Pacer, *, monotonic: Callable[[], float] = time.monotonic,
                 patience_s: float | None = None) -> None:
        self.pacer = pacer
        self.monotonic = monotonic
        self.patience_s = INTERACTIVE_PATIENCE_S if patience_s is None else patience_s

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, str] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args is not None and rate_limit_args.get("lane") == BULK["lane"]:
            bulk = BULK_SEND.get()
            try:
                return await callback(*args, **kwargs)
            finally:
                if bulk is not None:
                    self.pacer.finished(bulk, self.monotonic())
        # Never a database transaction open while waiting for Telegram: the update's
        # shared read ends here, and a read after the answer begins afresh.
        await end_shared_read()
        waited = 0.0
        while True:
            sent = None
            if counted(endpoint):
                # Answers are counted like bulk sends, from when Telegram answered: with
                # many members answered at once a second can fill, and an answer sent into a
                # full second is refused and only waits longer. So it waits for room,
                # looking again at least every ANSWER_POLL_S while the second is in flight.
                while (at := self.pacer.answer_at(now := self.monotonic())) > now:
                    await asyncio.sleep(min(at - now, ANSWER_POLL_S))
                sent = self.pacer.note_interactive(self.monotonic())
            try:
                try:
                    return await callback(*args, **kwargs)
                finally:
                    if sent is not None:
                        self.pacer.finished(sent, self.monotonic())
            except RetryAfter as error:
                wait = retry_seconds(error)
                self.pacer.flood(self.monotonic(), wait)
                if waited + wait > self.patience_s:
                    raise
                waited += wait
                log.warning("flood control on %s: waiting %.1f s before trying again", endpoint, wait)
                await asyncio.sleep(wait)
