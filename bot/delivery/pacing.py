"""When may the next bulk send go? Telegram's flood limits as arithmetic.

Telegram allows about 30 messages a second per bot, one a second in a private chat and
20 a minute in a group (python-telegram-bot's `telegram.constants.FloodLimit`). The
pacer spreads bulk sends evenly under all three, counts the interactive answers of the
same second against the overall budget (bulk leaves them room: as many places in the
second as there were answers in the last one, and an answer waits only when the second
is already full, which Telegram would refuse anyway),
holds bulk sends after a 429 until its `retry_after` and then slows the bulk rate, which
creeps back up while sends succeed. It never sleeps and never reads a clock: every call
is told `now` (seconds on a monotonic clock), so tests drive it with a fake one.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass

TELEGRAM_PAID_BROADCAST_PER_S = 1000.0


class ChatKind(enum.Enum):
    PRIVATE = "private"
    GROUP = "group"


def chat_kind(chat_id: int) -> ChatKind:
    """Telegram numbers users (private chats) above zero, groups and channels below."""
    return ChatKind.PRIVATE if chat_id > 0 else ChatKind.GROUP


@dataclass(frozen=True)
class PaceLimits:
    overall_per_s: float = 30.0
    private_interval_s: float = 1.0  # 1 message a second in one chat
    group_interval_s: float = 3.0  # 20 a minute in one group
    # Sends counted over any rolling second, plus a little for the time a request takes
    # to reach Telegram: two sends 1/30 s apart here may arrive closer together there.
    window_s: float = 1.0
    margin_s: float = 0.02
    slow_factor: float = 0.5  # the bulk rate after a 429, as a share of the rate before
    min_factor: float = 0.1
    recover_after: int = 30  # successful sends before the rate creeps back up
    recover_step: float = 0.1

    def __post_init__(self) -> None:
        if self.overall_per_s <= 0 or self.private_interval_s < 0 or self.group_interval_s < 0:
            raise ValueError("pace limits must be positive")


class Pacer:
    """Bulk sends' timetable. `earliest` says when a send to a chat may go; `take` books it."""

    def __init__(self, limits: PaceLimits | None = None) -> None:
        self.limits = limits or PaceLimits()
        self._recent: deque[float] = deque()  # both lanes' sends in the last window
        self._interactive: deque[float] = deque()  # the answers among them
        self._next_bulk = -math.inf
        self._chat_free: dict[int, float] = {}
        self._hold_until = -math.inf
        self._factor = 1.0
        self._since_flood = 0

    @property
    def bulk_rate(self) -> float:
        """Bulk sends a second now: the configured rate, slowed after flood control."""
        return self.limits.overall_per_s * self._factor

    @property
    def held_until(self) -> float:
        return self._hold_until

    def note_interactive(self, now: float) -> float:
        """An answer to a member is to go out: returns when (`now` unless this second's
        budget is already spent) and counts it against the overall budget."""
        ceiling = self._ceiling
        self._forget_before(now)
        at = now
        if len(self._recent) >= ceiling:
            at = max(now, self._recent[-ceiling] + self._window)
        self._remember(at)
        self._interactive.append(at)
        return at

    @property
    def _ceiling(self) -> int:
        return max(1, int(self.limits.overall_per_s))

    @property
    def _window(self) -> float:
        return self.limits.window_s + self.limits.margin_s

    def earliest(self, chat_id: int, now: float) -> float:
        """The first moment at or after `now` a bulk send to `chat_id` keeps every limit."""
        at = max(now, self._next_bulk, self._hold_until, self._chat_free.get(chat_id, -math.inf))
        self._forget_before(now)
        # Room for as many answers as the last second had; the rest of the budget is bulk's.
        room = max(1, self._ceiling - len(self._interactive))
        if len(self._recent) >= room:
            # The room-th most recent send must have left the window first.
            at = max(at, self._recent[-room] + self._window)
        return at

    def take(self, chat_id: int, at: float, *, slot: float | None = None) -> None:
        """Book a bulk send to `chat_id` going at `at` (which `earliest` allowed). `slot`
        is when it was due: a send that went a little late keeps the pace's timetable
        (the next is due one interval after the slot, not after the lateness), while the
        rolling second still counts it when it really went."""
        self._remember(at)
        # Evenly: a full second's worth spans the window and its margin exactly.
        interval = self._window / (self.bulk_rate * self.limits.window_s)
        due = at if slot is None else max(slot, at - interval)  # catch up by one interval at most
        self._next_bulk = due + interval
        interval = (self.limits.private_interval_s if chat_kind(chat_id) is ChatKind.PRIVATE
                    else self.limits.group_interval_s)
        self._chat_free[chat_id] = at + interval + self.limits.margin_s
        if len(self._chat_free) > 4096:  # keep only chats that still have to wait
            self._chat_free = {chat: free for chat, free in self._chat_free.items() if free > at}

    def succeeded(self) -> None:
        """A bulk send went through: after enough of them, speed back up a step."""
        self._since_flood += 1
        if self._factor < 1.0 and self._since_flood >= self.limits.recover_after:
            self._factor = min(1.0, self._factor + self.limits.recover_step)
            self._since_flood = 0

    def flood(self, now: float, retry_after: float, chat_id: int | None = None) -> None:
        """Telegram answered 429: nothing bulk before `retry_after` has passed (never
        earlier), that chat not either, and the bulk rate slows."""
        until = now + max(0.0, retry_after)
        self._hold_until = max(self._hold_until, until)
        if chat_id is not None:
            self._chat_free[chat_id] = max(self._chat_free.get(chat_id, -math.inf), until)
        self._factor = max(self.limits.min_factor, self._factor * self.limits.slow_factor)
        self._since_flood = 0

    def _remember(self, at: float) -> None:
        self._recent.append(at)
        if len(self._recent) > 1 and self._recent[-2] > at:  # keep it sorted (rare: clocks passed in)
            self._recent = deque(sorted(self._recent))
        self._forget_before(at)

    def _forget_before(self, now: float) -> None:
        horizon = now - self._window
        while self._recent and self._recent[0] <= horizon:
            self._recent.popleft()
        while self._interactive and self._interactive[0] <= horizon:
            self._interactive.popleft()
