"""A coordinator's last word on a shift, given twice: the answer that edits it typed and
then handled again after a crash, "Yes, cancel the shift" and "Confirm and credit
hours" each pressed twice and handled again. Each acts once (the booked volunteer is
told once, credited once) and the second time is answered with what was done."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.db.models import LedgerTransaction, OutboxMessage, TransactionKind
from tests.e2e.conftest import BotUnderTest, register, wait_for
from tests.e2e.test_pressed_twice import data_of, handled_again_after_a_crash, pressed_again
from tests.e2e.test_shifts import coordinator_of_splott, make_shift


async def booked_volunteer(bot: BotUnderTest, shift_id: int, telegram_user_id: int = 4401):  # noqa: ANN201
    volunteer = bot.user(telegram_user_id, "Sam")
    await register(bot, volunteer)
    await volunteer.send_text(f"/start shift_{shift_id}")
    await volunteer.next_message()
    await volunteer.press("Sign up")
    await volunteer.next_event()
    return volunteer


async def notifications_of(bot: BotUnderTest, kind: str) -> int:
    async with bot.services.db.read() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == kind))


async def test_a_new_venue_handled_again_after_a_crash_tells_the_volunteer_once(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 10, 0), capacity=3)
    await booked_volunteer(bot, shift_id)
    await coordinator.send_text(f"/start shift_{shift_id}")
    await coordinator.next_message()
    await coordinator.press("Edit")
    await coordinator.next_event()
    await coordinator.press("Venue")
    await coordinator.next_event()
    update_id = await coordinator.send_text("Star Centre")
    saved = await coordinator.next_message()
    assert "1 booked volunteer has been told" in saved.text and "Star Centre" in saved.text

    await handled_again_after_a_crash(bot, update_id)
    assert await notifications_of(bot, "shift_changed") == 1
    # Answered with the change it made: not "0 told", nor "I didn't quite catch that".
    assert "1 booked volunteer has been told" in (await coordinator.next_message()).text
    assert not any("went wrong" in message.text for message in coordinator.messages)

    # Typed again (after "Sorry, something went wrong", say): the same answer again.
    await coordinator.send_text("Star Centre")
    assert "1 booked volunteer has been told" in (await coordinator.next_message()).text
    await coordinator.send_text("Somewhere else")  # no question waits for this
    assert "didn't quite catch that" in (await coordinator.next_message()).text
    assert await notifications_of(bot, "shift_changed") == 1


async def test_cancelling_pressed_twice_and_handled_again_says_cancelled(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 10, 0), capacity=3)
    await booked_volunteer(bot, shift_id)
    await coordinator.send_text(f"/start shift_{shift_id}")
    await coordinator.next_message()
    await coordinator.press("Cancel shift")
    question = await coordinator.next_event()
    query = await coordinator.press("Yes, cancel the shift")
    assert "1 person has been told" in (await coordinator.next_event()).text

    answer = await pressed_again(coordinator, question.message_id, data_of(question, "Yes, cancel the shift"))
    assert not (answer["text"] or "").strip()  # not "That shift is already cancelled"
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert "1 person has been told" in coordinator.messages[-1].text
    assert await notifications_of(bot, "shift_cancelled") == 1
    assert not any("went wrong" in message.text for message in coordinator.messages)


async def test_confirming_attendance_pressed_twice_credits_once_and_says_who_was(bot: BotUnderTest) -> None:
    coordinator = await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 8, 9, 0))
    volunteer = await booked_volunteer(bot, shift_id)
    bot.clock.set(datetime(2026, 12, 8, 12, 0, tzinfo=UTC))  # the shift is over
    await coordinator.send_text(f"/start shift_{shift_id}")
    await coordinator.next_message()
    await coordinator.press("Attendance")
    await wait_for(coordinator, "Who came?", edits=True)
    await coordinator.press("✅ Sam")
    roster = await wait_for(coordinator, "Who came?", edits=True)
    query = await coordinator.press("Confirm and credit hours")
    assert "Confirmed: 1 person credited." in (await wait_for(coordinator, "credited", edits=True)).text

    answer = await pressed_again(coordinator, roster.message_id, data_of(roster, "Confirm and credit hours"))
    assert not (answer["text"] or "").strip()
    assert "Confirmed: 1 person credited." in coordinator.messages[-1].text  # not "0 people"
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert "Confirmed: 1 person credited." in coordinator.messages[-1].text
    async with bot.services.db.read() as session:
        earned = await session.scalar(select(func.count()).select_from(LedgerTransaction).where(
            LedgerTransaction.kind == TransactionKind.EARN))
    assert earned == 1
    assert "2 hours" in (await wait_for(volunteer, "you were there")).text
