"""Coordinators acting for others: members without Telegram, and crediting a whole activity."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Member, MemberKind, Role
from bot.services.spending import OpportunitySeed
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for


async def add_someone_without_telegram(coordinator, name: str):  # noqa: ANN001, ANN201
    """/people, Add someone, in Splott: returns their menu."""
    await coordinator.send_text("/people")
    await coordinator.next_message()
    await coordinator.press("Add someone")
    await coordinator.next_event()
    await coordinator.send_text(name)
    await coordinator.next_message()
    await coordinator.press("Splott")
    return await coordinator.next_event()


async def test_a_coordinator_records_hours_and_spending_for_someone_without_telegram(bot: BotUnderTest) -> None:
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="cafe", organisation="splott-community", kind="community", name_en="Cafe lunch",
        name_cy="Cinio caffi", venue="Splott Hub", cost_minutes=60)])
    tom, rhi = bot.user(4001, "Tom"), bot.user(4002, "Rhiannon")
    for user in (tom, rhi):
        await register(bot, user)
        await grant(bot, user.user_id, Role.COORDINATOR, "splott-community")

    menu = await add_someone_without_telegram(tom, "Megan Price")
    assert "Megan Price" in menu.text and "Balance: 0 hours of time credits" in menu.text
    await tom.press("Log hours for them")
    assert "Log hours for Megan Price" in (await tom.next_message()).text
    await tom.press("Community hub")
    await tom.next_event()
    await tom.press("Splott Community Trust")
    await tom.next_event()
    await tom.press("Yesterday")
    await tom.next_event()
    await tom.send_text("3h")
    await tom.next_message()
    await tom.press("Skip")
    await tom.next_event()
    await tom.press("Send for approval")
    await tom.next_event()

    # Another coordinator approves what Tom recorded, as for anyone's hours.
    await rhi.send_text("/approvals")
    await rhi.next_message()
    assert "Megan Price" in (await rhi.next_message()).text
    await rhi.press("Approve")
    await rhi.next_event()

    await tom.send_text("/people")
    await tom.next_message()
    await tom.press("Megan Price")
    assert "3 hours of time credits" in (await tom.next_event()).text
    await tom.press("Spend for them")
    await tom.next_event()
    await tom.press("Cafe lunch")
    voucher = await tom.next_event()
    assert "Voucher" in voucher.text and "Their balance is now 2 hours of time credits" in voucher.text


async def test_a_coordinator_cannot_act_for_a_member_with_telegram(bot: BotUnderTest) -> None:
    tom, sam = bot.user(4011, "Tom"), bot.user(4012, "Sam")
    await register(bot, tom)
    await register(bot, sam)
    await grant(bot, 4011, Role.COORDINATOR, "splott-community")
    async with bot.services.db.transaction() as session:
        sam_id = await session.scalar(select(Member.id).where(Member.telegram_user_id == 4012))
    await tom.send_text("/people")
    listing = await tom.next_message()
    for forged in (f"ppl:{sam_id}", f"ppl-spend:{sam_id}", f"ppl-log:{sam_id}"):
        query = await tom.press_data(listing.message_id, forged)
        answer = (await tom.callback_answer(query))["text"]
        assert "expired" in answer or "no Telegram" in answer


async def test_credit_everyone_at_an_activity_and_a_group(bot: BotUnderTest, make_member) -> None:
    group_id = await make_member("Splott Gardeners", kind=MemberKind.GROUP)
    tom = bot.user(4021, "Tom")
    await register(bot, tom)
    await grant(bot, 4021, Role.COORDINATOR, "splott-community")
    volunteers = [bot.user(4022 + index, name) for index, name in enumerate(("Sam", "Alys", "Dai"))]
    numbers = []
    for volunteer in volunteers:
        await register(bot, volunteer)
        async with bot.services.db.transaction() as session:
            numbers.append(await session.scalar(select(Member.id).where(Member.telegram_user_id == volunteer.user_id)))

    await tom.send_text("/groupcredit")
    await tom.next_message()
    await tom.press("Community hub")
    await tom.next_event()
    await tom.press("Splott Community Trust")
    await tom.next_event()
    await tom.press("Today")
    await tom.next_event()
    await tom.send_text("1:30")
    await tom.next_message()
    await tom.send_text("999999, " + ", ".join(map(str, numbers)))
    await tom.next_message()
    await tom.press("Splott Gardeners")
    await tom.next_event()
    await tom.press("Yes, credit them")
    assert "999999" in (await tom.next_event()).text  # unknown member: asked again, nothing credited
    await tom.send_text(" ".join(map(str, numbers)))
    await tom.next_message()
    await tom.press("Splott Gardeners")
    await tom.next_event()
    await tom.press("Yes, credit them")
    done = await tom.next_event()
    assert "Credited 4 accounts, 6 hours in all" in done.text
    for volunteer in volunteers:
        assert "1 hour 30 minutes" in (await wait_for(volunteer, "approved")).text
    async with bot.services.db.transaction() as session:
        from bot.db.models import Account
        group_balance = await session.scalar(select(Account.balance_minutes).where(Account.member_id == group_id))
    assert group_balance == 90
