"""Reminders as volunteers live them: at the times they chose in /settings, never in their
quiet hours (unless the shift is close), in the weeks the clocks change; withdrawn when
the place or the shift goes, re-timed when it moves, late after downtime only before it
starts; "I'll be there", "I can't come", and the coordinators' Find cover and digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import OutboxMessage, Role, ShiftSignup
from bot.services import outbox
from bot.services.outbox_payloads import ShiftReminder
from bot.services.shift_authoring import ShiftChanges
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for
from tests.e2e.test_shifts import coordinator_of_splott, make_shift, member_id


async def reminder_keys(bot: BotUnderTest, telegram_user_id: int) -> list[str]:
    who = await member_id(bot, telegram_user_id)
    async with bot.services.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.member_id == who, OutboxMessage.kind == "shift_reminder").order_by(OutboxMessage.id)))


async def at(bot: BotUnderTest, when: datetime) -> None:
    """The clock moves to `when` and the reminder job runs, as the leader's would."""
    bot.clock.set(when)
    await bot.services.shifts.queue_due()
    await bot.services.digests.queue_due()


async def book(volunteer, shift_id: int) -> None:
    await volunteer.send_text(f"/start shift_{shift_id}")
    await volunteer.next_message()
    await volunteer.press(1)  # Sign up / Cofrestru
    await volunteer.next_event()


async def choose_reminders(volunteer, *labels: str) -> None:
    """In /settings, press each reminder button in turn (each press toggles one)."""
    await volunteer.send_text("/settings")
    await volunteer.next_message()
    await volunteer.press(1)  # ⏰ Reminders / ⏰ Nodiadau atgoffa: the first button
    await volunteer.next_event()
    for label in labels:
        await volunteer.press(label)
        await volunteer.next_event()


async def test_a_week_and_two_hours_before_in_the_week_the_clocks_go_back(bot: BotUnderTest) -> None:
    bot.clock.set(datetime(2026, 10, 17, 12, 0, tzinfo=UTC))  # Saturday, BST
    await coordinator_of_splott(bot)
    # Sunday 25 October, the first morning of GMT: 06:30 local is 06:30 UTC.
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 10, 25, 6, 30))
    sam = bot.user(5101, "Sam")
    await register(bot, sam)
    await choose_reminders(sam, "✅ 24 hours", "1 week")  # now: 1 week and 2 hours
    await book(sam, shift_id)

    # A week before is Sunday 18 October 06:30 UTC, 07:30 BST: quiet hours, so held to 08:00 BST.
    await at(bot, datetime(2026, 10, 18, 6, 45, tzinfo=UTC))
    assert await reminder_keys(bot, 5101) == []
    await at(bot, datetime(2026, 10, 18, 7, 0, tzinfo=UTC))
    reminder = await wait_for(sam, "Reminder")
    assert "Sun 25 Oct, 06:30–08:30" in reminder.text
    assert reminder.button_labels() == ["👍 I'll be there", "🙁 I can't come", "See the shift"]
    await at(bot, datetime(2026, 10, 24, 6, 30, tzinfo=UTC))  # 24 hours before: not chosen
    assert len(await reminder_keys(bot, 5101)) == 1

    # Two hours before is 04:30 GMT, in quiet hours, but the shift is close: not held.
    await at(bot, datetime(2026, 10, 25, 4, 29, tzinfo=UTC))
    assert len(await reminder_keys(bot, 5101)) == 1
    await at(bot, datetime(2026, 10, 25, 4, 30, tzinfo=UTC))
    second = await wait_for(sam, "Reminder")
    assert "Sun 25 Oct, 06:30–08:30" in second.text
    await sam.press("👍 I'll be there")
    thanks = await sam.next_event()
    assert "Thank you! See you at Community hub at Splott Hub" in thanks.text
    keys = await reminder_keys(bot, 5101)
    assert [key.split(":")[2] for key in keys] == ["1w", "2h"]
    await at(bot, datetime(2026, 10, 25, 5, 0, tzinfo=UTC))  # the job again: nothing twice
    assert await reminder_keys(bot, 5101) == keys


