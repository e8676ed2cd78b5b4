"""Names and places with HTML's own characters arrive as typed: every message goes out
as HTML, so they are escaped once, never left as markup and never escaped twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.services.shift_authoring import ShiftChanges
from tests.e2e.conftest import BotUnderTest, register
from tests.e2e.test_rota import MONDAY_NOON, volunteers
from tests.e2e.test_shifts import coordinator_of_splott, make_shift, member_id

NAME = "<Ceri> & Jo's"
VENUE = "St Mary's <Hall> & Café"


def shows_as_typed(text: str, typed: str) -> bool:
    return typed in text and "&lt;" not in text and "&amp;" not in text and "&#39;" not in text


async def test_a_members_name_and_a_venue_with_markup_read_as_typed(bot: BotUnderTest) -> None:
    tom = await coordinator_of_splott(bot, 6101)
    shift_id = await make_shift(bot, 6101, local_start=datetime(2026, 12, 7, 11), hours=2.5, capacity=2)
    start = datetime(2026, 12, 7, 11, tzinfo=timezone.utc)
    assert await bot.services.shifts.edit_shift(await member_id(bot, 6101), shift_id, ShiftChanges(venue=VENUE))
    await volunteers(bot, shift_id, (6102, NAME))
    ceri = bot.user(6102, NAME)

    # The volunteer's own card of the shift.
    await ceri.send_text(f"/start shift_{shift_id}")
    assert shows_as_typed((await ceri.next_message()).text, VENUE)

    # The coordinator's rota (the roster names each person) and the attendance list,
    # with the notice that comes above it once someone is marked.
    bot.clock.set(MONDAY_NOON)
    await tom.send_text("/rota")
    rota = await tom.next_message()
    assert shows_as_typed(rota.text, VENUE)
    await tom.press("Mon 7 Dec 11:00")
    roster = await tom.next_event()
    assert shows_as_typed(roster.text, f"{NAME}: booked") and VENUE in roster.text
    await tom.press("Attendance")
    assert shows_as_typed((await tom.next_event()).text, NAME)
    await tom.press(f"✅ {NAME}"[:60])
    marked = await tom.next_event()
    assert shows_as_typed(marked.text, NAME)

    bot.clock.set(start + timedelta(hours=4))
    await tom.press("Confirm and credit hours")
    assert "Confirmed: 1 person credited." in (await tom.next_event()).text


async def test_a_shift_card_with_a_map_pin_keeps_its_link(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot, 6111)
    shift_id = await make_shift(bot, 6111, local_start=datetime(2026, 12, 9, 10))
    assert await bot.services.shifts.edit_shift(await member_id(bot, 6111), shift_id,
                                                ShiftChanges(venue=VENUE, latitude=51.4816, longitude=-3.1791))
    sam = bot.user(6112, "Sam")
    await register(bot, sam)
    await sam.send_text(f"/start shift_{shift_id}")
    card = (await sam.next_message()).text
    assert "https://www.openstreetmap.org/?mlat=51.48160&mlon=-3.17910#map=17/51.48160/-3.17910" in card
    assert VENUE in card
