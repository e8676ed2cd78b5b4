"""Fixtures for driving the emulator with python-telegram-bot's real Bot."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.emulator import EmulatedUser, TelegramEmulator
from bot.emulator.clock import ManualClock

TOKEN = "123456:TEST-TOKEN"
# Building an SSL context (loading CA certificates) is the slowest part of a
# PTB Bot's construction; the emulator is plain HTTP, so share one.
_SSL = ssl.create_default_context()

BotFactory = Callable[..., telegram.Bot]


@pytest.fixture
def clock() -> ManualClock:
    """Time for rate limits and callback deadlines; tests move it by hand."""
    return ManualClock()


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def make_bot(emu: TelegramEmulator) -> BotFactory:
    """A real PTB Bot pointed at the emulator (use ``async with``)."""

    def factory(token: str = TOKEN, emulator: TelegramEmulator | None = None) -> telegram.Bot:
        target = emulator or emu
        return telegram.Bot(
            token,
            base_url=target.base_url,
            base_file_url=target.base_file_url,
            request=HTTPXRequest(httpx_kwargs={"verify": _SSL}),
            get_updates_request=HTTPXRequest(httpx_kwargs={"verify": _SSL}),
        )

    return factory


@pytest.fixture
async def bot(make_bot: BotFactory) -> AsyncIterator[telegram.Bot]:
    async with make_bot() as client:
        yield client


@pytest.fixture
def ceri(emu: TelegramEmulator) -> EmulatedUser:
    return emu.user(1001, first_name="Ceri", language_code="cy")