async def test_a_welsh_volunteer_in_the_week_the_clocks_go_forward(bot: BotUnderTest) -> None:
    bot.clock.set(datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    await coordinator_of_splott(bot)
    # Sunday 28 March 2027, BST from 01:00 GMT: 22:00 local is 21:00 UTC.
    shift_id = await make_shift(bot, 3001, local_start=datetime(2027, 3, 28, 22, 0), hours=1)
    ceri = bot.user(5102, "Ceri", language_code="cy")
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    await book(ceri, shift_id)  # the defaults: 24 hours and 2 hours before

    # 24 hours before is Saturday 21:00 GMT, in quiet hours: held to 08:00 BST (07:00 UTC),
    # the night an hour shorter.
    await at(bot, datetime(2027, 3, 27, 21, 0, tzinfo=UTC))
    await at(bot, datetime(2027, 3, 28, 6, 59, tzinfo=UTC))
    assert await reminder_keys(bot, 5102) == []
    await at(bot, datetime(2027, 3, 28, 7, 0, tzinfo=UTC))
    reminder = await wait_for(ceri, "Nodyn atgoffa")
    assert "Sul 28 Maw, 22:00–23:00" in reminder.text
    assert reminder.button_labels()[:2] == ["👍 Bydda i yno", "🙁 Alla i ddim dod"]
    # Two hours before, 21:00 BST, is quiet too, but the shift is within 12 hours.
    await at(bot, datetime(2027, 3, 28, 19, 0, tzinfo=UTC))
    assert "22:00–23:00" in (await wait_for(ceri, "Nodyn atgoffa")).text


async def test_withdrawn_when_the_place_or_the_shift_goes(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    leaving = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 12, 0))
    cancelled = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 15, 0))
    sam = bot.user(5103, "Sam")
    await register(bot, sam)
    await book(sam, leaving)
    await book(sam, cancelled)
    signups = {}
    async with bot.services.db.transaction() as session:
        for shift_id in (leaving, cancelled):
            signups[shift_id] = await session.scalar(select(ShiftSignup.id).where(ShiftSignup.shift_id == shift_id))
    # A reminder already recorded for later (as after a restart mid-round), then the place goes.
    sending_at = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    sam_id = await member_id(bot, 5103)
    async with bot.services.db.transaction() as session:
        for shift_id in (leaving, cancelled):
            starts = datetime(2026, 12, 10, 12 if shift_id == leaving else 15, 0, tzinfo=UTC)
            await outbox.enqueue(session, member_id=sam_id, now=bot.clock.now(),
                                 not_before=sending_at, dedupe_key=f"test-reminder:{shift_id}",
                                 payload=ShiftReminder(shift_id=shift_id, signup_id=signups[shift_id],
                                                       starts_at=starts))
    await bot.services.shifts.leave(await member_id(bot, 5103), leaving)
    await bot.services.shifts.cancel_shift(await member_id(bot, 3001), cancelled)
    await wait_for(sam, "Cancelled")  # the cancellation itself is told
    await at(bot, sending_at)  # the recorded ones fall due, and the job finds nothing new
    rows = []
    for _ in range(50):
        async with bot.services.db.transaction() as session:
            rows = (await session.scalars(select(OutboxMessage).where(
                OutboxMessage.dedupe_key.like("test-reminder:%")))).all()
        if all(row.status.value != "pending" for row in rows):
            break
        await asyncio.sleep(0.1)
    # Gone through the dispatcher with nothing to say: no message reached Sam.
    assert {(row.status.value, row.telegram_message_id, row.last_error) for row in rows} == {("sent", None, None)}
    await sam.expect_silence(0.5)
    assert await reminder_keys(bot, 5103) == [f"test-reminder:{leaving}", f"test-reminder:{cancelled}"]
    # Within 48 hours and short of its minimum now, the shift Sam left is the coordinator's to fill.
    assert "short of people" in (await wait_for(coordinator, "Find cover" and "⚠️")).text


