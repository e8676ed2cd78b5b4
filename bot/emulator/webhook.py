"""Webhook delivery, as Telegram does it: once a bot calls setWebhook, updates are no
longer handed out by getUpdates (it answers 409) but POSTed as JSON to the URL, with the
secret in ``X-Telegram-Bot-Api-Secret-Token``. An update stays queued until the bot
answers 2xx; any other answer, or none, is recorded in getWebhookInfo's
``last_error_message`` and the same update is tried again after a pause that grows.

Updates go out one at a time, in order (Telegram allows up to ``max_connections`` in
flight; one keeps tests deterministic and still lets the bot handle several at once,
since it answers as soon as an update is stored).

Test-side, ``TelegramEmulator.spread_webhook(urls)`` stands for a load balancer in front
of several replicas: each attempt goes to the next URL in turn (a replica that fails is
simply skipped by the retry), so consecutive updates of one chat land on different
replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from .errors import bad_request, conflict
from .params import Params

if TYPE_CHECKING:
    from .server import RequestContext, TelegramEmulator

_log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_ACTIVE = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
FIRST_RETRY_S = 0.05  # Telegram waits longer; tests should not
LAST_RETRY_S = 1.0
POST_TIMEOUT_S = 10.0


@dataclass
class WebhookState:
    url: str = ""
    secret: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    spread: list[str] = field(default_factory=list)  # a test's load balancer: these instead of url
    attempts: int = 0  # POSTs made, for tests
    delivered_to: dict[int, str] = field(default_factory=dict)  # update_id -> the URL that took it
    failures: int = 0


class WebhookPusher:
    def __init__(self, emu: TelegramEmulator) -> None:
        self.emu = emu
        self.state = WebhookState()
        self._task: asyncio.Task[None] | None = None
        self._turn = 0

    @property
    def active(self) -> bool:
        return bool(self.state.url)

    def set(self, url: str, secret: str | None, max_connections: int, allowed: list[str] | None) -> None:
        old = self.state
        self.state = WebhookState(url=url, secret=secret, max_connections=max_connections, allowed_updates=allowed,
                                  spread=old.spread, attempts=old.attempts, failures=old.failures,
                                  delivered_to=old.delivered_to)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._push(), name="emulator-webhook")
        self.emu.updates.notify()

    async def delete(self) -> None:
        old = self.state
        self.state = WebhookState(spread=old.spread, attempts=old.attempts, failures=old.failures,
                                  delivered_to=old.delivered_to)
        await self.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _target(self) -> str:
        if self.state.spread:
            self._turn += 1
            return self.state.spread[self._turn % len(self.state.spread)]
        return self.state.url

    async def _push(self) -> None:
        queue = self.emu.updates
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT_S)) as session:
            pause = FIRST_RETRY_S
            while self.active:
                changed = queue.changed()
                batch = queue.take(1)
                if not batch:
                    await changed.wait()
                    continue
                update = batch[0]
                if await self._post(session, update):
                    queue.confirm(update["update_id"] + 1)
                    pause = FIRST_RETRY_S
                else:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, LAST_RETRY_S)

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {"Content-Type": "application/json"}
        if self.state.secret:
            headers[SECRET_HEADER] = self.state.secret
        target = self._target()
        self.state.attempts += 1
        try:
            async with session.post(target, data=json.dumps(update, ensure_ascii=False), headers=headers) as answer:
                await answer.read()
                if 200 <= answer.status < 300:
                    self.state.delivered_to[update["update_id"]] = target
                    return True
                error = f"Wrong response from the webhook: {answer.status} {answer.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        self.state.failures += 1
        self.state.last_error_date = int(time.time())
        self.state.last_error_message = error
        _log.info("webhook delivery of update %s to %s failed: %s", update["update_id"], target, error)
        return False


# -- the Bot API methods -----------------------------------------------------------------
async def set_webhook(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    url = (params.get_str("url") or "").strip()
    if not url:
        return await delete_webhook(emu, params, ctx)
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (urlsplit(url).hostname or "").endswith(".invalid"):  # RFC 2606: never resolves
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = params.get_str("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    max_connections = params.get_int("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = params.get_json("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates JSON object")
    emu.updates.set_allowed(allowed)
    if params.get_bool("drop_pending_updates"):
        emu.updates.drop_pending()
    emu.webhook.set(url, secret, max_connections, allowed)
    return True


async def delete_webhook(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    if params.get_bool("drop_pending_updates"):
        emu.updates.drop_pending()
    await emu.webhook.delete()
    return True


async def get_webhook_info(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    state = emu.webhook.state
    info: dict[str, Any] = {"url": state.url, "has_custom_certificate": False,
                            "pending_update_count": emu.updates.pending_count}
    if state.url:
        info["max_connections"] = state.max_connections
        if state.allowed_updates is not None:
            info["allowed_updates"] = state.allowed_updates
    if state.last_error_date is not None:
        info["last_error_date"] = state.last_error_date
        info["last_error_message"] = state.last_error_message
    return info


def refuse_polling_while_active(emu: TelegramEmulator) -> None:
    if emu.webhook.active:
        raise conflict(WEBHOOK_ACTIVE)
