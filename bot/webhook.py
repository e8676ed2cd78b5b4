"""Webhook ingress (`coprod-bot serve`): Telegram POSTs each update to a replica behind a
load balancer; the replica checks the secret, stores the update in the durable inbox,
answers 200 and hands it to the handlers. Several replicas share one database and
nothing else.

The order is the point. Telegram forgets an update once it has a 2xx answer, so the
update is in the database *before* the answer: a replica that dies right after answering
leaves a stored row that another replica takes over when the claim lapses (the same
exactly-once path polling uses, `InboxService.receive`). An update that cannot be stored
is answered 503, and Telegram sends it again. An update whose chat has an older one still
being handled by another replica is stored and answered but handled here only once the
older one is done (the inbox keeps each chat in order); this replica looks again shortly
rather than waiting for its next sweep.

Besides Telegram's path: `/healthz` (the process answers), `/readyz` (the database answers
and its migrations are current; 503 while draining on SIGTERM, so the load balancer stops
sending) and `/metrics` (Prometheus, bot/metrics.py). The leader (the worker lease) registers
the webhook with Telegram each time it takes office; the other replicas never do.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.app import enqueue_abandoned
from bot.background import cancel_and_wait
from bot.config import ConfigError, WebhookConfig
from bot.delivery.roles import ProcessRole
from bot.metrics import CONTENT_TYPE, Metrics
from bot.services.container import Services
from bot.services.health import HealthService
from bot.services.inbox import update_id_of
from bot.tolerant_bot import TolerantBot, readable_updates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# When an update waits behind another replica's, look again after these pauses (seconds).
NUDGES = (0.2, 0.5, 1.0, 2.0)
REGISTER_RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)
SHUTDOWN_TIMEOUT_S = 10.0  # in-flight requests finish within this on SIGTERM

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def require_webhook(config: WebhookConfig) -> None:
    if not config.secret:
        raise ConfigError("webhook.secret: missing; set COPROD_WEBHOOK__SECRET (1-256 of A-Z a-z 0-9 _ -)")
    if not config.url.startswith("https://"):
        raise ConfigError("webhook.url: must be the public https:// address Telegram posts to")


def secret_matches(given: str | None, expected: str) -> bool:
    """In constant time, so the answer's timing tells nothing about the secret."""
    return hmac.compare_digest((given or "").encode(), expected.encode())


