"""/settings, as members live it: each change confirmed on the spot, in Welsh and in
English, and remembered (the reminder and broadcast rules read the same rows)."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.enums import ReminderOffset
from bot.db.models import Member
from tests.e2e.conftest import BotUnderTest, register


async def preferences(bot: BotUnderTest, telegram_user_id: int):
    async with bot.services.db.transaction() as session:
        member_id = await session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_user_id))
    return await bot.services.member_settings.preferences(member_id), member_id


async def test_an_english_member_chooses_reminders_quiet_hours_broadcasts_and_interests(bot: BotUnderTest) -> None:
    sam = bot.user(4101, "Sam")
    await register(bot, sam)
    await sam.send_text("⚙️ Settings")  # the main menu's button
    home = await sam.next_message()
    assert "⏰ Reminders: 24 hours and 2 hours before each shift" in home.text  # the defaults
    assert "🌙 Quiet hours: 21:00–08:00" in home.text and "📣 Broadcasts: on" in home.text
    assert "📍 Neighbourhood: Splott" in home.text

    await sam.press("⏰ Reminders")
    await sam.next_event()
    refused = await sam.callback_answer(await sam.press("1 week"))  # a third: refused, nothing changed
    assert refused["show_alert"] and "at most two reminders" in refused["text"]
    await sam.press("✅ 24 hours")  # take one away...
    shown = await sam.next_event()
    assert "✅ Saved." in shown.text and "⏰ Reminders: 2 hours before each shift" in shown.text
    await sam.press("1 week")  # ...and add the week
    shown = await sam.next_event()
    assert "⏰ Reminders: 1 week and 2 hours before each shift" in shown.text
    prefs, _id = await preferences(bot, 4101)
    assert prefs.reminder_offsets == (ReminderOffset.WEEK, ReminderOffset.TWO_HOURS)

    await sam.press("◀ Back to settings")
    await sam.next_event()
    await sam.press("🌙 Quiet hours")
    await sam.next_event()
    await sam.press("🌙 22:00")
    shown = await sam.next_event()
    assert "✅ Saved." in shown.text and "🌙 Quiet hours: 22:00–08:00" in shown.text
    await sam.press("☀️ 07:00")
    assert "🌙 Quiet hours: 22:00–07:00" in (await sam.next_event()).text

    await sam.press("◀ Back to settings")
    await sam.next_event()
    await sam.press("📣 Turn broadcasts off")
    shown = await sam.next_event()
    assert "✅ Saved.\n📣 Broadcasts: off" in shown.text
    assert "📣 Turn broadcasts on" in shown.button_labels()
    assert not await bot.services.member_settings.broadcasts_enabled(_id)

    await sam.press("🎯 Activities")
    await sam.next_event()
    await sam.press("Seniors' day centre")
    shown = await sam.next_event()
    assert "🎯 Activities you want to hear about: Seniors' day centre" in shown.text
    assert "✅ Seniors' day centre" in shown.button_labels()

    await sam.press("◀ Back to settings")
    await sam.next_event()
    await sam.press("📍 Neighbourhood")
    await sam.next_event()
    await sam.press("Ely")
    assert "📍 Neighbourhood: Ely" in (await sam.next_event()).text

    prefs, member_id = await preferences(bot, 4101)
    assert (prefs.quiet.start.hour, prefs.quiet.end.hour, prefs.broadcasts) == (22, 7, False)
    assert len(prefs.interests) == 1 and prefs.neighbourhood_id is not None
    # What /export holds of them.
    exported = await bot.services.privacy.export(member_id)
    assert exported["settings"] == {"reminders": ["1w", "2h"], "quiet_hours": "22:00-07:00", "broadcasts": False,
                                    "activity_interests": ["day-centre"]}


async def test_a_welsh_member_turns_reminders_off_and_quiet_hours_off_in_welsh(bot: BotUnderTest) -> None:
    ceri = bot.user(4102, "Ceri", language_code="cy")
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    await ceri.send_text("/settings")
    home = await ceri.next_message()
    assert "<b>Eich gosodiadau</b>" in home.html
    assert "⏰ Nodiadau atgoffa: 24 awr a 2 awr cyn pob sifft" in home.text
    assert "🌙 Oriau tawel: 21:00–08:00" in home.text and "📍 Cymdogaeth: Sblot" in home.text

    await ceri.press("⏰ Nodiadau atgoffa")
    shown = await ceri.next_event()
    assert {"1 wythnos", "2 ddiwrnod", "✅ 24 awr", "✅ 2 awr"} <= set(shown.button_labels())
    await ceri.press("🔕 Dim nodiadau atgoffa")
    shown = await ceri.next_event()
    assert "✅ Wedi'i gadw.\n⏰ Nodiadau atgoffa: i ffwrdd" in shown.text
    await ceri.press("2 ddiwrnod")
    assert "⏰ Nodiadau atgoffa: 2 ddiwrnod cyn pob sifft" in (await ceri.next_event()).text

    await ceri.press("◀ Yn ôl i'r gosodiadau")
    await ceri.next_event()
    await ceri.press("🌙 Oriau tawel")
    await ceri.next_event()
    await ceri.press("Dim oriau tawel")
    assert "🌙 Oriau tawel: dim" in (await ceri.next_event()).text
    prefs, _id = await preferences(bot, 4102)
    assert prefs.reminder_offsets == (ReminderOffset.TWO_DAYS,) and prefs.quiet.none
