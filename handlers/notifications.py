"""Sending the outbox: render each notification in its member's language, send, mark.

Services record notifications (bot/services/outbox.py); this module owns only how each
kind reads and the Telegram side of sending: `telegram_sender` is what the delivery
engine's dispatcher (bot/delivery) calls for each row it has paced.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.delivery.lanes import BULK, retry_seconds
from bot.delivery.outcomes import Outcome, Result, Sender
from bot.i18n import Translator, translator
from bot.services.container import Services
from bot.services.outbox import Claimed
from bot.services.outbox_payloads import OutboxKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


# (services, translator, payload, recipient member id) -> what to send, or None for nothing.
# The payload is the kind's type from bot.services.outbox_payloads (Any here: each
# renderer names its own; tests/foundation/test_outbox_contracts.py checks the pairing).
Renderer = Callable[[Services, Translator, Any, int], Awaitable[Rendered | None]]


RENDERERS: dict[OutboxKind, Renderer] = {}


def renders(kind: OutboxKind | str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of one outbox kind; a kind registered twice fails at import."""
    outbox_kind = OutboxKind(kind)

    def register(function: Renderer) -> Renderer:
        if outbox_kind in RENDERERS:
            raise ValueError(f"two renderers for {outbox_kind!r}: {RENDERERS[outbox_kind].__qualname__} and "
                             f"{function.__qualname__}")
        RENDERERS[outbox_kind] = function
        return function
    return register


def telegram_sender(services: Services, bot: Any) -> Sender:
    """The dispatcher's way to Telegram: render a claimed row in its member's language,
    send it on the bulk lane, and say what came of it (never raises)."""
    paid = {"allow_paid_broadcast": True} if services.config.delivery.allow_paid_broadcast else {}

    async def send(message: Claimed) -> Outcome:
        renderer = RENDERERS.get(message.kind)
        if renderer is None:
            log.error("no renderer for notification kind %r", message.kind)
            return Outcome(Result.REFUSED, reason=f"unknown kind {message.kind}")
        t = translator(message.language, services.config.tz, services.config.scheme.default_language)
        try:
            rendered = await renderer(services, t, message.payload, message.member_id)
        except Exception as error:
            log.exception("could not render notification %s (%s)", message.id, message.kind)
            return Outcome(Result.TRANSIENT, reason=f"{type(error).__name__}: {error}")
        if rendered is None:  # nothing to say any more (e.g. the shift was deleted)
            return Outcome(Result.NOTHING_TO_SAY)
        try:
            sent = await bot.send_message(message.chat_id, rendered.text, reply_markup=rendered.keyboard,
                                          rate_limit_args=BULK, **paid)
        except RetryAfter as error:
            return Outcome.flood(retry_seconds(error), str(error))
        except Forbidden as error:
            if message.group_chat_id is not None:  # the bot was removed from a group: its author is still reachable
                return Outcome(Result.REFUSED, reason=str(error))
            return Outcome(Result.UNREACHABLE, reason=str(error))
        except BadRequest as error:
            log.error("Telegram refused notification %s: %s", message.id, error)
            return Outcome(Result.REFUSED, reason=str(error))
        except TelegramError as error:  # timeouts and network errors: try again later
            return Outcome(Result.TRANSIENT, reason=f"{type(error).__name__}: {error}")
        return Outcome.sent(sent.message_id)

    return send
