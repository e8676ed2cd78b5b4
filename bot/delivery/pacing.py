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

Telegram counts a request when it arrives, which is somewhere between the moment it
was booked here and the moment its answer came back: rendering, the event loop and the
network all delay it by varying amounts, so requests booked evenly can arrive bunched.
So each send is a `Sent` that stays counted while it is in flight and, once `finished`,
counts from the moment its answer came: a new send goes only when fewer than the
ceiling have finished less than a second before it (or are still going). Whatever the
delays, no second at Telegram's end ever holds more than the ceiling, and the pace
loses only the requests' own latency, not a fixed margin.
"""

from __future__ import annotations

import contextvars
import enum
import math
from collections import deque
from dataclasses import dataclass, field

TELEGRAM_PAID_BROADCAST_PER_S = 1000.0
# A send "in flight" longer than this was never reported finished (a caller's bug, or a
# request stuck far beyond any timeout): it stops holding up the rest.
STALE_IN_FLIGHT_S = 120.0


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
    # Sends counted over any rolling second, each from when its answer came (`finished`);
    # a few ms more for the clocks' granularity. Per chat, where only the booking time is
    # known, a larger margin: two sends 1 s apart here may arrive closer together there.
    window_s: float = 1.0
    window_margin_s: float = 0.002
    margin_s: float = 0.02
    slow_factor: float = 0.5  # the bulk rate after a 429, as a share of the rate before
    min_factor: float = 0.1
    recover_after: int = 30  # successful sends before the rate creeps back up
    recover_step: float = 0.1

    def __post_init__(self) -> None:
        if self.overall_per_s <= 0 or self.private_interval_s < 0 or self.group_interval_s < 0:
            raise ValueError("pace limits must be positive")


@dataclass(eq=False)
class Sent:
    """One request of either lane as the rolling second counts it: from `at`, its booking,
    and once finished, from when its answer came."""

    at: float
    interactive: bool = False
    in_flight: bool = field(default=True)


# The bulk send the current task is making (set by the dispatcher, read by the bulk lane
# in lanes.py): its answer is noted the moment the HTTP call returns, not after
# python-telegram-bot has built its objects and the dispatcher's task has woken. A send
# counts as in flight until then, and the bulk rate is about ceiling / (1 s + latency),
# so every millisecond of latency noted here is pace lost.
BULK_SEND: contextvars.ContextVar[Sent | None] = contextvars.ContextVar("bulk_send", default=None)


class Pacer:
    """Bulk sends' timetable. `earliest` says when a send to a chat may go; `take` books it;
    `finished` says its answer came (both lanes)."""

    def __init__(self, limits: PaceLimits | None = None) -> None:
        self.limits = limits or PaceLimits()
        self._recent: list[Sent] = []  # both lanes' sends in the last window or in flight, by `at`
        self._interactive: deque[float] = deque()  # when the answers among them were booked
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

    def answer_at(self, now: float) -> float:
        """When an answer to a member may go: `now` unless this second's whole budget is
        spent (then when it frees; inf while it is all in flight: wait for an answer)."""
        self._forget_before(now)
        return max(now, self._room_at(self._ceiling))

    def note_interactive(self, now: float) -> Sent:
        """An answer to a member goes out (when `answer_at` allowed): counted against the
        overall budget, from its answer once `finished`."""
        self._forget_before(now)
        room_at = self._room_at(self._ceiling)
        at = now if room_at == math.inf else max(now, room_at)
        sent = self._remember(at, interactive=True)
        self._interactive.append(at)
        return sent

    def finished(self, sent: Sent, now: float) -> None:
        """The request's answer came (or it failed) at `now`: Telegram counted it at some
        moment before, so from now on it counts from `now`, not from its booking."""
        if not sent.in_flight:
            return
        sent.in_flight = False
        if now > sent.at and sent in self._recent:
            self._recent.remove(sent)
            sent.at = now
            self._insert(sent)

    def _room_at(self, room: int) -> float:
        """When at most `room - 1` of the sends counted will still be in the window: the
        room-th latest must have left it; one in flight never leaves (inf)."""
        if len(self._recent) < room:
            return -math.inf
        in_flight = sum(1 for sent in self._recent if sent.in_flight)
        if in_flight >= room:
            return math.inf  # wait for an answer (the dispatcher is woken by each)
        finished = [sent.at for sent in self._recent if not sent.in_flight]
        return finished[-(room - in_flight)] + self._window

    @property
    def _ceiling(self) -> int:
        return max(1, int(self.limits.overall_per_s))

    @property
    def _window(self) -> float:
        return self.limits.window_s + self.limits.window_margin_s

    def earliest(self, chat_id: int, now: float) -> float:
        """The first moment at or after `now` a bulk send to `chat_id` keeps every limit."""
        at = max(now, self._next_bulk, self._hold_until, self._chat_free.get(chat_id, -math.inf))
        self._forget_before(now)
        # Room for as many answers as the last second had; the rest of the budget is bulk's.
        room = max(1, self._ceiling - len(self._interactive))
        return max(at, self._room_at(room))

    def take(self, chat_id: int, at: float, *, slot: float | None = None) -> Sent:
        """Book a bulk send to `chat_id` going at `at` (which `earliest` allowed). `slot`
        is when it was due: a send that went a little late keeps the pace's timetable
        (the next is due one interval after the slot, not after the lateness), while the
        rolling second still counts it when it really went). Returns the send, for
        `finished`."""
        sent = self._remember(at)
        # Evenly: a full second's worth spans the window and its margin exactly.
        interval = self._window / (self.bulk_rate * self.limits.window_s)
        due = at if slot is None else max(slot, at - interval)  # catch up by one interval at most
        self._next_bulk = due + interval
        interval = (self.limits.private_interval_s if chat_kind(chat_id) is ChatKind.PRIVATE
                    else self.limits.group_interval_s)
        self._chat_free[chat_id] = at + interval + self.limits.margin_s
        if len(self._chat_free) > 4096:  # keep only chats that still have to wait
            self._chat_free = {chat: free for chat, free in self._chat_free.items() if free > at}
        return sent

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

    def _remember(self, at: float, *, interactive: bool = False) -> Sent:
        sent = Sent(at, interactive)
        self._insert(sent)
        self._forget_before(at)
        return sent

    def _insert(self, sent: Sent) -> None:
        """Keeps `_recent` ordered by `at` (nearly always an append)."""
        recent = self._recent
        index = len(recent)
        while index and recent[index - 1].at > sent.at:
            index -= 1
        recent.insert(index, sent)

    def _forget_before(self, now: float) -> None:
        horizon = now - self._window
        stale = now - STALE_IN_FLIGHT_S
        recent = self._recent
        if recent and recent[0].at <= horizon:
            self._recent = [sent for sent in recent
                            if sent.at > horizon or (sent.in_flight and sent.at > stale)]
        while self._interactive and self._interactive[0] <= horizon:
            self._interactive.popleft()
