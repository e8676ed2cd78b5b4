"""A coordinator's rota: a running shift found in /rota, attendance marked from there
while it runs, and the volunteers credited; the roster shows who is booked and waiting."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.db.models import Role
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for
from tests.e2e.test_credits import balance_text
from tests.e2e.test_shifts import coordinator_of_splott, make_shift, member_id

MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)  # Cardiff is on GMT in December


async def volunteers(bot: BotUnderTest, shift_id: int, *people: tuple[int, str]) -> list:
    users = []
    for telegram_id, name in people:
        user = bot.user(telegram_id, name)
        await register(bot, user)
        outcome = await bot.services.shifts.sign_up(await member_id(bot, telegram_id), shift_id)
        if outcome.value == "full":
            await bot.services.shifts.join_waitlist(await member_id(bot, telegram_id), shift_id)
        users.append(user)
    return users


async def test_a_coordinator_takes_attendance_of_a_running_shift_from_the_rota(bot: BotUnderTest) -> None:
    tom = await coordinator_of_splott(bot, 6001)
    # Monday 7 December, 11:00-13:30 in Cardiff; two places, and one more on the waiting list.
    running = await make_shift(bot, 6001, local_start=datetime(2026, 12, 7, 11), hours=2.5, capacity=2)
    # Thursday's is more than 48 hours away, so no below-minimum alert about it comes in between.
    await make_shift(bot, 6001, local_start=datetime(2026, 12, 10, 10), hours=2, capacity=4)
    sam, ann, dai = await volunteers(bot, running, (6002, "Sam"), (6003, "Ann"), (6004, "Dai"))
    bot.clock.set(MONDAY_NOON)

    await tom.send_text("📋 My rota")  # the coordinator's main-menu button
    rota = await tom.next_message()
    assert "Running now" in rota.text and "Mon 7 Dec, 11:00–13:30" in rota.text
    assert "booked 2 of 2, waiting 1" in rota.text
    await tom.press("Mon 7 Dec 11:00")
    shift = await tom.next_event()
    assert "Running now, until 13:30" in shift.text
    assert "Sam: booked" in shift.text and "Ann: booked" in shift.text
    assert "Dai: waiting list, number 1" in shift.text
    assert f"https://t.me/coprod_test_bot?start=shift_{running}" in shift.text
    labels = [button.text for row in shift.buttons for button in row]
    assert "Attendance" in labels and "Edit" not in labels  # it has started: attendance, not editing

    await tom.press("Attendance")
    assert "Who came?" in (await tom.next_event()).text
    await tom.press("✅ Sam")
    await tom.next_event()
    await tom.press("✅ Ann")
    await tom.next_event()
    await tom.press("Confirm and credit hours")
    assert "Confirmed: 2 people credited." in (await tom.next_event()).text

    for volunteer in (sam, ann):
        await wait_for(volunteer, "confirmed you were there")
        assert "Your balance: 2 hours 30 minutes of time credits" in await balance_text(volunteer)
    assert "Your balance: 0 " in await balance_text(dai)  # on the waiting list: nothing to credit

    # Back in the rota the shift shows who came; the next one waits under Upcoming.
    await tom.send_text("/rota")
    await tom.next_message()
    await tom.press("Mon 7 Dec 11:00")
    card = await tom.next_event()
    assert "Sam: attended, credited" in card.text and "Ann: attended, credited" in card.text
    await tom.press("Back to the rota")
    await tom.next_event()
    await tom.press("Upcoming (1)")
    upcoming = await tom.next_event()
    assert "Thu 10 Dec, 10:00–12:00" in upcoming.text
    await tom.press("Thu 10 Dec 10:00")
    card = await tom.next_event()
    assert "Upcoming: starts Thursday 10 December, 10:00." in card.text and "Nobody has signed up yet." in card.text
    labels = [button.text for row in card.buttons for button in row]
    assert {"Edit", "Cancel shift"} <= set(labels) and "Attendance" not in labels


async def test_a_shift_that_ended_waits_for_attendance_and_others_get_no_rota(bot: BotUnderTest) -> None:
    tom = await coordinator_of_splott(bot, 6101)
    bot.clock.set(datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc))  # made and booked before it started
    ended = await make_shift(bot, 6101, local_start=datetime(2026, 12, 7, 8), hours=1, capacity=3)
    (sam,) = await volunteers(bot, ended, (6102, "Sam"))
    bot.clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc))
    await tom.send_text("/rota")
    rota = await tom.next_message()
    # Nothing runs at 10:00: what needs doing first is the ended shift.
    assert "Ended, awaiting attendance" in rota.text and "Mon 7 Dec, 08:00–09:00" in rota.text
    await tom.press("Mon 7 Dec 08:00")
    assert "Ended; attendance not confirmed yet." in (await tom.next_event()).text

    await sam.send_text("/rota")
    assert "Only coordinators have a rota." in (await wait_for(sam, "coordinators")).text
    # A coordinator of another organisation pressing this shift's button (forged) is refused.
    ely = bot.user(6103, "Eli")
    await register(bot, ely)
    await grant(bot, 6103, Role.COORDINATOR, "ely-hub")
    await ely.send_text("/rota")
    mine = await ely.next_message()
    assert "You have no upcoming shifts." in mine.text
    query = await ely.press_data(mine.message_id, f"rota-s:{ended}:awaiting:0")
    assert "Only coordinators of that organisation" in (await ely.callback_answer(query))["text"]


async def test_a_large_shift_s_roster_is_paged(bot: BotUnderTest, make_member) -> None:
    tom = await coordinator_of_splott(bot, 6201)
    shift_id = await make_shift(bot, 6201, local_start=datetime(2026, 12, 9, 10), capacity=10)
    for index in range(12):  # ten booked, two on the waiting list
        volunteer = await make_member(f"Volunteer {index + 1:02d}", telegram_user_id=6300 + index)
        if (await bot.services.shifts.sign_up(volunteer, shift_id)).value == "full":
            await bot.services.shifts.join_waitlist(volunteer, shift_id)
    await tom.send_text("/rota")
    await tom.next_message()
    await tom.press("Wed 9 Dec 10:00")
    first = await tom.next_event()
    assert "Volunteer 01: booked" in first.text and "Volunteer 09" not in first.text
    assert "People 1–8 of 12." in first.text and "booked 10 of 10, waiting 2" in first.text
    await tom.press("▶")
    second = await tom.next_event()
    assert "Volunteer 09: booked" in second.text and "Volunteer 12: waiting list, number 2" in second.text
    assert "People 9–12 of 12." in second.text


async def test_a_welsh_coordinator_reads_the_rota_in_welsh(bot: BotUnderTest) -> None:
    rhiannon = bot.user(6401, "Rhiannon", language_code="cy")
    await register(bot, rhiannon, language="Cymraeg", neighbourhood="Sblot")
    await grant(bot, 6401, Role.COORDINATOR, "splott-community")
    shift_id = await make_shift(bot, 6401, local_start=datetime(2026, 12, 9, 10), capacity=3)
    await rhiannon.send_text("/rota")
    rota = await rhiannon.next_message()
    assert "I ddod" in rota.text
    assert "Mer 9 Rhag, 10:00–12:00" in rota.text and "wedi cofrestru 0 o 3" in rota.text
    await rhiannon.press("Mer 9 Rhag 10:00")
    card = await rhiannon.next_event()
    # A weekday inside a sentence is lower-case in Welsh.
    assert "I ddod: yn dechrau dydd Mercher 9 Rhagfyr, 10:00." in card.text
    assert "Does neb wedi cofrestru eto." in card.text
    assert f"Rhannwch y sifft hon: https://t.me/coprod_test_bot?start=shift_{shift_id}" in card.text
    assert {"Golygu", "Canslo'r sifft", "Yn ôl at y rota"} <= {b.text for row in card.buttons for b in row}
