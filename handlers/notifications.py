"""Sending the outbox: render each notification in its member's language, send, mark.

Services record notifications (bot/services/outbox.py); this module owns only how each
kind reads and the Telegram side of sending. The job queue wakes `dispatch_outbox`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

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


async def dispatch_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    services: Services = context.application.bot_data["services"]
    await send_due(services, context.bot)


async def send_due(services: Services, bot: Any) -> int:  # noqa: ANN401 - telegram.Bot
    """Sends what is due now; returns how many were sent."""
    sent = 0
    for message in await services.outbox.claim_due():
        if await _send_one(services, bot, message):
            sent += 1
    return sent


async def _send_one(services: Services, bot: Any, message: Claimed) -> bool:  # noqa: ANN401
    renderer = RENDERERS.get(message.kind)
    if renderer is None:
        log.error("no renderer for notification kind %r", message.kind)
        await services.outbox.mark_failed(message.id, f"unknown kind {message.kind}", permanent=True)
        return False
    t = translator(message.language, services.config.tz, services.config.scheme.default_language)
    try:
        rendered = await renderer(services, t, message.payload, message.member_id)
        if rendered is None:  # nothing to say any more (e.g. the shift was deleted)
            await services.outbox.mark_sent(message.id)
            return False
        await bot.send_message(message.telegram_user_id, rendered.text, reply_markup=rendered.keyboard)
    except Forbidden as error:
        await services.members.mark_unreachable(message.telegram_user_id)
        await services.outbox.mark_failed(message.id, str(error), permanent=True)
        return False
    except RetryAfter as error:
        retry = error.retry_after if isinstance(error.retry_after, timedelta) else timedelta(seconds=error.retry_after)
        await services.outbox.mark_failed(message.id, str(error), permanent=False, retry_after=retry)
        return False
    except BadRequest as error:
        log.error("Telegram refused notification %s: %s", message.id, error)
        await services.outbox.mark_failed(message.id, str(error), permanent=True)
        return False
    except TelegramError as error:
        await services.outbox.mark_failed(message.id, str(error), permanent=False)
        return False
    except Exception as error:  # noqa: BLE001 - one broken notification must not hold up the rest
        log.exception("could not render or send notification %s (%s)", message.id, message.kind)
        await services.outbox.mark_failed(message.id, f"{type(error).__name__}: {error}", permanent=False,
                                          retry_after=timedelta(minutes=10))
        return False
    await services.outbox.mark_sent(message.id)
    return True
