"""A scheme set up only from config.example.toml, as the README tells an operator to:
a member earns credits and spends them at a council leisure centre and at a community
cafe, and the leisure desk accepts the voucher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.config import load_config
from bot.db.models import Role
from bot.db.session import Database
from bot.emulator import TelegramEmulator
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import BotUnderTest, grant, register, running_bot, wait_for
from tests.e2e.test_credits import balance_text, earn

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.fixture
async def example_bot(emulator: TelegramEmulator, db: Database, clock: FrozenClock) -> AsyncIterator[BotUnderTest]:
    # Only what an operator sets for a first run: the token, where Telegram is, the database.
    config = load_config(EXAMPLE, require_file=True, environ={
        "COPROD_TELEGRAM_TOKEN": TEST_CONFIG["telegram"]["token"],
        "COPROD_TELEGRAM_BASE_URL": emulator.base_url,
        "COPROD_DATABASE_URL": db.engine.url.render_as_string(hide_password=False)})
    async with running_bot(emulator, config, clock) as running:
        yield running


async def take_voucher(user, offer: str) -> str:
    await user.send_text("/spend")
    await user.next_message()
    await user.press(offer)
    await user.next_event()
    await user.press("Get a voucher")
    voucher = await user.next_event()
    await user.next_message()  # the QR code
    return voucher.text


async def test_a_member_spends_at_a_leisure_centre_and_a_community_cafe(example_bot: BotUnderTest) -> None:
    bot = example_bot
    sam, tom, desk = bot.user(7001, "Sam"), bot.user(7002, "Tom"), bot.user(7003, "Desk")
    for user in (sam, tom, desk):
        await register(bot, user, neighbourhood="Splott and Tremorfa")
    await grant(bot, 7002, Role.COORDINATOR, "splott-hub")
    await grant(bot, 7003, Role.PARTNER, "cardiff-council")
    await earn(sam, tom, "3", organisation="Splott Community Hub")

    await sam.send_text("/spend")
    directory = await sam.next_message()
    labels = [button.text for row in directory.buttons for button in row]
    assert any("Swimming session" in label for label in labels)
    assert any("Community cafe lunch" in label for label in labels)

    swim = await take_voucher(sam, "Swimming session")
    assert "Eastern Leisure Centre" in swim and "Your balance is now 2 hours of time credits" in swim
    code = swim.split("Swimming session: ")[1].split()[0]
    lunch = await take_voucher(sam, "Community cafe lunch")
    assert "Splott Community Hub" in lunch and "Your balance is now 1 hour of time credits" in lunch
    assert "Your balance: 1 hour of time credits" in await balance_text(sam)

    await desk.send_text(f"/redeem {code}")
    assert "Accepted: Swimming session for Sam" in (await desk.next_message()).text
    assert "has been used" in (await wait_for(sam, "has been used")).text

    # The cafe lunch is one a week (weekly_limit = 1 in the example).
    await sam.send_text("/spend")
    await sam.next_message()
    await sam.press("Community cafe lunch")
    assert "At most 1 voucher a week for each member." in (await sam.next_event()).text
    refused = await sam.press("Get a voucher")
    assert "1 voucher a week" in (await sam.callback_answer(refused))["text"]
