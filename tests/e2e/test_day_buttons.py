""""Yesterday" means the day before the one on screen when the question was asked, even
if the member answers after midnight."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.db.models import TimeEntry
from tests.e2e.conftest import BotUnderTest, register


async def test_yesterday_pressed_after_midnight_logs_the_day_that_was_shown(bot: BotUnderTest) -> None:
    sam = bot.user(6201, "Sam")
    await register(bot, sam)
    bot.clock.set(datetime(2026, 12, 7, 23, 50, tzinfo=timezone.utc))  # Monday, ten to midnight in London
    await sam.send_text("/log")
    await sam.next_message()
    await sam.press("Community hub")
    await sam.next_event()
    await sam.press("Splott Community Trust")
    assert "When was it?" in (await sam.next_event()).text
    bot.clock.set(datetime(2026, 12, 8, 0, 10, tzinfo=timezone.utc))  # Tuesday now
    await sam.press("Yesterday")  # shown on Monday: Sunday
    asked = await sam.next_event()
    assert "Sunday 6 December" in asked.text
    await sam.send_text("2")
    await sam.next_message()
    await sam.press("Skip")
    await sam.next_event()
    await sam.press("Send for approval")
    await sam.next_event()
    async with bot.services.db.read() as session:
        assert await session.scalar(select(TimeEntry.worked_on)) == date(2026, 12, 6)
