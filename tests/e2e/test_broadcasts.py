"""Broadcasts, as coordinators and volunteers live them: Tom writes to Splott's volunteers
in Welsh and English, narrows it to a neighbourhood, an activity or the DBS-cleared, attaches
a shift; each volunteer reads it in their language; whoever switched broadcasts off hears
nothing; the progress message becomes the report; Stop stops it; a forged button is refused."""

from __future__ import annotations

import asyncio
import copy
from datetime import date, datetime

from bot.db.member_settings_models import MemberInterest, MemberSettings
from bot.db.models import DbsCheck, Role
from bot.emulator import EmulatedUser
from tests.conftest import TEST_CONFIG
from tests.delivery.queueing import add_members
from tests.e2e.conftest import ADMIN_ID, BotUnderTest, grant, register, running_bot, wait_for
from tests.e2e.test_shifts import bot_reference, make_shift, member_id


async def compose(author: EmulatedUser, *, welsh: str | None, english: str | None, skip: str = "Skip"):
    """/broadcast and the message in each language; returns the audience screen."""
    await author.send_text("/broadcast")
    await author.next_message()
    for text in (welsh, english):
        if text is None:
            await author.press(skip)
        else:
            await author.send_text(text)
        screen = await author.next_event()
    return screen


async def send_it(author: EmulatedUser):
    """Preview, then Send: returns the preview and the progress message's final form."""
    await author.press("Preview")
    preview = await author.next_event()
    await author.press("📣")  # "📣 Send it to 4 volunteers"
    return preview


async def report_of(author: EmulatedUser, words: str = "Broadcast sent", timeout: float = 20.0):
    return await wait_for(author, words, timeout, edits=True)


async def switch_broadcasts_off(bot: BotUnderTest, telegram_user_id: int) -> None:
    async with bot.services.db.transaction() as session:
        session.add(MemberSettings(member_id=await member_id(bot, telegram_user_id), broadcasts=False,
                                   reminder_offsets=["24h", "2h"], quiet_start="21:00", quiet_end="08:00",
                                   updated_at=bot.clock.now()))


def got(user: EmulatedUser, words: str) -> bool:
    return any(words in message.text for message in user.messages)


async def settled(*users: EmulatedUser, words: str, expected: int, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while sum(got(user, words) for user in users) < expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)


async def splott(bot: BotUnderTest):
    """Tom coordinates Splott; Ceri (Welsh) and Sam live in Splott, Eve too but switched
    broadcasts off; Dai lives in Ely and booked a Splott shift; Ffion lives in Ely only."""
    tom = bot.user(8101, "Tom")
    await register(bot, tom)
    await grant(bot, 8101, Role.COORDINATOR, "splott-community")
    ceri, sam, eve = bot.user(8102, "Ceri", "cy"), bot.user(8103, "Sam"), bot.user(8104, "Eve")
    dai, ffion = bot.user(8105, "Dai"), bot.user(8106, "Ffion")
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    for user in (sam, eve):
        await register(bot, user)
    for user in (dai, ffion):
        await register(bot, user, neighbourhood="Ely")
    await switch_broadcasts_off(bot, 8104)
    shift = await make_shift(bot, 8101, local_start=datetime(2026, 12, 12, 10), capacity=5)
    assert (await bot.services.shifts.sign_up(await member_id(bot, 8105), shift)).value == "booked"
    return tom, ceri, sam, eve, dai, ffion


async def test_a_broadcast_reaches_splott_s_volunteers_each_in_their_language_and_reports(bot: BotUnderTest) -> None:
    tom, ceri, sam, eve, dai, ffion = await splott(bot)
    audience = await compose(tom, welsh="Diolch am eich help!", english="Thank you for your help!")
    assert "It would go to 3 volunteers now. 1 member has switched broadcasts off" in audience.text
    preview = await send_it(tom)
    assert "Thank you for your help!" in preview.text and "It would go to 3 volunteers now" in preview.text
    progress = await wait_for(tom, "sent", 10)
    assert "📣 Sending your broadcast" in progress.text or "Broadcast sent" in progress.text
    report = await report_of(tom)
    assert "Broadcast sent: 3 / 3" in report.text or "Broadcast sent</b>: 3 / 3" in report.text
    assert "Delivered: 3" in report.text and "Switched broadcasts off: 1" in report.text
    assert "Failed: 0" in report.text and "Unreachable (blocked the bot): 0" in report.text
    assert got(ceri, "Diolch am eich help!") and not got(ceri, "Thank you")
    assert got(sam, "Thank you for your help!") and got(dai, "Thank you for your help!")
    assert not got(eve, "Thank you") and not got(ffion, "Thank you")
    assert got(sam, "📣 Tom")

    await tom.send_text("/broadcasts")
    listing = await wait_for(tom, "The last 1 broadcast")
    assert "Thank you for your help!" in listing.text and "Delivered: 3" in listing.text


