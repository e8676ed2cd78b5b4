"""Flood control: Telegram's global and per-chat sending limits.

Telegram documents "about 30 messages per second" overall and "about one
message per second" to a single chat with short bursts tolerated.  The
emulator makes those numbers exact so a bot that ignores them fails in tests
instead of in production.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests


@dataclass(frozen=True)
class EmulatorLimits:
    """Knobs tests may tighten; defaults mirror Telegram."""

    global_per_s: int = 30  # sends per rolling second across all chats
    chat_burst: int = 20  # token bucket size per chat
    chat_rate_per_s: float = 1.0  # token refill per chat
    callback_answer_timeout_s: float = 15.0  # after this, answerCallbackQuery is refused


class RateLimiter:
    """Rolling one-second window overall plus a token bucket per chat.

    A refused request consumes nothing: Telegram does not count a 429 against
    the budget, and counting it would punish a bot that retries correctly.
    """

    def __init__(self, limits: EmulatorLimits, clock: Callable[[], float]) -> None:
        self._limits = limits
        self._clock = clock
        self._window: deque[float] = deque()
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def acquire(self, chat_id: int) -> None:
        """Take one send slot for ``chat_id`` or raise a 429 ``ApiError``."""
        now = self._clock()
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        waits: list[float] = []
        if len(self._window) >= self._limits.global_per_s:
            # The slot frees when the oldest request in the window ages out.
            waits.append(self._window[0] + 1.0 - now)
        tokens = self._tokens(chat_id, now)
        if tokens < 1.0:
            rate = self._limits.chat_rate_per_s
            waits.append((1.0 - tokens) / rate if rate > 0 else 60.0)
        if waits:
            raise too_many_requests(max(1, math.ceil(max(waits) - 1e-9)))
        self._window.append(now)
        self._buckets[chat_id] = (tokens - 1.0, now)

    def _tokens(self, chat_id: int, now: float) -> float:
        burst = float(self._limits.chat_burst)
        tokens, at = self._buckets.get(chat_id, (burst, now))
        return min(burst, tokens + (now - at) * self._limits.chat_rate_per_s)
