"""The small dead ends and surprises people met when they first tried the bot, each
told as the member meets it, now with a way through."""

from __future__ import annotations

from datetime import date, datetime

from tests.e2e.conftest import BotUnderTest, register, wait_for
from tests.e2e.test_shifts import coordinator_of_splott, make_shift, member_id


async def test_a_dbs_shift_is_not_offered_as_free_to_someone_without_a_check(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot, 5001)
    await make_shift(bot, 5001, local_start=datetime(2026, 12, 10, 10, 0), activity="day-centre")
    sam = bot.user(5002, "Sam")
    checked = bot.user(5003, "Alys")
    await register(bot, sam)
    await register(bot, checked)
    await bot.services.dbs.record_dbs_check(await member_id(bot, 5001), await member_id(bot, 5003), date(2026, 6, 1))

    await sam.send_text("/shifts")
    listing = await sam.next_message()
    assert "you could take" not in listing.text and "1 upcoming shift" in listing.text
    label = listing.button_labels()[3]
    assert "needs a DBS check" in label and "free" not in label

    await checked.send_text("/shifts")
    assert "2 places free" in (await checked.next_message()).button_labels()[3]
