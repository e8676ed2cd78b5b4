"""What a bulk send can come to, as the dispatcher sees it.

The dispatcher never speaks Telegram: a `Sender` (handlers/notifications.py) renders a
claimed row, sends it and translates Telegram's answer into one of these.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.services.outbox import Claimed


class Result(enum.Enum):
    SENT = "sent"  # Telegram took it (message_id recorded)
    NOTHING_TO_SAY = "nothing to say"  # the renderer found nothing left to tell (a deleted shift)
    FLOOD = "flood"  # 429: wait retry_after, try again; not a failed attempt
    UNREACHABLE = "unreachable"  # 403: the member blocked the bot or left
    TRANSIENT = "transient"  # a network error or a server hiccup: retry with backoff
    REFUSED = "refused"  # Telegram will never take this one (400): give up now


@dataclass(frozen=True)
class Outcome:
    result: Result
    message_id: int | None = None
    retry_after: float = 0.0
    reason: str = ""

    @classmethod
    def sent(cls, message_id: int | None) -> Outcome:
        return cls(Result.SENT, message_id=message_id)

    @classmethod
    def flood(cls, retry_after: float, reason: str = "") -> Outcome:
        return cls(Result.FLOOD, retry_after=retry_after, reason=reason)


# One claimed row -> what came of sending it. Must not raise for anything Telegram says.
Sender = Callable[[Claimed], Awaitable[Outcome]]