async def test_re_timed_when_the_shift_moves(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 12, 0))
    sam = bot.user(5104, "Sam")
    await register(bot, sam)
    await book(sam, shift_id)
    await at(bot, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    assert "Thu 10 Dec, 12:00–14:00" in (await wait_for(sam, "Reminder")).text
    # Moved a day later: its reminders come again, at the new times, with the new time.
    moved = datetime(2026, 12, 11, 12, 0, tzinfo=UTC)
    await bot.services.shifts.edit_shift(await member_id(bot, 3001), shift_id,
                                         ShiftChanges(starts_at=moved, ends_at=moved + timedelta(hours=2)))
    await wait_for(sam, "has changed")
    await at(bot, datetime(2026, 12, 10, 10, 0, tzinfo=UTC))  # the old 2 h reminder time: nothing
    await at(bot, datetime(2026, 12, 10, 11, 59, tzinfo=UTC))
    await sam.expect_silence(0.5)
    await at(bot, datetime(2026, 12, 10, 12, 0, tzinfo=UTC))
    assert "Fri 11 Dec, 12:00–14:00" in (await wait_for(sam, "Reminder")).text


async def test_late_after_downtime_only_if_the_shift_has_not_started(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot)
    soon = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 14, 0))
    gone = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 11, 0), hours=1)
    sam = bot.user(5105, "Sam")
    await register(bot, sam)
    await book(sam, soon)
    await book(sam, gone)
    await bot.stop()  # down from Monday 10:00 until Tuesday 13:00: both reminder times passed
    bot.clock.set(datetime(2026, 12, 8, 13, 0, tzinfo=UTC))
    await bot.start()  # the new leader runs every job at once
    late = await wait_for(sam, "Reminder", timeout=10)
    assert "Tue 8 Dec, 14:00–16:00" in late.text  # the one still to come, once: the 2 h one
    await sam.expect_silence(1.0)  # nothing for the shift that started while the bot was down
    [key] = await reminder_keys(bot, 5105)
    assert key.split(":")[2] == "2h"


async def test_i_cant_come_promotes_the_waiting_list(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 12, 0), capacity=1)
    sam, ceri = bot.user(5106, "Sam"), bot.user(5107, "Ceri", language_code="cy")
    await register(bot, sam)
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    await book(sam, shift_id)
    await ceri.send_text(f"/start shift_{shift_id}")
    await ceri.next_message()
    await ceri.press("Ymuno â'r rhestr aros")
    await ceri.next_event()
    await at(bot, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    await wait_for(sam, "Reminder")
    await sam.press("🙁 I can't come")
    question = await sam.next_event()
    assert "Give up your place" in question.text
    await sam.press("Yes, cancel my place")
    done = await sam.next_event()
    assert "Your place is cancelled" in done.text
    promoted = await wait_for(ceri, "Hyb cymunedol")
    assert "🎉" in promoted.text
    # Within 24 hours: the coordinator is told, but the shift is full again, so no Find cover.
    alert = await wait_for(coordinator, "Booked now: 1 of 1")
    assert "📣 Find cover" not in alert.button_labels()


async def test_find_cover_reaches_exactly_the_eligible_volunteers(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 12, 0), capacity=2)
    other = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 13, 0), capacity=5)
    sam = bot.user(5110, "Sam")
    splott = bot.user(5111, "Alys")  # lives in Splott: eligible
    keen = bot.user(5112, "Bryn", language_code="cy")  # lives in Ely, opted into Community hub: eligible
    elsewhere = bot.user(5113, "Carys")  # Ely, not opted in
    quiet = bot.user(5114, "Dai")  # Splott, broadcasts off
    busy = bot.user(5115, "Eli")  # Splott, booked at the same time on another shift
    await register(bot, sam)
    await register(bot, splott)
    await register(bot, keen, language="Cymraeg", neighbourhood="Trelái")
    await register(bot, elsewhere, neighbourhood="Ely")
    await register(bot, quiet)
    await register(bot, busy)
    await keen.send_text("/settings")
    await keen.next_message()
    await keen.press("🎯 Gweithgareddau")
    await keen.next_event()
    await keen.press("Hyb cymunedol")
    await keen.next_event()
    await quiet.send_text("/settings")
    await quiet.next_message()
    await quiet.press("📣 Turn broadcasts off")
    await quiet.next_event()
    await book(busy, other)
    await book(sam, shift_id)

    await at(bot, datetime(2026, 12, 8, 10, 0, tzinfo=UTC))  # the 2 h reminder
    await wait_for(sam, "Reminder")
    await sam.press("🙁 I can't come")
    await sam.next_event()
    await sam.press("Yes, cancel my place")
    await sam.next_event()
    alert = await wait_for(coordinator, "Booked now: 0 of 2 (minimum 1)")  # within 24 h: the late alert
    await coordinator.press("📣 Find cover")
    sent = await wait_for(coordinator, "has gone to")
    assert "2 volunteers" in sent.text
    card = await wait_for(splott, "Can you help?")
    assert card.button_labels() == ["Sign up"]
    assert "Oes modd i chi helpu?" in (await wait_for(keen, "helpu")).text
    for nobody in (elsewhere, quiet, busy, sam):
        await asyncio.sleep(0.3)
        assert not [message for message in nobody.messages if "Can you help?" in message.text], nobody.first_name
    await splott.press("Sign up")
    assert "booked" in (await splott.next_event()).text.lower()
    # A second press reaches nobody twice.
    await coordinator.press("📣 Find cover")
    assert "1 volunteer " in (await wait_for(coordinator, "has gone to")).text  # Bryn: Alys is booked now
    await asyncio.sleep(0.5)
    assert len([message for message in keen.messages if "helpu?" in message.text]) == 1  # Bryn: still once


