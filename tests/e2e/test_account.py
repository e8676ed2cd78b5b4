"""A member's own data, admins' grants, and the bot never going silent."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bot.db.models import AuditEvent, Member, Role, RoleGrant
from tests.e2e.conftest import ADMIN_ID, BotUnderTest, register


async def test_export_sends_the_members_own_data(bot: BotUnderTest) -> None:
    user = bot.user(1101, "Sam")
    await register(bot, user, name="Sam Jones")
    await user.send_text("/export")
    reply = await user.next_message()
    assert reply.document is not None and reply.document.filename.endswith(".json")
    data = json.loads(reply.document.content)
    assert data["member"]["display_name"] == "Sam Jones"
    assert data["member"]["telegram_user_id"] == 1101
    assert data["member"]["neighbourhood"] == "splott"
    assert data["ledger"] == {"balance_minutes": 0, "movements": []}


async def test_forget_anonymises_after_confirmation(bot: BotUnderTest) -> None:
    user = bot.user(1102, "Sam")
    await register(bot, user, name="Sam Jones")
    await user.send_text("/forget")
    await user.next_message()
    await user.press("No, keep it")
    assert "Nothing was erased" in (await user.next_event()).text
    await user.send_text("/forget")
    await user.next_message()
    await user.press("Yes, erase my data")
    assert "erased" in (await user.next_event()).text
    async with bot.services.db.transaction() as session:
        members = (await session.scalars(select(Member))).all()
    assert len(members) == 1  # kept for the ledger...
    assert members[0].display_name is None and members[0].telegram_user_id is None  # ...anonymised
    assert members[0].erased_at is not None
    await user.send_text("/me")
    assert "register" in (await user.next_message()).text.lower()


async def test_non_admin_cannot_grant_by_command(bot: BotUnderTest) -> None:
    user = bot.user(1103, "Sam")
    await register(bot, user)
    await user.send_text("/grant coordinator 1103 splott-community")
    assert "Only admins" in (await user.next_message()).text
    async with bot.services.db.transaction() as session:
        assert (await session.scalars(select(RoleGrant))).all() == []


async def test_non_admin_cannot_grant_by_forged_callback(bot: BotUnderTest) -> None:
    user = bot.user(1104, "Sam")
    await register(bot, user)
    await user.send_text("/me")
    profile = await user.next_message()
    for forged in ("grant:yes", "grant:yes:coordinator:1104:splott-community", "lang:xx", "nonsense", "reg-hood:1"):
        query = await user.press_data(profile.message_id, forged)
        answer = await user.callback_answer(query)
        assert "expired" in answer["text"]
    async with bot.services.db.transaction() as session:
        assert (await session.scalars(select(RoleGrant))).all() == []


async def test_admin_grants_a_role_in_the_bot(bot: BotUnderTest) -> None:
    coordinator = bot.user(1105, "Rhiannon", language_code="cy")
    await register(bot, coordinator, language="Cymraeg", neighbourhood="Sblot")
    admin = bot.user(ADMIN_ID, "Admin")
    await register(bot, admin)
    await admin.send_text("/grant coordinator 1105 splott-community")
    assert "Grant the role coordinator" in (await admin.next_message()).text
    await admin.press("Confirm")
    assert "granted" in (await admin.next_event()).text
    async with bot.services.db.transaction() as session:
        grant = await session.scalar(select(RoleGrant))
        assert grant.role is Role.COORDINATOR
        assert (await session.scalar(select(AuditEvent))).action == "role_granted"
    # The same button pressed again (a double tap) changes nothing and says what was done.
    again = await admin.press_data(admin.last_message.message_id, "grant:yes")
    assert not ((await admin.callback_answer(again))["text"] or "").strip()
    assert "granted" in admin.messages[-1].text
    async with bot.services.db.transaction() as session:
        assert len((await session.scalars(select(RoleGrant))).all()) == 1


async def test_unknown_commands_and_free_text_get_an_answer(bot: BotUnderTest) -> None:
    stranger = bot.user(1106, "Anon")
    await stranger.send_text("hello?")
    assert "/start" in (await stranger.next_message()).text
    await stranger.send_text("/frobnicate")
    assert "/help" in (await stranger.next_message()).text
    await stranger.send_text("/me")
    assert "/start" in (await stranger.next_message()).text

    member = bot.user(1107, "Sam")
    await register(bot, member)
    await member.send_text("what can I do")
    reply = await member.next_message()
    assert "/help" in reply.text and reply.reply_keyboard
    await member.send_text("/frobnicate")
    assert "don't know that command" in (await member.next_message()).text


async def test_welsh_member_never_meets_english(bot: BotUnderTest) -> None:
    member = bot.user(1108, "Ceri", language_code="cy")
    await register(bot, member, language="Cymraeg", neighbourhood="Sblot")
    for text in ("/help", "/me", "/frobnicate", "beth?", "/cancel", "/language"):
        await member.send_text(text)
        reply = await member.next_message()
        english = [word for word in ("What you can do", "Language:", "don't know", "didn't", "nothing to cancel",
                                     "Which language") if word in reply.text]
        assert not english, (text, reply.text)


async def test_menu_buttons_work_in_either_language(bot: BotUnderTest) -> None:
    member = bot.user(1109, "Ceri", language_code="cy")
    await register(bot, member, language="Cymraeg", neighbourhood="Sblot")
    menu = member.messages[-1].reply_keyboard
    settings_label = [label for row in menu for label in row if label.startswith("⚙️")][0]
    await member.send_text(settings_label)
    assert "Eich gosodiadau" in (await member.next_message()).text
    await member.send_text("⚙️ Settings")  # the English label, from a member who switched recently
    assert "Eich gosodiadau" in (await member.next_message()).text


async def test_a_member_who_blocks_the_bot_is_not_written_to_until_they_return(bot: BotUnderTest) -> None:
    member = bot.user(1110, "Sam")
    await register(bot, member)

    async def unreachable() -> bool:
        async with bot.services.db.transaction() as session:
            row = await session.scalar(select(Member).where(Member.telegram_user_id == 1110))
        return row.unreachable_at is not None

    member.block()
    for _ in range(50):
        if await unreachable():
            break
        await asyncio.sleep(0.05)
    assert await unreachable()
    await member.send_text("/help")  # "Restart" in the app unblocks, and the bot answers again
    assert "/start" in (await member.next_message()).text
    assert not await unreachable()


async def test_cancel_leaves_a_dialogue(bot: BotUnderTest) -> None:
    user = bot.user(1111, "Sam")
    await user.send_text("/start")
    await user.next_message()
    await user.press("English")
    await user.next_event()
    await user.send_text("/cancel")
    assert "Cancelled" in (await user.next_message()).text
    assert await bot.services.dialogues.get(1111) is None


async def test_command_menus_are_set_in_welsh_and_english(bot: BotUnderTest) -> None:
    commands = bot.emulator.commands
    welsh = dict(commands[("default", "cy")])
    english = dict(commands[("default", "en")])
    assert set(welsh) == set(english) and "shifts" in welsh and "log" in welsh
    assert english["language"] == "Choose Cymraeg or English"
    assert welsh["help"] != english["help"]
    assert commands[("default", "")] == commands[("default", "cy")]  # the scheme's default language is Welsh


async def test_malformed_and_unexpected_updates_do_not_stop_the_bot(bot: BotUnderTest) -> None:
    user = bot.user(1112, "Sam")
    await register(bot, user)
    # An edited message, a channel post and an update of a kind the bot never asked about.
    bot.emulator.enqueue_update({"edited_message": {"message_id": 99, "date": 0, "text": "edited",
                                                    "chat": {"id": 1112, "type": "private"},
                                                    "from": {"id": 1112, "is_bot": False, "first_name": "Sam"}}})
    bot.emulator.enqueue_update({"channel_post": {"message_id": 5, "date": 0, "text": "/start",
                                                  "chat": {"id": -100, "type": "channel", "title": "News"}}})
    bot.emulator.enqueue_update({"poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0,
                                          "is_closed": False, "is_anonymous": True, "type": "regular",
                                          "allows_multiple_answers": False}})
    await user.send_text("/help")
    assert "not edits" in (await user.next_message()).text  # the edit is answered, never read
    assert "/log" in (await user.next_message()).text  # still answering


async def test_an_over_long_name_is_refused_kindly(bot: BotUnderTest) -> None:
    user = bot.user(1113, "Sam")
    await user.send_text("/start")
    await user.next_message()
    await user.press("English")
    await user.next_event()
    await user.press("I agree")
    await user.next_event()
    await user.send_text("Ceri " * 800)  # 4,000 characters
    assert "64 characters or fewer" in (await user.next_message()).text
    await user.send_text("\u202eevil\u202c")  # direction overrides are not a name
    assert "plain letters" in (await user.next_message()).text
    assert (await bot.services.dialogues.get(1113)).step == "name"
