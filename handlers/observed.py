"""One log line and one metric sample per update: which kind, which handler, whose (the
member's Telegram id, never a name), what came of it and how long it took.

Two handlers bracket every update, in the first group and the last (python-telegram-bot
runs each group in turn, and the groups after one whose handler failed still run), and
an error handler notes what went wrong in between. Nothing here answers anyone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import Forbidden, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.metrics import Metrics, UpdateOutcome
from bot.services.dialogues import DialogueMoved
from handlers.routing import Registry

log = logging.getLogger("coprod.updates")
FIRST_GROUP = -1_000_000
LAST_GROUP = 1_000_000


@dataclass
class _Observed:
    started: float
    kind: str
    handler: str
    member: int | None
    outcome: UpdateOutcome = UpdateOutcome.HANDLED


def install(application: Application[Any, Any, Any, Any, Any, Any], metrics: Metrics) -> None:
    application.bot_data["metrics"] = metrics
    application.bot_data["observed"] = {}
    application.add_handler(TypeHandler(Update, _begin), group=FIRST_GROUP)
    application.add_handler(TypeHandler(Update, _end), group=LAST_GROUP)
    application.add_error_handler(_note_error)


def update_kind(update: Update) -> str:
    """The update's field (message, callback_query, my_chat_member ...), "" for none."""
    return next((key for key in update.to_dict() if key != "update_id"), "")


def handler_of(update: Update, registry: Registry | None) -> str:
    """A name for what will answer this update: a command, a button's handler, a step."""
    if update.callback_query is not None:
        route = registry.callback_for(update.callback_query.data or "")[0] if registry is not None else None
        return f"{route.module.rsplit('.', 1)[-1]}.{route.handler.__name__}" if route is not None else "button?"
    message = update.effective_message
    if message is not None and update.message is not None:
        text = message.text or ""
        if text.startswith("/"):
            return text.split()[0].split("@")[0][:33]
        if message.location is not None:
            return "location"
        return "text" if message.text else "other message"
    return update_kind(update) or "none"


def _observed(context: ContextTypes.DEFAULT_TYPE) -> dict[int, _Observed]:
    observed: dict[int, _Observed] = context.application.bot_data["observed"]
    return observed


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    kind = update_kind(update)
    if not kind:
        return  # a stand-in (see bot/tolerant_bot.py): nothing to handle here
    user = update.effective_user
    _observed(context)[update.update_id] = _Observed(
        time.perf_counter(), kind, handler_of(update, context.application.bot_data.get("registry")),
        user.id if user is not None else None)


async def _note_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not isinstance(update, Update):
        return
    entry = _observed(context).get(update.update_id)
    if entry is None:
        return
    error = context.error
    if isinstance(error, Forbidden):
        entry.outcome = UpdateOutcome.BLOCKED
    elif isinstance(error, (RetryAfter, TimedOut)):
        entry.outcome = UpdateOutcome.SLOWED
        if isinstance(error, RetryAfter):
            metrics: Metrics = context.application.bot_data["metrics"]
            metrics.answer_floods.inc()
    elif isinstance(error, DialogueMoved):
        entry.outcome = UpdateOutcome.SUPERSEDED
    else:
        entry.outcome = UpdateOutcome.FAILED


async def _end(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    entry = _observed(context).pop(update.update_id, None)
    if entry is None:
        return
    seconds = time.perf_counter() - entry.started
    metrics: Metrics = context.application.bot_data["metrics"]
    metrics.observe_update(entry.kind, entry.outcome, seconds)
    log.info("update %s (%s, %s) from member %s: %s in %.1f ms", update.update_id, entry.kind, entry.handler,
             entry.member, entry.outcome.value, seconds * 1000,
             extra={"event": "update", "update_id": update.update_id, "kind": entry.kind,
                    "handler": entry.handler, "member_telegram_id": entry.member,
                    "outcome": entry.outcome.value, "latency_ms": round(seconds * 1000, 2)})