async def test_a_volunteer_cannot_press_find_cover(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 12, 0))
    sam = bot.user(5120, "Sam")
    await register(bot, sam)
    await sam.send_text("/myshifts")
    await sam.next_message()
    answer = await sam.callback_answer(await sam.press_data(sam.messages[-1].message_id, f"cover:{shift_id}"))
    assert answer["show_alert"] and "coordinators" in answer["text"]
    # A coordinator of another organisation is refused by the service, against the database.
    ely = bot.user(5121, "Rhys")
    await register(bot, ely, neighbourhood="Ely")
    await grant(bot, 5121, Role.COORDINATOR, "ely-hub")
    await ely.send_text("/myshifts")
    await ely.next_message()
    answer = await ely.callback_answer(await ely.press_data(ely.messages[-1].message_id, f"cover:{shift_id}"))
    assert answer["show_alert"] and "Only the shift's coordinators" in answer["text"]


async def test_coordinators_are_alerted_48_hours_before_a_shift_below_its_minimum(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 11, 12, 0), capacity=4)
    await bot.services.shifts.edit_shift(await member_id(bot, 3001), shift_id, ShiftChanges(minimum=2))
    await at(bot, datetime(2026, 12, 9, 11, 59, tzinfo=UTC))
    await coordinator.expect_silence(0.5)
    await at(bot, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    alert = await wait_for(coordinator, "short of people")
    assert "0 booked of 4, and it needs at least 2" in alert.text
    assert "📣 Find cover" in alert.button_labels()


async def test_the_daily_digest_at_the_configured_time(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 9, 0))
    sam = bot.user(5130, "Sam")
    await register(bot, sam)
    await book(sam, shift_id)
    await at(bot, datetime(2026, 12, 7, 17, 59, tzinfo=UTC))
    await coordinator.expect_silence(0.5)
    await at(bot, datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    digest = await wait_for(coordinator, "digest")
    assert "Tomorrow, Tuesday 8 December" in digest.text
    assert "09:00 Community hub at Splott Hub: 1 of 2 booked" in digest.text and "Booked: Sam" in digest.text
    await at(bot, datetime(2026, 12, 7, 21, 0, tzinfo=UTC))  # once a day
    await coordinator.expect_silence(0.5)



async def test_quiet_hours_changed_in_settings_are_honoured(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 9, 23, 0), hours=1)
    owl, lark = bot.user(5140, "Owl"), bot.user(5141, "Lark")
    await register(bot, owl)
    await register(bot, lark)
    await owl.send_text("/settings")
    await owl.next_message()
    await owl.press("🌙 Quiet hours")
    await owl.next_event()
    await owl.press("No quiet hours")
    await owl.next_event()
    await book(owl, shift_id)
    await book(lark, shift_id)
    await at(bot, datetime(2026, 12, 8, 23, 0, tzinfo=UTC))  # 24 hours before, at 23:00
    assert "Wed 9 Dec, 23:00–00:00" in (await wait_for(owl, "Reminder")).text
    await asyncio.sleep(0.3)
    assert await reminder_keys(bot, 5141) == []  # Lark keeps the default quiet hours: held to 08:00
    await at(bot, datetime(2026, 12, 9, 8, 0, tzinfo=UTC))
    await wait_for(lark, "Reminder")
