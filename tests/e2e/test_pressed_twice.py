"""A coordinator presses the last button of a dialogue twice: a double tap, a second try
after "Sorry, something went wrong", or the same press handled again because the bot
died before it could note that it had. It acts once, and the second press is answered
with what the first did."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, select, update

from bot.db.enums import InboxStatus
from bot.db.models import Member, Role, Shift, ShiftSignup
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database
from bot.emulator import EmulatedUser
from tests.e2e.conftest import BotUnderTest, grant, register
from tests.e2e.test_shifts import coordinator_of_splott, make_shift, new_shift_at_splott_hub


async def count(bot: BotUnderTest, model) -> int:  # noqa: ANN001
    async with bot.services.db.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def at_create_for_eight_weeks(bot: BotUnderTest) -> EmulatedUser:
    """A coordinator at the summary of a new shift repeated every week for 8 weeks."""
    coordinator = await new_shift_at_splott_hub(bot)
    await coordinator.next_message()
    await coordinator.press("Skip")  # no address
    await coordinator.next_event()
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
    await coordinator.press("8 weeks")
    assert "Every week for 8 weeks" in (await coordinator.next_event()).text
    return coordinator


async def handled_again_after_a_crash(bot: BotUnderTest, update_id: int) -> None:
    """The bot dies after the press was handled but before the inbox noted it: the next
    process finds it received and not handled, and handles it again."""
    await bot.stop()
    database = Database.from_url(bot.config.database.url)
    try:
        async with database.transaction() as session:
            await session.execute(update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(
                status=InboxStatus.RECEIVED, claimed_by=None, claimed_until=None, handled_at=None))
    finally:
        await database.dispose()
    await bot.start()
    for _ in range(50):  # until the new process has handled it
        async with bot.services.db.read() as session:
            if await session.scalar(select(InboxUpdate.status).where(
                    InboxUpdate.update_id == update_id)) is InboxStatus.HANDLED:
                break
        await asyncio.sleep(0.1)
    # Its answers: the query was answered and the message edited the first time, and
    # Telegram says so to the second (refusals the bot passes over).
    bot.emulator.forget_rejections("answerCallbackQuery")
    bot.emulator.forget_rejections("editMessageText")


async def pressed_again(user: EmulatedUser, message_id: int, data: str) -> dict:
    """The same button on the same message, as a double tap sends it before the edit
    shows; returns the answer to the press."""
    return await user.callback_answer(await user.press_data(message_id, data))


def data_of(message, label: str) -> str:  # noqa: ANN001
    return next(b.callback_data for row in message.buttons for b in row if b.text == label)


async def test_create_pressed_twice_makes_one_weekly_run_and_says_so(bot: BotUnderTest) -> None:
    coordinator = await at_create_for_eight_weeks(bot)
    summary = coordinator.messages[-1]
    await coordinator.press("Create")
    assert "Created 8 shifts" in (await coordinator.next_event()).text
    answer = await pressed_again(coordinator, summary.message_id, data_of(summary, "Create"))
    assert not (answer["text"] or "").strip()  # not "That button has expired": it did what was asked
    assert "Created 8 shifts" in coordinator.messages[-1].text
    assert await count(bot, Shift) == 8


async def test_create_handled_again_after_a_crash_creates_nothing_more(bot: BotUnderTest) -> None:
    coordinator = await at_create_for_eight_weeks(bot)
    query = await coordinator.press("Create")
    assert "Created 8 shifts" in (await coordinator.next_event()).text
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert await count(bot, Shift) == 8
    assert "Created 8 shifts" in coordinator.messages[-1].text
    assert not any("went wrong" in message.text for message in coordinator.messages)


async def test_recording_a_member_pressed_twice_and_handled_again_records_one(bot: BotUnderTest) -> None:
    tom = bot.user(4101, "Tom")
    await register(bot, tom)
    await grant(bot, 4101, Role.COORDINATOR, "splott-community")
    members_before = await count(bot, Member)
    await tom.send_text("/people")
    await tom.next_message()
    await tom.press("Add someone")
    await tom.next_event()
    await tom.send_text("Megan Price")
    question = await tom.next_message()
    query = await tom.press("Splott")
    assert "Megan Price" in (await tom.next_event()).text
    answer = await pressed_again(tom, question.message_id, data_of(question, "Splott"))
    assert not (answer["text"] or "").strip()
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert await count(bot, Member) == members_before + 1
    assert "Megan Price" in tom.messages[-1].text
    assert not any("went wrong" in message.text for message in tom.messages)


async def test_giving_and_spending_pressed_twice_give_once_and_issue_one_voucher(bot: BotUnderTest, make_member) -> None:
    from bot.db.models import LedgerTransaction, TransactionKind, Voucher
    from bot.services.spending import OpportunitySeed
    from tests.e2e.test_credits import earn

    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="swim", organisation="cardiff-council", kind="corporate", name_en="Swimming session",
        name_cy="Sesiwn nofio", venue="Splott Pool", cost_minutes=60)])
    friend = await make_member("Alys")
    sam, tom = bot.user(4201, "Sam"), bot.user(4202, "Tom")
    await register(bot, sam)
    await register(bot, tom)
    await grant(bot, 4202, Role.COORDINATOR, "splott-community")
    await earn(sam, tom, "3")

    await sam.send_text("/give")
    await sam.next_message()
    await sam.send_text(str(friend))
    await sam.next_message()
    await sam.send_text("1")
    question = await sam.next_message()
    await sam.press("Yes, give")
    assert "you gave 1 time credit" in (await sam.next_event()).text
    answer = await pressed_again(sam, question.message_id, data_of(question, "Yes, give"))
    assert not (answer["text"] or "").strip()

    await sam.send_text("/spend")
    await sam.next_message()
    await sam.press("Swimming session")
    card = await sam.next_event()
    label = next(b.text for row in card.buttons for b in row if b.text.startswith("Get a voucher"))
    await sam.press(label)
    await sam.next_event()
    await sam.next_message()  # the QR
    answer = await pressed_again(sam, card.message_id, data_of(card, label))
    assert not (answer["text"] or "").strip()
    async with bot.services.db.read() as session:
        transfers = await session.scalar(select(func.count()).select_from(LedgerTransaction).where(
            LedgerTransaction.kind == TransactionKind.TRANSFER))
        vouchers = await session.scalar(select(func.count()).select_from(Voucher))
    assert (transfers, vouchers) == (1, 1)


async def test_sign_up_pressed_twice_and_handled_again_books_once_and_says_booked(bot: BotUnderTest) -> None:
    """Sam taps Sign up twice, and the bot dies before noting the first press: one
    place, and each answer is the first one's ("You're booked"), never a refusal."""
    await coordinator_of_splott(bot)
    shift_id = await make_shift(bot, 3001, local_start=datetime(2026, 12, 10, 10, 0), hours=2)
    sam = bot.user(3031, "Sam")
    await register(bot, sam)
    await sam.send_text(f"/start shift_{shift_id}")
    card = await sam.next_message()
    sign_up = data_of(card, "Sign up")
    first = await sam.press_data(card.message_id, sign_up)
    assert "You're booked" in (await sam.next_event()).text
    assert not (await pressed_again(sam, card.message_id, sign_up))["show_alert"]
    assert "You're booked" in sam.messages[-1].text
    await bot.settled()
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(first))
    assert "You're booked" in sam.messages[-1].text
    async with bot.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ShiftSignup).where(
            ShiftSignup.shift_id == shift_id)) == 1