async def test_each_filter_reaches_exactly_its_volunteers(bot: BotUnderTest) -> None:
    tom, ceri, sam, eve, dai, ffion = await splott(bot)
    ids = {item.slug: item.id for item in await bot_reference(bot)}
    async with bot.services.db.transaction() as session:
        session.add(MemberInterest(member_id=await member_id(bot, 8103), activity_type_id=ids["day-centre"]))
        session.add(MemberInterest(member_id=await member_id(bot, 8104), activity_type_id=ids["day-centre"]))
        session.add(DbsCheck(member_id=await member_id(bot, 8102), checked_on=date(2025, 3, 1),
                             organisation_id=ids["splott-community"],
                             recorded_by_member_id=await member_id(bot, 8101), recorded_at=bot.clock.now()))

    cases = [
        (["📍 Ely"], "In Ely", 1, [dai]),
        (["🏷 Seniors' day centre"], "Day centre", 1, [sam]),  # Eve is interested too, but opted out
        (["📍 Splott", "DBS-cleared only"], "Cleared", 1, [ceri]),
    ]
    for presses, text, count, reached in cases:
        await compose(tom, welsh=None, english=text)
        for label in presses:
            await tom.press(label)
            screen = await tom.next_event()
        assert f"It would go to {count} volunteer now" in screen.text, screen.text
        await send_it(tom)
        await report_of(tom, f"Delivered: {count}")
        for user in (ceri, sam, eve, dai, ffion):
            assert got(user, text) == (user in reached), (user.first_name, text)


async def test_a_welsh_coordinator_writes_in_english_only_and_welsh_speakers_see_it_marked(
        bot: BotUnderTest) -> None:
    nia, ceri = bot.user(8201, "Nia", "cy"), bot.user(8202, "Ceri", "cy")
    await register(bot, nia, language="Cymraeg", neighbourhood="Sblot")
    await grant(bot, 8201, Role.COORDINATOR, "splott-community")
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    audience = await compose(nia, welsh=None, english="Lunch is on us today", skip="Hepgor")
    assert "Byddai'n mynd at 1 gwirfoddolwr nawr." in audience.text
    await nia.press("Rhagolwg")
    await nia.next_event()
    await nia.press("📣")
    await wait_for(nia, "Neges wedi'i hanfon", 20, edits=True)
    assert got(ceri, "[Saesneg yn unig] Lunch is on us today")


async def test_a_shift_attached_shows_its_card_and_the_volunteer_signs_up_from_it(bot: BotUnderTest) -> None:
    tom, ceri, sam, eve, dai, ffion = await splott(bot)
    await compose(tom, welsh=None, english="One more pair of hands, please")
    await tom.press("Attach a shift")
    await tom.next_event()
    await tom.press("Sat 12 Dec")
    assert any("✅ 🗓 Sat 12 Dec" in button.text for row in (await tom.next_event()).buttons for button in row)
    await send_it(tom)
    await report_of(tom)
    message = await wait_for(sam, "One more pair of hands")
    assert "Community hub" in message.text and "Splott Hub" in message.text
    await sam.press("Sign up")
    assert "You're booked" in (await sam.next_event()).text


async def test_stop_withdraws_what_has_not_gone_and_the_report_says_so(emulator, db, clock) -> None:  # noqa: ANN001
    raw = copy.deepcopy(TEST_CONFIG)
    raw["telegram"]["base_url"] = emulator.base_url
    raw["database"] = {"url": db.engine.url.render_as_string(hide_password=False)}
    raw["delivery"] = {"messages_per_second": 3}
    from bot.config import parse_config

    members = await add_members(db, 40, now=clock.now(), first_user_id=810_000)
    users = [emulator.user(810_000 + n) for n in range(40)]
    async with running_bot(emulator, parse_config(raw), clock) as bot:
        admin = bot.user(ADMIN_ID, "Admin")
        await register(bot, admin)
        await compose(admin, welsh=None, english="Stop me if you can")
        await send_it(admin)
        await wait_for(admin, "Sending your broadcast", 10)
        await settled(*users, words="Stop me", expected=3)
        await admin.press("Stop")
        stopping = await admin.next_event()
        assert "Stopping" in stopping.text or "Broadcast stopped" in stopping.text
        report = await report_of(admin, "Broadcast stopped")
        await asyncio.sleep(1)  # nothing more goes out after the report
    reached = sum(got(user, "Stop me") for user in users)
    assert 3 <= reached < 40
    assert f"Delivered: {reached}" in report.text and f"Withdrawn by Stop: {40 - reached}" in report.text
    assert len(members) == 40


