"""What a careless, unlucky or hostile member might do, and how the bot holds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import Member, MemberKind, OutboxMessage, OutboxStatus, Role
from bot.services.outbox import enqueue
from bot.services.outbox_payloads import CreditsReceived
from bot.services.shift_authoring import ShiftDraft
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for


async def member_id_of(bot: BotUnderTest, telegram_user_id: int) -> int:
    async with bot.services.db.transaction() as session:
        return await session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_user_id))


async def test_a_broken_notification_does_not_hold_up_the_others(bot: BotUnderTest) -> None:
    user = bot.user(5001, "Sam")
    await register(bot, user)
    member_id = await member_id_of(bot, 5001)
    async with bot.services.db.transaction() as session:
        now = bot.clock.now()
        # A row no renderer can read (written by hand: enqueue only takes typed payloads).
        session.add(OutboxMessage(member_id=member_id, kind="hours_approved", payload={"broken": True},
                                  dedupe_key="broken", status=OutboxStatus.PENDING,
                                  not_before=now - timedelta(minutes=1), attempts=0, created_at=now))
        await enqueue(session, member_id=member_id, payload=CreditsReceived(
            transaction_id=1, minutes=60, from_member_id=member_id, from_display_name="Alys", note=None,
            balance_minutes=60), dedupe_key="fine", now=now)
    assert "Alys gave you 1 time credit" in (await wait_for(user, "gave you")).text


async def test_a_main_menu_button_leaves_a_half_finished_dialogue(bot: BotUnderTest) -> None:
    user = bot.user(5011, "Sam")
    await register(bot, user)
    await user.send_text("/give")
    await user.next_message()
    await user.send_text("💳 Balance")  # pressed in the menu while the bot waited for a member number
    assert "Your balance" in (await user.next_message()).text
    await bot.settled()
    assert await bot.services.dialogues.get(5011) is None


async def test_numbers_that_are_not_plain_digits_are_refused_kindly(bot: BotUnderTest) -> None:
    user = bot.user(5021, "Sam")
    await register(bot, user)
    await user.send_text("/give")
    await user.next_message()
    for typed in ("99999999999999999999", "²", "٣", "-5"):
        await user.send_text(typed)
        assert "member number" in (await user.next_message()).text
    message = user.messages[-1]
    for forged in ("sh-c:99999999999999999999", "sh-l:1:2:week:99999999999", "appr:ok:²", "att-m:1:2:a:x",
                   "spend-see:-1", "ppl-spend:99999999999999"):
        query = await user.press_data(message.message_id, forged)
        answer = await user.callback_answer(query)
        assert answer["text"] is None or "expired" in answer["text"] or "no longer" in answer["text"], forged


async def test_a_name_with_markup_does_not_break_the_attendance_list(bot: BotUnderTest, make_member) -> None:
    coordinator = bot.user(5031, "Tom")
    await register(bot, coordinator)
    await grant(bot, 5031, Role.COORDINATOR, "splott-community")
    volunteer = bot.user(5032, "Sam")
    await register(bot, volunteer, name="Sam <3 & co")
    ids = {item.slug: item.id for item in [*await _reference(bot)]}
    start = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    created = await bot.services.shifts.create_shifts(await member_id_of(bot, 5031), ShiftDraft(
        organisation_id=ids["splott-community"], activity_type_id=ids["community-hub"],
        neighbourhood_id=ids["splott"], venue="Hub", starts_at=start, ends_at=start + timedelta(hours=2), capacity=2))
    shift_id = created.shift_ids[0]
    await bot.services.shifts.sign_up(await member_id_of(bot, 5032), shift_id)
    bot.clock.set(start + timedelta(hours=3))
    await coordinator.send_text(f"/start shift_{shift_id}")
    await coordinator.next_message()
    await coordinator.press("Attendance")
    roster = await wait_for(coordinator, "Who came?", edits=True)
    assert "Sam <3 & co" in roster.text


async def test_a_coordinator_cannot_spend_a_groups_credits(bot: BotUnderTest, make_member) -> None:
    group_id = await make_member("Allotment Group", kind=MemberKind.GROUP)
    coordinator = bot.user(5041, "Tom")
    await register(bot, coordinator)
    await grant(bot, 5041, Role.COORDINATOR, "splott-community")
    assert not await bot.services.members.may_act_for(await member_id_of(bot, 5041), group_id)
    await coordinator.send_text("/people")
    listing = await coordinator.next_message()
    assert "Allotment Group" not in listing.button_labels()
    query = await coordinator.press_data(listing.message_id, f"ppl-spend:{group_id}")
    assert "expired" in (await coordinator.callback_answer(query))["text"]


async def _reference(bot: BotUnderTest):
    from bot.services import reference

    return [*await reference.neighbourhoods(bot.services.db), *await reference.organisations(bot.services.db),
            *await reference.activity_types(bot.services.db)]


async def test_members_without_telegram_stay_with_their_own_organisations(bot: BotUnderTest) -> None:
    people = {}
    for telegram_id, organisation in ((5051, "splott-community"), (5052, "splott-community"), (5053, "ely-hub")):
        user = bot.user(telegram_id, "Coordinator")
        await register(bot, user)
        await grant(bot, telegram_id, Role.COORDINATOR, organisation)
        people[telegram_id] = await member_id_of(bot, telegram_id)
    megan = await bot.services.people.record_member_without_telegram(people[5051], display_name="Megan",
                                                                    neighbourhood_id=None)
    members = bot.services.members
    assert await members.may_act_for(people[5052], megan)  # a colleague in the same organisation
    assert not await members.may_act_for(people[5053], megan)  # another organisation's coordinator
    assert [person.id for person in await members.recorded_members(people[5053])] == []
    ely = bot.user(5053, "Coordinator")
    await ely.send_text("/people")
    listing = await ely.next_message()
    assert "Megan" not in listing.button_labels()


def test_a_field_a_newer_bot_api_adds_is_read_by_python_telegram_bot_itself() -> None:
    # python-telegram-bot keeps fields it does not know in api_kwargs, at any depth: the
    # TolerantBot is not needed for those, only for updates it cannot read at all.
    from telegram import Update

    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "text": "hi", "chat": {"id": 7, "type": "private", "brand_new": 1},
        "from": {"id": 7, "is_bot": False, "first_name": "Sam"}, "brand_new_field": {"x": 1}}}, None)
    assert update.message is not None and update.message.api_kwargs == {"brand_new_field": {"x": 1}}
    assert update.message.chat.api_kwargs == {"brand_new": 1}


async def test_an_unreadable_update_is_skipped_and_everyone_is_still_answered(bot: BotUnderTest) -> None:
    user = bot.user(5021, "Sam")
    await register(bot, user)
    # A known field of the wrong shape fails python-telegram-bot's parse of the whole batch.
    bot.emulator.enqueue_update({"message": {"message_id": 7, "date": 0, "text": "hi", "chat": "x",
                                             "from": user.as_user()}})
    await user.send_text("/help")
    assert "/log" in (await user.next_message()).text


async def test_an_edited_answer_is_answered_and_changes_nothing(bot: BotUnderTest) -> None:
    # Found by tests/hostile: an edit was handed to the dialogue's text handler, which
    # dropped it without a word, so Sam believed the edit had corrected her answer.
    sam = bot.user(5061, "Sam")
    await register(bot, sam)
    await sam.send_text("/give")
    await sam.next_message()
    typed = await sam.send_text("7")
    await sam.next_message()  # no member 7 (or: how much?)
    await bot.settled()
    before = await bot.services.dialogues.get(5061)
    message_id = bot.emulator.updates.delivered()[-1][1]["message"]["message_id"]
    assert bot.emulator.updates.delivered()[-1][0] == typed
    await sam.edit_message(message_id, "/balance")
    assert "not edits" in (await sam.next_message()).text
    await bot.settled()
    assert await bot.services.dialogues.get(5061) == before
    await sam.expect_silence(0.2)
