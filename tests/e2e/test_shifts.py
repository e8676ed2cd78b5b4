"""Shifts, as coordinators and volunteers live them: create, find, book, give up a
place, the waiting list, attendance and the credits it brings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select

from bot.db.models import Member, Role
from bot.services.shift_authoring import ShiftDraft
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for

LONDON = ZoneInfo("Europe/London")


async def member_id(bot: BotUnderTest, telegram_user_id: int) -> int:
    async with bot.services.db.transaction() as session:
        return await session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_user_id))


async def coordinator_of_splott(bot: BotUnderTest, telegram_user_id: int = 3001):
    coordinator = bot.user(telegram_user_id, "Tom")
    await register(bot, coordinator)
    await grant(bot, telegram_user_id, Role.COORDINATOR, "splott-community")
    return coordinator


async def make_shift(bot: BotUnderTest, coordinator_telegram_id: int, *, local_start: datetime, hours: float = 2,
                     capacity: int = 2, activity: str = "community-hub", requires_dbs: bool | None = None) -> int:
    ids = {item.slug: item.id for item in await bot_reference(bot)}
    starts_at = local_start.replace(tzinfo=LONDON).astimezone(timezone.utc)
    result = await bot.services.shifts.create_shifts(await member_id(bot, coordinator_telegram_id), ShiftDraft(
        organisation_id=ids["splott-community"], activity_type_id=ids[activity], neighbourhood_id=ids["splott"],
        venue="Splott Hub", starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), capacity=capacity,
        requires_dbs=requires_dbs, description_en="Serve lunch and chat", description_cy="Gweini cinio a sgwrsio"))
    return result.shift_ids[0]


async def bot_reference(bot: BotUnderTest):
    from bot.services import reference

    return [*await reference.neighbourhoods(bot.services.db), *await reference.organisations(bot.services.db),
            *await reference.activity_types(bot.services.db)]


async def edit_of(user, message_id: int, words: str):  # noqa: ANN001, ANN201
    """The next edit (or message) saying `words` that is message `message_id`."""
    while True:
        message = await wait_for(user, words, edits=True)
        if message.message_id == message_id:
            return message


async def test_from_creating_a_shift_to_credits_in_the_balance(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    await coordinator.send_text("/newshift")
    await coordinator.next_message()
    await coordinator.press("Community hub")
    assert "neighbourhood" in (await coordinator.next_event()).text  # one organisation: not asked
    await coordinator.press("Splott")
    await coordinator.next_event()
    await coordinator.send_text("Splott Hub")
    await coordinator.next_message()
    await coordinator.send_text("Muirton Road, Cardiff")
    await coordinator.next_message()
    await coordinator.send_text("31/2")
    assert "does not exist" in (await coordinator.next_message()).text
    await coordinator.send_text("Sat 12 Dec")
    await coordinator.next_message()
    await coordinator.send_text("2pm-1pm")
    assert "end must be after the start" in (await coordinator.next_message()).text
    await coordinator.send_text("10am-12.30pm")
    await coordinator.next_message()
    await coordinator.send_text("600")
    assert "1 to 500" in (await coordinator.next_message()).text
    await coordinator.send_text("1")
    await coordinator.next_message()
    await coordinator.press("Skip (1)")
    await coordinator.next_event()
    await coordinator.press("No")
    await coordinator.next_event()
    await coordinator.send_text("Help serve lunch at the hub")
    await coordinator.next_message()
    await coordinator.send_text("Helpu i weini cinio yn yr hyb")
    await coordinator.next_message()
    await coordinator.press("Just once")
    summary = await coordinator.next_event()
    assert "Saturday 12 December" not in summary.text and "Sat 12 Dec, 10:00–12:30" in summary.text
    # Everything typed is there to check, the address and both descriptions too.
    assert "Address: Muirton Road, Cardiff" in summary.text
    assert "Description in English: Help serve lunch at the hub" in summary.text
    assert "Description in Welsh: Helpu i weini cinio yn yr hyb" in summary.text
    await coordinator.press("Create")
    created = await coordinator.next_event()
    assert "Created 1 shift" in created.text and "start=shift_" in created.text

    first = bot.user(3002, "Sam")
    second = bot.user(3003, "Ceri", language_code="cy")
    await register(bot, first)
    await register(bot, second, language="Cymraeg", neighbourhood="Sblot")

    await first.send_text("/shifts")
    listing = await first.next_message()
    assert "1 upcoming shift" in listing.text
    await first.press("Community hub")
    card = await first.next_event()
    assert "Help serve lunch at the hub" in card.text and "1 place free" in card.text
    await first.press("Sign up")
    assert "You're booked" in (await first.next_event()).text

    await second.send_text("/shifts")
    await second.next_message()
    await second.press("Hyb cymunedol")
    card = await second.next_event()
    assert "Helpu i weini cinio yn yr hyb" in card.text
    await second.press(1)  # join the waiting list: the only place is taken
    waiting = await second.next_event()
    assert "rhestr aros" in waiting.text

    await first.press("Cancel my place")
    assert "cancelled" in (await first.next_event()).text
    promoted = await wait_for(second, "Hyb cymunedol")
    assert promoted.buttons  # "see the shift" and "I can't make it"

    bot.clock.set(datetime(2026, 12, 12, 13, 0, tzinfo=timezone.utc))  # the shift is over
    await coordinator.send_text("/myshifts")  # a coordinator opens the card from the link in any way
    await coordinator.next_message()
    shift_id = int(created.text.split("start=shift_")[1].split()[0])
    await coordinator.send_text(f"/start shift_{shift_id}")
    card = await coordinator.next_message()
    await coordinator.press("Attendance")
    # The card becomes the roster; the attendance prompt the shift's end queued also
    # asks "Who came?", in a message of its own.
    roster = await edit_of(coordinator, card.message_id, "Who came?")
    assert "Ceri" in roster.text and "2 hours 30 minutes" in roster.text
    await coordinator.press("✅ Ceri")
    await edit_of(coordinator, card.message_id, "Who came?")
    await coordinator.press("Confirm and credit hours")
    assert "1 person credited" in (await wait_for(coordinator, "credited", edits=True)).text

    credited = await wait_for(second, "2 awr 30 munud")
    assert "balans nawr yw 2 awr 30 munud o gredydau amser" in credited.text
    await second.send_text("/balance")
    assert "Eich balans: 2 awr 30 munud o gredydau amser" in (await wait_for(second, "Eich balans")).text


async def test_dbs_required_shift_refuses_until_a_check_is_recorded(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 19, 10, 0), activity="holiday-activities")
    volunteer = bot.user(3011, "Sam")
    await register(bot, volunteer)
    await volunteer.send_text(f"/start shift_{shift_id}")  # the deep link opens the card
    card = await volunteer.next_message()
    assert "Splott Hub" in card.text and "Needs a DBS check" in card.text
    refused = await volunteer.press("Sign up")
    assert "DBS" in (await volunteer.callback_answer(refused))["text"]

    number = await member_id(bot, 3011)
    await coordinator.send_text(f"/dbs {number} 1/6/2025")
    assert "valid until" in (await coordinator.next_message()).text
    await volunteer.press("Sign up")
    assert "You're booked" in (await volunteer.next_event()).text


async def test_overlapping_bookings_are_refused(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot)
    morning = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 10, 0), hours=3)
    overlapping = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 12, 0), hours=2)
    volunteer = bot.user(3021, "Sam")
    await register(bot, volunteer)
    await volunteer.send_text(f"/start shift_{morning}")
    await volunteer.next_message()
    await volunteer.press("Sign up")
    await volunteer.next_event()
    await volunteer.send_text(f"/start shift_{overlapping}")
    await volunteer.next_message()
    refused = await volunteer.press("Sign up")
    assert "another shift at that time" in (await volunteer.callback_answer(refused))["text"]


async def test_a_deep_link_survives_registration(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 10, 0))
    newcomer = bot.user(3031, "Nia")
    await newcomer.send_text(f"/start shift_{shift_id}")
    await newcomer.next_message()
    await newcomer.press("English")
    await newcomer.next_event()
    await newcomer.press("I agree")
    await newcomer.next_event()
    await newcomer.press(1)
    await newcomer.next_event()
    await newcomer.press("Splott")
    await newcomer.next_event()
    card = await newcomer.next_message()
    assert "Splott Hub" in card.text and "Sign up" in card.button_labels()


async def test_calendar_file_has_london_times_in_the_week_the_clocks_go_back(bot: BotUnderTest) -> None:
    bot.clock.set(datetime(2026, 10, 19, 9, 0, tzinfo=timezone.utc))
    await coordinator_of_splott(bot)
    before = await make_shift(bot, 3001, local_start=datetime(2026, 10, 24, 10, 0))  # Saturday, BST
    after = await make_shift(bot, 3001, local_start=datetime(2026, 10, 26, 10, 0))  # Monday, GMT
    volunteer = bot.user(3041, "Sam")
    await register(bot, volunteer)
    for shift_id, utc_hour in ((before, 9), (after, 10)):
        await volunteer.send_text(f"/start shift_{shift_id}")
        await volunteer.next_message()
        await volunteer.press("Add to calendar")
        document = (await volunteer.next_message()).document
        assert document.filename.endswith(".ics")
        calendar = icalendar.Calendar.from_ical(document.content)
        event = next(component for component in calendar.walk("VEVENT"))
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (10, 0)
        assert str(start.tzinfo) == "Europe/London"
        assert start.astimezone(timezone.utc).hour == utc_hour
        assert str(event["UID"]).startswith(f"shift-{shift_id}@")


async def test_reminders_before_and_attendance_prompts_after_a_shift(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 9, 0))  # tomorrow morning
    volunteer = bot.user(3051, "Sam")
    await register(bot, volunteer)
    await volunteer.send_text(f"/start shift_{shift_id}")
    await volunteer.next_message()
    await volunteer.press("Sign up")
    await volunteer.next_event()

    # Booked after the 24-hour reminder time: reminded two hours before (the default's other).
    bot.clock.set(datetime(2026, 12, 8, 7, 0, tzinfo=timezone.utc))
    assert await bot.services.shifts.queue_due_reminders() == 1
    assert await bot.services.shifts.queue_due_reminders() == 0  # recorded once, however often the clock wakes
    reminder = await wait_for(volunteer, "Reminder")
    assert "Splott Hub" in reminder.text and "Tue 8 Dec, 09:00–11:00" in reminder.text

    bot.clock.set(datetime(2026, 12, 8, 12, 0, tzinfo=timezone.utc))
    assert await bot.services.shifts.queue_attendance_prompts() == 1
    assert await bot.services.shifts.queue_attendance_prompts() == 0
    prompt = await wait_for(coordinator, "Who came?")
    assert prompt.button_labels() == ["Attendance"]


async def test_a_welsh_coordinator_types_day_and_time_in_welsh(bot: BotUnderTest) -> None:
    coordinator = bot.user(3061, "Rhiannon", language_code="cy")
    await register(bot, coordinator, language="Cymraeg", neighbourhood="Sblot")
    await grant(bot, 3061, Role.COORDINATOR, "splott-community")
    await coordinator.send_text("/newshift")
    await coordinator.next_message()
    await coordinator.press("Canolfan ddydd i bobl hŷn")
    await coordinator.next_event()
    await coordinator.press("Sblot")
    await coordinator.next_event()
    await coordinator.send_text("Canolfan Ddydd Sblot")
    await coordinator.next_message()
    await coordinator.press("Hepgor")
    await coordinator.next_event()
    await coordinator.send_text("dydd Mercher 2yp")  # Wednesday 9 December, 14:00
    await coordinator.next_message()  # until what time?
    await coordinator.send_text("4yp")
    assert "500" in (await coordinator.next_message()).text  # asked for places: the times were taken
    await coordinator.send_text("3")
    await coordinator.next_message()
    await coordinator.press(1)  # skip the minimum
    dbs_question = await coordinator.next_event()
    assert "DBS" in dbs_question.text
    await coordinator.press(1)  # the day centre needs DBS by default: "yes"
    await coordinator.next_event()
    await coordinator.press(1)  # skip English
    await coordinator.next_event()
    await coordinator.send_text("Sgwrs a phaned gyda'r aelodau")
    await coordinator.next_message()
    await coordinator.press(1)  # just once
    summary = await coordinator.next_event()
    assert "Mer 9 Rhag, 14:00–16:00" in summary.text
    await coordinator.press(1)  # create
    card = await coordinator.next_event()
    assert "Sgwrs a phaned" in card.text and "DBS" in card.text

    english = bot.user(3062, "Sam")
    await register(bot, english)
    shift_id = int(card.text.split("start=shift_")[1].split()[0])
    await english.send_text(f"/start shift_{shift_id}")
    seen = await english.next_message()
    assert "[Welsh only] Sgwrs a phaned" in seen.text  # shown, and marked, rather than hidden


async def test_editing_and_cancelling_a_shift_tells_the_people_booked(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 10, 0), capacity=3)
    volunteer = bot.user(3071, "Ceri", language_code="cy")
    await register(bot, volunteer, language="Cymraeg", neighbourhood="Sblot")
    await volunteer.send_text(f"/start shift_{shift_id}")
    await volunteer.next_message()
    await volunteer.press("Cofrestru")
    await volunteer.next_event()

    await coordinator.send_text(f"/start shift_{shift_id}")
    await coordinator.next_message()
    await coordinator.press("Edit")
    await coordinator.next_event()
    await coordinator.press("Day and time")
    await coordinator.next_event()
    await coordinator.send_text("Fri 11 Dec 1pm-3pm")
    saved = await coordinator.next_message()
    assert "1 booked volunteer has been told" in saved.text and "Fri 11 Dec, 13:00–15:00" in saved.text
    changed = await wait_for(volunteer, "newid")  # "has changed", in Welsh
    assert "Gwen 11 Rhag, 13:00–15:00" in changed.text

    await coordinator.press("Cancel shift")
    await coordinator.next_event()
    await coordinator.press("Yes, cancel the shift")
    assert "1 person has been told" in (await coordinator.next_event()).text
    assert "❌" in (await wait_for(volunteer, "Splott Hub")).text


async def test_tso_staff_set_the_activity_flags_and_nobody_else_can(bot: BotUnderTest) -> None:
    staff = bot.user(3081, "Gareth")
    await register(bot, staff)
    await grant(bot, 3081, Role.STAFF, "ely-hub")
    volunteer = bot.user(3082, "Sam")
    await register(bot, volunteer)

    await staff.send_text("/activities")
    listing = await staff.next_message()
    assert "3. ▫️▫️ Community hub" in listing.text
    hub_public_service = listing.buttons[2][1]
    assert hub_public_service.text == "3. 🏛 ✗"
    await staff.press_data(listing.message_id, hub_public_service.callback_data)
    assert "3. ▫️🏛 Community hub" in (await staff.next_event()).text
    again = await staff.press_data(listing.message_id, hub_public_service.callback_data)  # a double tap
    await staff.callback_answer(again)
    types = {item.slug: item for item in await bot.services.activity_types.listing()}
    assert types["community-hub"].replaces_reduced_service  # still on: buttons set, they do not toggle

    await volunteer.send_text("/activities")
    assert "Only TSO staff" in (await volunteer.next_message()).text
    forged = await volunteer.press_data(volunteer.last_message.message_id,
                                        hub_public_service.callback_data.replace(":1", ":0"))
    assert "Only TSO staff" in (await volunteer.callback_answer(forged))["text"]
    types = {item.slug: item for item in await bot.services.activity_types.listing()}
    assert types["community-hub"].replaces_reduced_service


async def new_shift_at_splott_hub(bot: BotUnderTest):
    """A Splott coordinator in /newshift who has chosen the activity, the neighbourhood
    and typed the venue; the bot is about to ask for the address."""
    coordinator = await coordinator_of_splott(bot)
    await coordinator.send_text("/newshift")
    await coordinator.next_message()
    await coordinator.press("Community hub")
    await coordinator.next_event()
    await coordinator.press("Splott")
    await coordinator.next_event()
    await coordinator.send_text("Splott Hub")
    return coordinator


async def test_an_over_long_description_is_refused_before_telegram_would(bot: BotUnderTest) -> None:
    coordinator = await new_shift_at_splott_hub(bot)
    await coordinator.next_message()
    await coordinator.press("Skip")
    await coordinator.next_event()
    await coordinator.send_text("Sat 12 Dec 10:00-12:00")
    await coordinator.next_message()
    await coordinator.send_text("4")
    await coordinator.next_message()
    await coordinator.press("Skip (1)")
    await coordinator.next_event()
    await coordinator.press("No")
    await coordinator.next_event()
    await coordinator.send_text("Help. " * 600)  # 3,600 characters
    assert "under 3,000 characters" in (await coordinator.next_message()).text
    await bot.settled()
    assert (await bot.services.dialogues.get(3001)).step == "description_en"
    await coordinator.send_text("Help serve lunch")
    assert "Welsh" in (await coordinator.next_message()).text


async def test_a_map_pin_gives_the_shift_its_location(bot: BotUnderTest) -> None:
    coordinator = await new_shift_at_splott_hub(bot)
    await coordinator.next_message()  # address, or a location pin
    bot.emulator.enqueue_update({"message": {
        "message_id": 500, "date": 0, "chat": coordinator.as_chat(), "from": coordinator.as_user(),
        "location": {"latitude": 51.4816, "longitude": -3.1491}}})
    assert "Which day?" in (await coordinator.next_message()).text
    await bot.settled()
    assert (await bot.services.dialogues.get(3001)).data["latitude"] == 51.4816
    await coordinator.send_text("Sat 12 Dec 10:00-12:00")
    await coordinator.next_message()
    await coordinator.send_text("2")
    await coordinator.next_message()
    await coordinator.press("Skip (1)")
    await coordinator.next_event()
    await coordinator.press("No")
    for _ in range(2):  # both descriptions
        await coordinator.next_event()
        await coordinator.press("Skip")
    await coordinator.next_event()
    await coordinator.press("Just once")
    await coordinator.next_event()
    await coordinator.press("Create")
    card = await coordinator.next_event()
    assert "openstreetmap.org/?mlat=51.48160&mlon=-3.14910" in card.text


async def test_a_start_time_alone_is_followed_by_the_end_and_the_shift_keeps_both(bot: BotUnderTest) -> None:
    coordinator = await new_shift_at_splott_hub(bot)
    await coordinator.next_message()
    await coordinator.press("Skip")
    await coordinator.next_event()
    await coordinator.send_text("Sat 12 Dec 10am")
    assert "Until what time?" in (await coordinator.next_message()).text
    await coordinator.send_text("soon")
    assert "couldn't read those times" in (await coordinator.next_message()).text
    await bot.settled()
    assert (await bot.services.dialogues.get(3001)).step == "end"
    await coordinator.send_text("9am")
    assert "end must be after the start" in (await coordinator.next_message()).text
    await coordinator.send_text("12:30")
    await coordinator.next_message()
    await bot.settled()
    dialogue = await bot.services.dialogues.get(3001)
    assert dialogue.step == "capacity"
    assert (dialogue.data["starts_at"], dialogue.data["ends_at"]) == ("2026-12-12T10:00:00+00:00",
                                                                      "2026-12-12T12:30:00+00:00")