async def test_a_forged_broadcast_button_from_a_volunteer_is_refused_at_the_first_press(bot: BotUnderTest) -> None:
    tom, ceri, sam, eve, dai, ffion = await splott(bot)
    eli = bot.user(8301, "Eli")
    await register(bot, eli, neighbourhood="Ely")
    await grant(bot, 8301, Role.COORDINATOR, "ely-hub")
    await compose(tom, welsh=None, english="Only for Splott")
    await send_it(tom)
    await report_of(tom)
    history = await bot.services.broadcasts.history(await member_id(bot, 8101))
    stop_data = f"bc-stop:{history[0].broadcast_id}"
    await sam.send_text("/broadcast")
    refusal = await wait_for(sam, "Only coordinators")
    assert "Only coordinators and admins can send broadcasts." in refusal.text
    query = await sam.press_data(refusal.message_id, stop_data)
    assert "Only coordinators and admins" in (await sam.callback_answer(query))["text"]
    for forged in ("bc-ok", "bc-p", "bc-n:1"):  # a dialogue's buttons, with no dialogue: expired, or the role
        query = await sam.press_data(refusal.message_id, forged)
        answer = (await sam.callback_answer(query))["text"]
        assert "Only coordinators and admins" in answer or "expired" in answer, (forged, answer)
    assert len(await bot.services.broadcasts.history(await member_id(bot, 8101))) == 1
    # Another organisation's coordinator may hold the role, but not Tom's broadcast.
    await eli.send_text("/broadcasts")
    listing = await eli.next_message()
    query = await eli.press_data(listing.message_id, stop_data)
    assert "Only the coordinator who sent it" in (await eli.callback_answer(query))["text"]
    assert not got(sam, "Stopped")


async def test_a_broadcast_is_also_posted_in_the_neighbourhood_s_group_in_both_languages(
        emulator, db, clock) -> None:  # noqa: ANN001
    raw = copy.deepcopy(TEST_CONFIG)
    raw["telegram"]["base_url"] = emulator.base_url
    raw["database"] = {"url": db.engine.url.render_as_string(hide_password=False)}
    raw["neighbourhoods"][0]["telegram_group_chat_id"] = -1001
    from bot.config import parse_config

    group = emulator.user(-1001, "Splott group")  # the emulator has no groups: a chat that stands in for one
    async with running_bot(emulator, parse_config(raw), clock) as bot:
        tom, ceri, sam, eve, dai, ffion = await splott(bot)
        eli = bot.user(8401, "Eli")
        await register(bot, eli, neighbourhood="Ely")
        await grant(bot, 8401, Role.COORDINATOR, "ely-hub")
        screen = await compose(eli, welsh=None, english="Ely only")
        assert not any("group" in button.text for row in screen.buttons for button in row)  # not Ely's to post in
        await eli.press("Cancel")
        await eli.next_event()

        await compose(tom, welsh="Ffair yfory!", english="Fair tomorrow!")
        await tom.press("Also post in the Splott group")
        await tom.next_event()
        await send_it(tom)
        report = await report_of(tom)
        await settled(group, words="Ffair yfory!", expected=1)
    assert "Posted in the group." in report.text
    assert [message.text for message in group.messages] == ["📣 Ffair yfory!\n\n📣 Fair tomorrow!"]
    assert got(ceri, "Ffair yfory!") and got(sam, "Fair tomorrow!")


async def test_what_telegram_could_not_carry_is_refused_before_it_is_sent(emulator, db, clock) -> None:  # noqa: ANN001
    # Found by tests/hostile: 2,000 characters in each language were each within the
    # limit, but the group's one post carrying both was 4,006 plus the links, and Telegram
    # refused it; and the limit counted characters where Telegram counts UTF-16 units,
    # so 1,600 emoji (3,200 units) passed and the members' copies were refused.
    raw = copy.deepcopy(TEST_CONFIG)
    raw["telegram"]["base_url"] = emulator.base_url
    raw["database"] = {"url": db.engine.url.render_as_string(hide_password=False)}
    raw["neighbourhoods"][0]["telegram_group_chat_id"] = -1001
    from bot.config import parse_config

    group = emulator.user(-1001, "Splott group")
    async with running_bot(emulator, parse_config(raw), clock) as bot:
        tom, sam = bot.user(8101, "Tom"), bot.user(8103, "Sam")
        for user in (tom, sam):
            await register(bot, user)
        await grant(bot, 8101, Role.COORDINATOR, "splott-community")
        await tom.send_text("/broadcast")
        await tom.next_message()
        await tom.send_text("🙂" * 1600)
        assert "keep it under 3,000 characters" in (await tom.next_message()).text
        await tom.send_text("Ff" * 1000)
        await tom.next_message()
        await tom.send_text("F" * 2000)
        await tom.next_event()
        query = await tom.press("Also post in the Splott group")
        assert "too long for one post in the group" in (await tom.callback_answer(query))["text"]
        await bot.settled()
        assert (await bot.services.dialogues.get(8101)).data["group"] is None  # left out: the members' copies go
        await send_it(tom)
        await report_of(tom)
    assert group.messages == [] and got(sam, "F" * 2000)
