"""Webhook delivery: once a bot sets a webhook, updates are POSTed to it with the secret
header, in order, each retried until the bot answers 2xx; getUpdates is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from bot.emulator import EmulatedUser, TelegramEmulator
from bot.emulator.webhook import SECRET_HEADER


class Receiver:
    """A bot's webhook endpoint that fails the first `failures` posts with a 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[str | None, dict[str, object]]] = []
        self.got = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        self.received.append((request.headers.get(SECRET_HEADER), await request.json()))
        self.got.set()
        return web.Response(text="")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver(failures=2)
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield receiver, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def until(condition, timeout: float = 5.0) -> None:  # noqa: ANN001
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_updates_are_posted_with_the_secret_in_order_and_retried_until_taken(
        bot: telegram.Bot, emu: TelegramEmulator, ceri: EmulatedUser, receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    assert await bot.set_webhook(url, secret_token="s3cret-Token_1", allowed_updates=["message"],
                                 drop_pending_updates=False)
    first = await ceri.send_text("/start")
    second = await ceri.send_text("Helo")
    await until(lambda: len(hook.received) == 2)
    assert [update["update_id"] for _, update in hook.received] == [first, second]
    assert {secret for secret, _ in hook.received} == {"s3cret-Token_1"}
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0 and info.allowed_updates == ("message",)
    assert "500" in (info.last_error_message or "")  # the two refusals, retried
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    third = await ceri.send_text("/help")
    assert [update.update_id for update in await bot.get_updates()] == [third]


async def test_a_webhook_must_be_https_and_its_secret_well_formed(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await bot.set_webhook("http://bot.example.org/hook")
    with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
        await bot.set_webhook("https://bot.example.org/hook", secret_token="no spaces allowed")
    with pytest.raises(BadRequest, match="(?i)failed to resolve host"):
        await bot.set_webhook("https://bot.example.invalid/hook")
    assert (await bot.get_webhook_info()).url == ""
