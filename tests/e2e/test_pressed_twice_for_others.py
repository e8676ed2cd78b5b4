"""The last press of a dialogue that acts for others, pressed twice or handled again
after a crash: crediting a whole activity, spending for someone without Telegram,
granting and revoking a role, and erasing one's own data. Each acts once; the second
press is answered with what the first did, never "That button has expired" or "They
already hold that role" for what was just done."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import AuditEvent, Member, MemberKind, Role, RoleGrant, TimeEntry, Voucher
from bot.services.spending import OpportunitySeed
from tests.e2e.conftest import ADMIN_ID, BotUnderTest, grant, register
from tests.e2e.test_coordinating import add_someone_without_telegram
from tests.e2e.test_pressed_twice import count, data_of, handled_again_after_a_crash, pressed_again


async def member_number(bot: BotUnderTest, telegram_user_id: int) -> int:
    async with bot.services.db.read() as session:
        return await session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_user_id))


async def test_crediting_an_activity_pressed_twice_and_handled_again_credits_each_once(
        bot: BotUnderTest, make_member) -> None:  # noqa: ANN001
    await make_member("Splott Gardeners", kind=MemberKind.GROUP)
    tom, sam, alys = bot.user(4301, "Tom"), bot.user(4302, "Sam"), bot.user(4303, "Alys")
    for user in (tom, sam, alys):
        await register(bot, user)
    await grant(bot, 4301, Role.COORDINATOR, "splott-community")
    numbers = [await member_number(bot, 4302), await member_number(bot, 4303)]
    await tom.send_text("/groupcredit")
    await tom.next_message()
    await tom.press("Community hub")
    await tom.next_event()
    await tom.press("Splott Community Trust")
    await tom.next_event()
    await tom.press("Today")
    await tom.next_event()
    await tom.send_text("2")
    await tom.next_message()
    await tom.send_text(" ".join(map(str, numbers)))
    await tom.next_message()
    await tom.press("Splott Gardeners")
    question = await tom.next_event()
    query = await tom.press("Yes, credit them")
    assert "Credited 3 accounts, 6 hours in all" in (await tom.next_event()).text

    answer = await pressed_again(tom, question.message_id, data_of(question, "Yes, credit them"))
    assert not (answer["text"] or "").strip()  # not "That button has expired": it did what was asked
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert await count(bot, TimeEntry) == 3
    assert "Credited 3 accounts, 6 hours in all" in tom.messages[-1].text
    assert not any("went wrong" in message.text for message in tom.messages)


async def test_spending_for_someone_without_telegram_pressed_twice_issues_one_voucher(bot: BotUnderTest) -> None:
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="cafe", organisation="splott-community", kind="community", name_en="Cafe lunch",
        name_cy="Cinio caffi", venue="Splott Hub", cost_minutes=60)])
    tom, rhi = bot.user(4311, "Tom"), bot.user(4312, "Rhiannon")
    for user in (tom, rhi):
        await register(bot, user)
        await grant(bot, user.user_id, Role.COORDINATOR, "splott-community")
    await add_someone_without_telegram(tom, "Megan Price")
    async with bot.services.db.read() as session:
        megan = await session.scalar(select(Member.id).where(Member.display_name == "Megan Price"))
    await bot.services.group_credit.credit_group_activity(  # Rhiannon credits Megan's morning at the hub
        await member_number(bot, 4312), organisation_id=await _splott_community(bot),
        activity_type_id=await _community_hub(bot), worked_on=bot.services.hours.today(), minutes=180,
        attendee_member_ids=[megan], idempotency_key="megan-morning")

    await tom.press("Spend for them")
    directory = await tom.next_event()
    query = await tom.press("Cafe lunch")
    voucher = await tom.next_event()
    assert "Voucher" in voucher.text and "Their balance is now 2 hours of time credits" in voucher.text
    answer = await pressed_again(tom, directory.message_id, data_of(directory, "Cafe lunch – 1 time credit"))
    assert not (answer["text"] or "").strip()
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert await count(bot, Voucher) == 1
    assert tom.messages[-1].text == voucher.text  # the same voucher, the same balance
    assert not any("went wrong" in message.text for message in tom.messages)


async def _splott_community(bot: BotUnderTest) -> int:
    names = await bot.services.reference.names()
    return next(id_ for id_, named in names.organisations.items() if named.name("en") == "Splott Community Trust")


async def _community_hub(bot: BotUnderTest) -> int:
    names = await bot.services.reference.names()
    return next(id_ for id_, named in names.activity_types.items() if named.name("en") == "Community hub")


async def test_granting_and_revoking_pressed_twice_say_done_both_times(bot: BotUnderTest) -> None:
    rhi, admin = bot.user(4321, "Rhiannon"), bot.user(ADMIN_ID, "Admin")
    await register(bot, rhi)
    await register(bot, admin)
    for command, done in (("/grant", "the role is granted"), ("/revoke", "the role is revoked")):
        await admin.send_text(f"{command} coordinator 4321 splott-community")
        question = await admin.next_message()
        query = await admin.press("Confirm")
        assert done in (await admin.next_event()).text
        answer = await pressed_again(admin, question.message_id, data_of(question, "Confirm"))
        assert not (answer["text"] or "").strip()
        await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
        assert done in admin.messages[-1].text  # not "They already hold that role"
        assert not any("hold that role" in message.text for message in admin.messages)
    async with bot.services.db.read() as session:
        actions = (await session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.in_(("role_granted", "role_revoked"))).order_by(AuditEvent.id))).all()
        grants = await session.scalar(select(func.count()).select_from(RoleGrant).where(
            RoleGrant.member_id == await member_number(bot, 4321)))
    assert actions == ["role_granted", "role_revoked"] and grants == 0


async def test_erasing_pressed_twice_and_handled_again_says_erased(bot: BotUnderTest) -> None:
    sam = bot.user(4331, "Sam")
    await register(bot, sam, name="Sam Jones")
    await sam.send_text("/forget")
    question = await sam.next_message()
    query = await sam.press("Yes, erase my data")
    assert "Your data has been erased" in (await sam.next_event()).text
    # No longer a member: told it was done, not asked to register.
    answer = await pressed_again(sam, question.message_id, data_of(question, "Yes, erase my data"))
    assert not (answer["text"] or "").strip()
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert "Your data has been erased" in sam.messages[-1].text
    assert not any("register first" in message.text or "went wrong" in message.text for message in sam.messages)
    async with bot.services.db.read() as session:
        erasures = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "member_erased"))
    assert erasures == 1


async def test_approving_pressed_twice_and_handled_again_says_approved_and_credits_once(bot: BotUnderTest) -> None:
    from bot.db.models import LedgerTransaction
    from tests.e2e.test_credits import volunteer_with_hours_waiting

    _volunteer, tom = await volunteer_with_hours_waiting(bot, 4341, "2")
    entry = tom.messages[-1]
    query = await tom.press("Approve")
    assert "✅ Approved." in (await tom.next_event()).text
    answer = await pressed_again(tom, entry.message_id, data_of(entry, "Approve"))
    assert not (answer["text"] or "").strip()  # not "That entry has already been decided"
    await handled_again_after_a_crash(bot, bot.emulator.update_id_of_callback(query))
    assert tom.messages[-1].text.count("✅ Approved.") == 1
    assert await count(bot, LedgerTransaction) == 1
    # Another coordinator is told it has been decided.
    rhi = bot.user(4343, "Rhiannon")
    await register(bot, rhi)
    await grant(bot, 4343, Role.COORDINATOR, "splott-community")
    refused = await pressed_again(rhi, entry.message_id, data_of(entry, "Approve"))
    assert "already been decided" in refused["text"]
