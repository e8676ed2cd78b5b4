"""Time credits, as members live them: log hours, get them approved, spend, give."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.db.models import LedgerTransaction, MemberKind, Role, TimeEntry, TimeEntryStatus
from bot.services.spending import OpportunitySeed
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for


async def log_hours(user, *, activity: str = "Community hub", organisation: str = "Splott Community Trust",
                    when: str = "Yesterday", duration: str = "2.5", note: str | None = None) -> None:
    await user.send_text("/log")
    await user.next_message()
    await user.press(activity)
    await user.next_event()
    await user.press(organisation)
    await user.next_event()
    if when in ("Today", "Yesterday", "Heddiw", "Ddoe"):
        await user.press(when)
        await user.next_event()
    else:
        await user.send_text(when)
        await user.next_message()
    await user.send_text(duration)
    await user.next_message()
    if note is None:
        await user.press(1)  # Skip
        await user.next_event()
    else:
        await user.send_text(note)
        await user.next_message()


async def volunteer_with_hours_waiting(bot: BotUnderTest, first_id: int, duration: str):
    """A volunteer who logged hours, and a Splott coordinator looking at /approvals."""
    volunteer = bot.user(first_id, "Sam")
    coordinator = bot.user(first_id + 1, "Tom")
    await register(bot, volunteer)
    await register(bot, coordinator)
    await grant(bot, first_id + 1, Role.COORDINATOR, "splott-community")
    await log_hours(volunteer, duration=duration)
    await volunteer.press("Send for approval")
    await volunteer.next_event()
    await coordinator.send_text("/approvals")
    await coordinator.next_message()  # how many wait
    await coordinator.next_message()  # the entry, with its buttons
    return volunteer, coordinator


async def earn(volunteer, coordinator, duration: str, *, organisation: str = "Splott Community Trust") -> None:
    """The volunteer logs hours and the coordinator approves them, until the credit is told."""
    await log_hours(volunteer, duration=duration, organisation=organisation)
    await volunteer.press("Send for approval")
    await volunteer.next_event()
    await coordinator.send_text("/approvals")
    await coordinator.next_message()
    await coordinator.next_message()
    await coordinator.press("Approve")
    await coordinator.next_event()
    await wait_for(volunteer, "approved")


async def balance_text(user) -> str:
    await user.send_text("/balance")
    return (await wait_for(user, "Your balance:")).text


async def test_log_approve_and_see_the_credit(bot: BotUnderTest) -> None:
    volunteer = bot.user(2001, "Sam")
    coordinator = bot.user(2002, "Rhiannon", language_code="cy")
    await register(bot, volunteer)
    await register(bot, coordinator, language="Cymraeg", neighbourhood="Sblot")
    await grant(bot, 2002, Role.COORDINATOR, "splott-community")

    await log_hours(volunteer, duration="2,5", note="Served teas")
    summary = volunteer.messages[-1]
    assert "2 hours 30 minutes" in summary.text and "Served teas" in summary.text
    await volunteer.press("Send for approval")
    assert "sent to the coordinator" in (await volunteer.next_event()).text
    assert "Waiting for approval: 2 hours 30 minutes" in await balance_text(volunteer)

    await coordinator.send_text("/approvals")
    header = await coordinator.next_message()
    assert "aros" in header.text  # Welsh: waiting
    entry = await coordinator.next_message()
    assert "Sam" in entry.text and "2 awr 30 munud" in entry.text
    await coordinator.press("Cymeradwyo")
    assert "✅" in (await coordinator.next_event()).text

    told = await wait_for(volunteer, "approved")
    assert "2 hours 30 minutes" in told.text and "2 hours 30 minutes of time credits" in told.text
    # The balance reads in the unit of the movement under it, never "2.5 time credits" above "+2 h 30 min".
    shown = await balance_text(volunteer)
    assert "Your balance: 2 hours 30 minutes of time credits" in shown and "hours given +2 hours 30 minutes" in shown


async def test_reject_with_a_reason(bot: BotUnderTest) -> None:
    volunteer, coordinator = await volunteer_with_hours_waiting(bot, 2011, "1h")
    await coordinator.press("Reject")
    assert "reason" in (await coordinator.next_message()).text
    await coordinator.send_text("We were closed that day")
    assert "Rejected" in (await coordinator.next_message()).text
    told = await wait_for(volunteer, "could not approve")
    assert "We were closed that day" in told.text
    assert "Your balance: 0 hours of time credits" in await balance_text(volunteer)


async def test_nobody_approves_their_own_hours(bot: BotUnderTest) -> None:
    coordinator = bot.user(2021, "Tom")
    await register(bot, coordinator)
    await grant(bot, 2021, Role.COORDINATOR, "splott-community")
    await log_hours(coordinator, duration="2")
    await coordinator.press("Send for approval")
    await coordinator.next_event()
    await coordinator.send_text("/approvals")
    assert "Nothing is waiting" in (await coordinator.next_message()).text
    async with bot.services.db.transaction() as session:
        entry_id = await session.scalar(select(TimeEntry.id))
    forged = await coordinator.press_data(coordinator.last_message.message_id, f"appr:ok:{entry_id}")
    assert "own hours" in (await coordinator.callback_answer(forged))["text"]
    async with bot.services.db.transaction() as session:
        assert (await session.get(TimeEntry, entry_id)).status is TimeEntryStatus.PENDING


async def test_forged_callback_for_another_organisations_hours_is_refused(bot: BotUnderTest) -> None:
    volunteer = bot.user(2031, "Sam")
    elsewhere = bot.user(2032, "Eli")
    await register(bot, volunteer)
    await register(bot, elsewhere)
    await grant(bot, 2032, Role.COORDINATOR, "ely-hub")
    await log_hours(volunteer)  # with Splott Community Trust
    await volunteer.press("Send for approval")
    await volunteer.next_event()
    async with bot.services.db.transaction() as session:
        entry_id = await session.scalar(select(TimeEntry.id))
    await elsewhere.send_text("/approvals")
    message = await elsewhere.next_message()
    assert "Nothing is waiting" in message.text
    forged = await elsewhere.press_data(message.message_id, f"appr:ok:{entry_id}")
    assert "Only a coordinator of that organisation" in (await elsewhere.callback_answer(forged))["text"]
    async with bot.services.db.transaction() as session:
        assert (await session.get(TimeEntry, entry_id)).status is TimeEntryStatus.PENDING
        assert await session.scalar(select(func.count(LedgerTransaction.id))) == 0


async def test_a_redelivered_approval_credits_once(bot: BotUnderTest) -> None:
    volunteer, coordinator = await volunteer_with_hours_waiting(bot, 2041, "3")
    query = await coordinator.press("Approve")
    await coordinator.callback_answer(query)
    await coordinator.next_event()
    # Telegram delivers the same update again (the bot died before confirming it),
    # and the coordinator double-taps the old button too.
    await bot.emulator.redeliver(bot.emulator.update_id_of_callback(query))
    approve_data = next(b.callback_data for b in coordinator.messages[-1].buttons[0]) \
        if coordinator.messages[-1].buttons else f"appr:ok:{1}"
    again = await coordinator.press_data(coordinator.messages[-1].message_id, approve_data)
    await coordinator.callback_answer(again)
    await asyncio.sleep(0.5)
    # Answering the redelivered query a second time is refused by Telegram too; that is expected.
    bot.emulator.forget_rejections("answerCallbackQuery")
    async with bot.services.db.transaction() as session:
        assert await session.scalar(select(func.count(LedgerTransaction.id))) == 1
    assert "Your balance: 3 hours of time credits" in await balance_text(volunteer)


async def test_spend_voucher_redeemed_once(bot: BotUnderTest) -> None:
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="swim", organisation="cardiff-council", kind="corporate", name_en="Swimming session",
        name_cy="Sesiwn nofio", venue="Splott Pool", cost_minutes=60)])
    volunteer = bot.user(2051, "Sam")
    partner = bot.user(2052, "Desk")
    await register(bot, volunteer)
    await register(bot, partner)
    await grant(bot, 2052, Role.PARTNER, "cardiff-council")
    coordinator = bot.user(2053, "Tom")
    await register(bot, coordinator)
    await grant(bot, 2053, Role.COORDINATOR, "splott-community")
    await earn(volunteer, coordinator, "2")

    await volunteer.send_text("/spend")
    await volunteer.next_message()
    await volunteer.press("Swimming session")
    card = await volunteer.next_event()
    assert "Splott Pool" in card.text and "1 time credit" in card.text
    await volunteer.press("Get a voucher")
    voucher = await volunteer.next_event()
    code = voucher.text.split("Swimming session: ")[1].split()[0]
    qr = await volunteer.next_message()
    assert qr.photo and qr.photo.startswith(b"\x89PNG")
    assert "Your balance: 1 hour of time credits" in await balance_text(volunteer)

    await partner.send_text(f"/redeem {code.lower()}")
    accepted = (await partner.next_message()).text
    assert "Accepted" in accepted
    # The desk types it again (no answer seemed to come): the same acceptance, once.
    await partner.send_text(f"/redeem {code}")
    assert (await partner.next_message()).text == accepted
    # A colleague at another till, or the same desk later: it has been used.
    colleague = bot.user(2054, "Till two")
    await register(bot, colleague)
    await grant(bot, 2054, Role.PARTNER, "cardiff-council")
    await colleague.send_text(f"/redeem {code}")
    assert "already been used" in (await colleague.next_message()).text
    bot.clock.advance(minutes=11)
    await partner.send_text(f"/redeem {code}")
    assert "already been used" in (await partner.next_message()).text
    await volunteer.send_text(f"/redeem {code}")
    assert "Only partner staff" in (await wait_for(volunteer, "partner")).text


async def test_give_to_a_group_and_overdraw_refused(bot: BotUnderTest, make_member) -> None:
    group_id = await make_member("Tremorfa Allotment Group", kind=MemberKind.GROUP)
    volunteer = bot.user(2061, "Sam")
    coordinator = bot.user(2062, "Tom")
    await register(bot, volunteer)
    await register(bot, coordinator)
    await grant(bot, 2062, Role.COORDINATOR, "splott-community")
    await earn(volunteer, coordinator, "1")

    await volunteer.send_text("/give")
    await volunteer.next_message()
    await volunteer.press("Tremorfa Allotment Group")
    await volunteer.next_message()
    await volunteer.send_text("5")
    await volunteer.next_message()
    await volunteer.press("Yes, give")
    assert "don't have enough" in (await volunteer.next_event()).text

    await volunteer.send_text("/give")
    await volunteer.next_message()
    await volunteer.send_text(str(group_id))
    await volunteer.next_message()
    await volunteer.send_text("0.5")
    await volunteer.next_message()
    await volunteer.press("Yes, give")
    assert "you gave 30 minutes of time credits" in (await volunteer.next_event()).text
    assert "Your balance: 30 minutes of time credits" in await balance_text(volunteer)
