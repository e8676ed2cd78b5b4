"""The small dead ends and surprises people met when they first tried the bot, each
told as the member meets it, now with a way through."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

from bot.db.models import Role
from bot.services.spending import OpportunitySeed
from tests.e2e.conftest import ADMIN_ID, BotUnderTest, grant, register
from tests.e2e.test_coordinating import add_someone_without_telegram
from tests.e2e.test_credits import earn
from tests.e2e.test_shifts import coordinator_of_splott, make_shift, member_id


async def test_a_dbs_shift_is_not_offered_as_free_to_someone_without_a_check(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot, 5001)
    await make_shift(bot, 5001, local_start=datetime(2026, 12, 10, 10, 0), activity="day-centre")
    sam = bot.user(5002, "Sam")
    checked = bot.user(5003, "Alys")
    await register(bot, sam)
    await register(bot, checked)
    await bot.services.dbs.record_dbs_check(await member_id(bot, 5001), await member_id(bot, 5003), date(2026, 6, 1))

    await sam.send_text("/shifts")
    listing = await sam.next_message()
    assert "you could take" not in listing.text and "1 upcoming shift" in listing.text
    label = listing.button_labels()[3]
    assert "needs a DBS check" in label and "free" not in label

    await checked.send_text("/shifts")
    assert "2 places free" in (await checked.next_message()).button_labels()[3]


async def start_logging(user) -> None:  # noqa: ANN001
    await user.send_text("/log")
    await user.next_message()
    await user.press("Community hub")
    await user.next_event()
    await user.press("Splott Community Trust")
    await user.next_event()


async def test_a_typed_day_out_of_the_window_is_refused_with_its_year(bot: BotUnderTest) -> None:
    bot.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    sam = bot.user(5011, "Sam")
    await register(bot, sam)
    await start_logging(sam)
    await sam.send_text("5/12")  # this year's has not come; last year's is out of the window
    refused = await sam.next_message()
    assert "Friday 5 December 2025 is more than 60 days ago" in refused.text
    await sam.send_text("28/11")
    assert "How long did you give on Saturday 28 November?" in (await sam.next_message()).text


async def test_last_years_day_within_the_window_says_its_year(bot: BotUnderTest) -> None:
    bot.clock.set(datetime(2027, 1, 5, 10, 0, tzinfo=timezone.utc))
    sam = bot.user(5021, "Sam")
    await register(bot, sam)
    await start_logging(sam)
    await sam.send_text("20/12")
    assert "How long did you give on Sunday 20 December 2026?" in (await sam.next_message()).text
    await sam.send_text("2")
    await sam.next_message()
    await sam.press("Skip")
    assert "Date: Sunday 20 December 2026" in (await sam.next_event()).text


async def test_a_voucher_reads_the_same_everywhere_and_staff_type_its_code_after_the_button(
        bot: BotUnderTest) -> None:
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="swim", organisation="cardiff-council", kind="corporate", name_en="Swimming session",
        name_cy="Sesiwn nofio", venue="Splott Pool", cost_minutes=60)])
    sam, tom, desk = bot.user(5031, "Sam"), bot.user(5032, "Tom"), bot.user(5033, "Desk")
    for user in (sam, tom, desk):
        await register(bot, user)
    await grant(bot, 5032, Role.COORDINATOR, "splott-community")
    await grant(bot, 5033, Role.PARTNER, "cardiff-council")
    await earn(sam, tom, "2")
    await sam.send_text("/spend")
    await sam.next_message()
    await sam.press("Swimming session")
    await sam.next_event()
    await sam.press("Get a voucher")
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", (await sam.next_event()).text)[0]
    await sam.next_message()  # the picture

    await sam.send_text("/statement")
    statement = (await sam.next_message()).document.content.decode("utf-8-sig")
    assert code in [row[-1] for row in csv.reader(io.StringIO(statement))]  # as Sam was shown it

    await desk.send_text("🎫 Redeem a voucher")  # the menu button
    assert "Type the voucher's code" in (await desk.next_message()).text
    await desk.send_text("ABCD-EFGH")
    assert "no voucher with that code" in (await desk.next_message()).text
    await desk.send_text(code.replace("-", " ").lower())  # typed again, as read aloud
    assert "Accepted: Swimming session for Sam" in (await desk.next_message()).text
    await desk.send_text("Hello")
    assert "didn't quite catch that" in (await desk.next_message()).text  # the code step is over


async def test_hours_logged_for_someone_without_telegram_ask_about_them_and_wait_for_another_coordinator(
        bot: BotUnderTest) -> None:
    tom, rhi = bot.user(5041, "Tom"), bot.user(5042, "Rhiannon")
    for user in (tom, rhi):
        await register(bot, user)
        await grant(bot, user.user_id, Role.COORDINATOR, "splott-community")
    await add_someone_without_telegram(tom, "Megan Price")
    await tom.press("Log hours for them")
    await tom.next_message()
    await tom.press("Community hub")
    await tom.next_event()
    await tom.press("Splott Community Trust")
    await tom.next_event()
    await tom.press("Yesterday")
    asked = (await tom.next_event()).text
    assert "How much time did they give" in asked and "you give" not in asked
    await tom.send_text("3h")
    await tom.next_message()
    await tom.press("Skip")
    await tom.next_event()
    await tom.press("Send for approval")
    done = (await tom.next_event()).text
    assert "Recorded: 3 hours for Megan Price. Another coordinator must approve it" in done

    await log_own_hours(tom)
    await tom.send_text("/approvals")
    mine = (await tom.next_message()).text
    assert "Nothing is waiting for approval" in mine
    assert "2 entries of your own (or recorded by you) wait for another coordinator." in mine
    await rhi.send_text("/approvals")
    assert "2 entries are waiting for approval." in (await rhi.next_message()).text


async def log_own_hours(user) -> None:  # noqa: ANN001
    await start_logging(user)
    await user.press("Yesterday")
    await user.next_event()
    await user.send_text("1")
    await user.next_message()
    await user.press("Skip")
    await user.next_event()
    await user.press("Send for approval")
    await user.next_event()


async def test_staff_and_admins_find_their_commands_in_the_main_menu(bot: BotUnderTest) -> None:
    gareth, admin, sam = bot.user(5051, "Gareth"), bot.user(ADMIN_ID, "Admin"), bot.user(5053, "Sam")
    for user in (gareth, admin, sam):
        await register(bot, user)
    await grant(bot, 5051, Role.STAFF, "splott-community")
    await gareth.send_text("/menu")
    labels = [label for row in (await gareth.next_message()).reply_keyboard for label in row]
    assert "🗂 Activity settings" in labels and "🔑 Grant a role" not in labels
    await gareth.send_text("🗂 Activity settings")
    assert "Activity types" in (await gareth.next_message()).text

    await admin.send_text("/menu")
    labels = [label for row in (await admin.next_message()).reply_keyboard for label in row]
    assert "🔑 Grant a role" in labels
    await admin.send_text("🔑 Grant a role")
    assert "/grant ROLE TELEGRAM_USER_ID" in (await admin.next_message()).text

    await sam.send_text("/menu")
    labels = [label for row in (await sam.next_message()).reply_keyboard for label in row]
    assert "🗂 Activity settings" not in labels and "🔑 Grant a role" not in labels


async def test_a_booked_card_says_you_are_booked_once(bot: BotUnderTest) -> None:
    await coordinator_of_splott(bot, 5061)
    await make_shift(bot, 5061, local_start=datetime(2026, 12, 10, 10, 0))
    sam = bot.user(5062, "Sam")
    await register(bot, sam)
    await sam.send_text("/shifts")
    await sam.next_message()
    await sam.press("Community hub")
    await sam.next_event()
    await sam.press("Sign up")
    booked = (await sam.next_event()).text
    assert booked.count("You're booked") == 1 and "remind you" in booked
    await sam.press("◀ All shifts")
    await sam.next_event()
    await sam.press("Community hub")
    assert (await sam.next_event()).text.count("You're booked") == 1  # opened again, the card says it
