"""Webhook mode, end to end: the real bot as a webhook replica (`coprod-bot serve`'s
runtime), the emulator posting updates to it as Telegram does, on SQLite and PostgreSQL.
The leader registers the webhook with its secret; a request without the secret is
refused and stores nothing; an update is in the database before Telegram hears 200."""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from bot.clock import FrozenClock
from bot.config import Config, parse_config
from bot.db.enums import InboxStatus
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database
from bot.emulator import EmulatedUser, TelegramEmulator
from bot.runtime import prepare, stop
from bot.services.container import Services
from bot.webhook import SECRET_HEADER, WebhookIngress, start_webhook
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import register

SECRET = "webhook-secret_of-the-test-0123456789"
PUBLIC_URL = "https://bot.example.org/telegram"


class WebhookBot:
    """One webhook replica on a free local port; the emulator's deliveries go to it."""

    def __init__(self, emulator: TelegramEmulator, config: Config, clock: FrozenClock) -> None:
        self.emulator = emulator
        self.config = config
        self.clock = clock
        self.services: Services | None = None
        self.application: Application | None = None
        self.ingress: WebhookIngress | None = None

    @property
    def url(self) -> str:
        assert self.ingress is not None
        return f"http://127.0.0.1:{self.ingress.port}"

    async def start(self) -> None:
        self.services = await prepare(self.config, clock=self.clock)
        self.application, self.ingress = await start_webhook(self.services, outbox_interval=0.1,
                                                             host="127.0.0.1", port=0)
        self.emulator.spread_webhook([self.url + self.config.webhook.path])
        async with asyncio.timeout(10):  # the leader registers the webhook when it takes office
            while not self.emulator.webhook.active:
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.ingress is not None:
            await self.ingress.stop()
            self.ingress = None
        if self.application is not None:
            await stop(self.application)
            self.application = None
        if self.services is not None:
            await self.services.db.dispose()
            self.services = None

    def user(self, user_id: int, first_name: str = "Ceri", language_code: str | None = "en") -> EmulatedUser:
        return self.emulator.user(user_id=user_id, first_name=first_name, language_code=language_code)


def webhook_config(base_url: str, database_url: str) -> Config:
    raw: dict[str, Any] = copy.deepcopy(TEST_CONFIG)
    raw["telegram"]["base_url"] = base_url
    raw["database"] = {"url": database_url}
    raw["webhook"] = {"url": PUBLIC_URL, "secret": SECRET, "path": "/telegram"}
    return parse_config(raw)


@pytest.fixture
async def hooked(emulator: TelegramEmulator, db: Database, clock: FrozenClock) -> AsyncIterator[WebhookBot]:
    url = db.engine.url.render_as_string(hide_password=False)
    running = WebhookBot(emulator, webhook_config(emulator.base_url, url), clock)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        assert emulator.rejections == [], emulator.rejections
        assert emulator.unanswered_callback_queries() == []


async def test_a_resident_registers_and_checks_her_balance_through_the_webhook(hooked: WebhookBot) -> None:
    ceri = hooked.user(7101, "Ceri")
    await register(hooked, ceri)  # type: ignore[arg-type]  # a replica stands in for BotUnderTest
    await ceri.send_text("/balance")
    assert "Your balance" in (await ceri.next_message()).text
    registered = [params for method, params in hooked.emulator.requests if method == "setWebhook"]
    assert len(registered) == 1  # by the leader, once
    assert {key: str(registered[0][key]).lower() for key in ("url", "secret_token", "drop_pending_updates")} == \
        {"url": PUBLIC_URL.lower(), "secret_token": SECRET.lower(), "drop_pending_updates": "false"}
    assert {"message", "callback_query", "my_chat_member"} <= set(registered[0]["allowed_updates"])
    assert "getUpdates" not in {method for method, _ in hooked.emulator.requests}
    assert hooked.services is not None
    await ceri.expect_silence(0.3)  # the last update is marked just after its answer
    assert (await hooked.services.inbox.counts())[InboxStatus.HANDLED] == 6  # /start, 4 steps, /balance