class WebhookRegistration:
    """The leader tells Telegram where to post, at each new term (a replica that took
    over may be the only one left); retried in the background, so a Telegram that is
    away for a moment never holds up the new leader's work."""

    def __init__(self, application: AnyApplication, config: WebhookConfig) -> None:
        self.application = application
        self.config = config
        self._task: asyncio.Task[None] | None = None

    async def on_leadership(self) -> None:
        """Called by the worker at each new term; returns at once and never raises."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._register(), name="set-webhook")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _register(self) -> None:
        for attempt in itertools.count():
            try:
                await self.application.bot.set_webhook(
                    self.config.url, secret_token=self.config.secret, allowed_updates=Update.ALL_TYPES,
                    drop_pending_updates=False, max_connections=self.config.max_connections)
                log.info("registered the webhook with Telegram")
                return
            except TelegramError as error:
                pause = REGISTER_RETRY_S[min(attempt, len(REGISTER_RETRY_S) - 1)]
                log.warning("could not register the webhook (%s); trying again in %s s", error, pause)
                await asyncio.sleep(pause)


def register_when_leading(application: AnyApplication) -> None:
    """For a worker beside `serve --role ingress` replicas: its leader registers the webhook."""
    worker = application.bot_data.get("worker")
    if worker is not None:
        registration = WebhookRegistration(application, application.bot_data["services"].config.webhook)
        application.bot_data["webhook_registration"] = registration
        worker.on_gain.append(registration.on_leadership)


class WebhookIngress:
    def __init__(self, application: AnyApplication, services: Services) -> None:
        self.application = application
        self.services = services
        self.config = services.config.webhook
        self.health = HealthService(services.db, services.clock)
        self.metrics: Metrics = application.bot_data["metrics"]
        self.draining = False
        self._runner: web.AppRunner | None = None
        self._nudging: asyncio.Task[None] | None = None
        self.registration = WebhookRegistration(application, self.config)
        self.port = 0

    @property
    def bot(self) -> TolerantBot:
        bot = self.application.bot
        assert isinstance(bot, TolerantBot)
        return bot

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.config.path, self._telegram)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self, host: str | None = None, port: int | None = None) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host or self.config.listen_host,
                           self.config.listen_port if port is None else port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("webhook ingress listening on %s:%s%s", host or self.config.listen_host, self.port,
                 self.config.path)

    async def stop(self) -> None:
        """Stop taking updates (the load balancer sees /readyz fail), finish the requests
        in flight; the handlers' queue is drained by the application's own stop."""
        self.draining = True
        await cancel_and_wait(self._nudging)
        await self.registration.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- Telegram's path -------------------------------------------------------------
    async def _telegram(self, request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), self.config.secret):
            log.warning("refused a webhook request without the right secret from %s", request.remote)
            return web.Response(status=403)
        if self.draining:
            return web.Response(status=503)  # Telegram retries; another replica takes it
        try:
            raw = await request.json()
        except ValueError:
            return web.Response(status=400)
        update_id = update_id_of(raw)
        if update_id is None:
            return web.Response(status=400)
        try:
            mine = await self.services.inbox.receive([raw])
        except Exception as error:
            log.error("could not store update %s in the inbox (%s); Telegram will send it again",
                      update_id, type(error).__name__)
            return web.Response(status=503)
        if update_id in {entry.update_id for entry in mine}:
            self.bot.claim(mine)
            readable = readable_updates(self.bot, [raw])[0]
            await self.application.update_queue.put(Update.de_json(readable, self.bot))
        else:
            self._nudge()
        return web.Response(status=200)

    def _nudge(self) -> None:
        if self._nudging is None or self._nudging.done():
            self._nudging = asyncio.create_task(self._look_again(), name="webhook-nudge")

    async def _look_again(self) -> None:
        for pause in NUDGES:
            await asyncio.sleep(pause)
            try:
                if await enqueue_abandoned(self.application):
                    return
            except Exception:
                log.warning("could not look for updates waiting in the inbox", exc_info=True)

    # -- probes ------------------------------------------------------------------------
    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self.draining:
            return web.Response(status=503, text="draining\n")
        readiness = await self.health.readiness()
        return web.Response(status=200 if readiness.ready else 503, text=readiness.reason + "\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        worker = self.application.bot_data.get("worker")
        try:
            backlog = await self.health.backlog()
        except Exception:
            log.warning("could not read the outbox backlog for /metrics", exc_info=True)
        else:
            self.metrics.set_state(backlog, leader=worker is not None and worker.leadership.is_leader())
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def start_webhook(services: Services, *, role: ProcessRole = ProcessRole.ALL, outbox_interval: float = 0.5,
                        host: str | None = None, port: int | None = None) -> tuple[AnyApplication, WebhookIngress]:
    """The application started but not polling, fed by the webhook; with role `all`, this
    replica also stands for the worker lease, and registers the webhook while it leads."""
    from bot.runtime import start_application

    if not role.takes_updates:
        raise ConfigError("serve --role: a webhook replica takes updates (all or ingress)")
    application = await start_application(services, role=role, outbox_interval=outbox_interval,
                                          before_work=_registering_hook, share_of=services.config.webhook.replicas)
    ingress: WebhookIngress = application.bot_data["webhook"]
    await enqueue_abandoned(application)  # what a dead replica left goes first
    await ingress.start(host, port)
    return application, ingress


def _registering_hook(application: AnyApplication) -> None:
    ingress = WebhookIngress(application, application.bot_data["services"])
    application.bot_data["webhook"] = ingress
    worker = application.bot_data.get("worker")
    if worker is not None:
        worker.on_gain.append(ingress.registration.on_leadership)
