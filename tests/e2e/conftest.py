"""End-to-end: the real bot (python-telegram-bot's real HTTP stack) against the
project's Telegram emulator, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram.ext import Application

from bot.clock import FrozenClock
from bot.config import Config, parse_config
from bot.db.models import Role
from bot.db.session import Database
from bot.emulator import EmulatedUser, EmulatorLimits, TelegramEmulator
from bot.runtime import prepare, start_polling, stop
from bot.services.container import Services
from tests.conftest import TEST_CONFIG

ADMIN_ID = 9000


class BotUnderTest:
    """One bot process; `restart()` replaces it with a fresh one on the same database,
    as a deploy or a crash would."""

    def __init__(self, emulator: TelegramEmulator, config: Config, clock: FrozenClock) -> None:
        self.emulator = emulator
        self.config = config
        self.clock = clock
        self.services: Services | None = None
        self.application: Application | None = None

    async def start(self) -> None:
        self.services = await prepare(self.config, clock=self.clock)
        self.application = await start_polling(self.services, poll_timeout=1, outbox_interval=0.1)

    async def stop(self) -> None:
        if self.application is not None:
            await stop(self.application)
            self.application = None
        if self.services is not None:
            await self.services.db.dispose()
            self.services = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def settled(self, timeout: float = 5.0) -> None:
        """Waits until every update handed over has been handled to its end. The bot
        answers first and then commits the dialogue's next step (handlers/base.py Turn),
        so a test that reads the database the moment an answer arrives waits for this;
        the member's own next update always does (a chat's updates run in order)."""
        assert self.application is not None
        bot = self.application.bot
        deadline = asyncio.get_running_loop().time() + timeout
        while bot.claimed or not self.application.update_queue.empty():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"updates still being handled after {timeout}s: {sorted(bot.claimed)}")
            await asyncio.sleep(0.005)

    def user(self, user_id: int, first_name: str = "Ceri", language_code: str | None = "en") -> EmulatedUser:
        return self.emulator.user(user_id=user_id, first_name=first_name, language_code=language_code)


def e2e_config(base_url: str, database_url: str) -> Config:
    raw = copy.deepcopy(TEST_CONFIG)
    raw["telegram"]["base_url"] = base_url
    raw["database"] = {"url": database_url}
    return parse_config(raw)


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    # Tests type far faster than people; a larger per-chat burst keeps Telegram's real
    # rate (1 message/s sustained) from turning a quick story into a 429.
    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot",
                                limits=EmulatorLimits(chat_burst=60))
    await emulator.start(host="127.0.0.1", port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


@asynccontextmanager
async def running_bot(emulator: TelegramEmulator, config: Config, clock: FrozenClock) -> AsyncIterator[BotUnderTest]:
    running = BotUnderTest(emulator, config, clock)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        # Telegram would have refused these; the bot must never send them.
        assert emulator.rejections == [], emulator.rejections
        assert emulator.unanswered_callback_queries() == []


@pytest.fixture
async def bot(emulator: TelegramEmulator, db: Database, clock: FrozenClock) -> AsyncIterator[BotUnderTest]:
    url = db.engine.url.render_as_string(hide_password=False)
    async with running_bot(emulator, e2e_config(emulator.base_url, url), clock) as running:
        yield running


async def register(bot: BotUnderTest, user: EmulatedUser, *, language: str = "English",
                   name: str | None = None, neighbourhood: str = "Splott") -> None:
    """Walks a resident through /start to the main menu."""
    await user.send_text("/start")
    await user.next_message()
    await user.press(language)
    await user.next_event()
    await user.press(1)  # I agree / Rwy'n cytuno
    await user.next_event()
    if name is None:
        await user.press(1)  # use the Telegram first name
    else:
        await user.send_text(name)
    await user.next_event()
    await user.press(neighbourhood)
    await user.next_event()  # registered
    await user.next_message()  # main menu


async def grant(bot: BotUnderTest, telegram_user_id: int, role: Role, organisation: str | None) -> None:
    await bot.services.members.grant(actor_member_id=None, role=role, telegram_user_id=telegram_user_id,
                                     organisation_slug=organisation)


async def wait_for(user, words: str, timeout: float = 5.0, *, edits: bool = False):
    """The next message (or, with edits, also the next edit) in the chat containing
    `words`, passing over notifications the outbox sends meanwhile."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = max(deadline - asyncio.get_running_loop().time(), 0.01)
        message = await (user.next_event if edits else user.next_message)(timeout=remaining)
        if words in message.text:
            return message