async def test_a_request_without_the_right_secret_is_refused_and_stores_nothing(hooked: WebhookBot) -> None:
    update = {"update_id": 99_001, "message": {"message_id": 1, "date": 0, "text": "/help",
                                                "chat": {"id": 7201, "type": "private", "first_name": "Mallory"},
                                                "from": {"id": 7201, "is_bot": False, "first_name": "Mallory"}}}
    async with httpx.AsyncClient() as client:
        endpoint = hooked.url + "/telegram"
        missing = await client.post(endpoint, json=update)
        wrong = await client.post(endpoint, json=update, headers={SECRET_HEADER: SECRET[:-1] + "X"})
        longer = await client.post(endpoint, json=update, headers={SECRET_HEADER: SECRET + "0"})
    assert [missing.status_code, wrong.status_code, longer.status_code] == [403, 403, 403]
    assert hooked.services is not None
    async with hooked.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
    assert hooked.emulator.user(7201).messages == []


async def test_an_update_is_stored_before_telegram_is_told_it_arrived(hooked: WebhookBot) -> None:
    """Telegram forgets an update at the 200: by then it must be a row, so a replica that
    died at that moment leaves it for another."""
    update = {"update_id": 99_101, "message": {"message_id": 1, "date": 0, "text": "/help",
                                                "chat": {"id": 7301, "type": "private", "first_name": "Dai"},
                                                "from": {"id": 7301, "is_bot": False, "first_name": "Dai"}}}
    hooked.user(7301, "Dai")
    assert hooked.services is not None
    async with httpx.AsyncClient() as client:
        answer = await client.post(hooked.url + "/telegram", json=update, headers={SECRET_HEADER: SECRET})
        async with hooked.services.db.read() as session:
            status = await session.scalar(select(InboxUpdate.status).where(InboxUpdate.update_id == 99_101))
        again = await client.post(hooked.url + "/telegram", json=update, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 200 and status in (InboxStatus.RECEIVED, InboxStatus.HANDLED)
    assert again.status_code == 200  # a redelivery is taken and not handled twice
    await hooked.emulator.user(7301).next_message()
    await hooked.emulator.user(7301).expect_silence(0.5)


async def test_probes_and_metrics_report_the_replica(hooked: WebhookBot) -> None:
    sam = hooked.user(7401, "Sam")
    await sam.send_text("/help")
    await sam.next_message()
    await asyncio.sleep(0.2)  # the update's last handler has run by now
    async with httpx.AsyncClient() as client:
        health = await client.get(hooked.url + "/healthz")
        ready = await client.get(hooked.url + "/readyz")
        metrics = (await client.get(hooked.url + "/metrics")).text
    assert (health.status_code, ready.status_code, ready.text.strip()) == (200, 200, "ok")
    handled = re.search(r'coprod_updates_handled_total\{kind="message",outcome="handled"\} (\S+)', metrics)
    assert handled is not None and float(handled.group(1)) >= 1
    assert 'coprod_handler_latency_seconds_bucket{kind="message",le="+Inf"}' in metrics
    for name in ("coprod_outbox_backlog", "coprod_outbox_oldest_due_age_seconds", "coprod_messages_sent_total",
                 "coprod_messages_failed_total", "coprod_telegram_429_total", "coprod_inbox_unhandled"):
        assert re.search(rf"^{name}(\{{[^}}]*\}})? \S+$", metrics, re.MULTILINE), name
    assert re.search(r"^coprod_leader 1\.0$", metrics, re.MULTILINE)
    assert hooked.ingress is not None
    hooked.ingress.draining = True  # SIGTERM: the load balancer must stop sending here
    async with httpx.AsyncClient() as client:
        assert (await client.get(hooked.url + "/readyz")).status_code == 503
    hooked.ingress.draining = False
