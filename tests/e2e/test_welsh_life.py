"""A Welsh member's life, start to finish, and every word the bot shows her is Welsh.

Ceri's phone is set to Welsh. She registers in Cymraeg, finds a shift and books it, adds
it to her calendar, logs hours that a coordinator (who speaks English) approves, is
credited for the shift she came to, looks at her balance and statement, spends credits on
a swim and gets a voucher, gives credits to a group, opens her settings and chooses her
language, and downloads her data. Each message, edit, button, menu label, alert, caption,
file name and command description she was sent is judged by `welsh_judge`.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.db.models import MemberKind, Role
from bot.emulator import EmulatedUser, TelegramEmulator
from bot.i18n import translator
from bot.services.spending import OpportunitySeed
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for
from tests.e2e.test_shifts import make_shift
from tests.e2e.welsh_judge import judge, judge_file_name

LONDON = ZoneInfo("Europe/London")
CY = translator("cy", LONDON)
# Data people typed or configured, not the bot's words: taken out before judging.
NAMES = ["Ceri", "Tom", "Splott Hub", "Splott Pool", "Tremorfa Allotment Group", "Telegram"]


def everything_shown(emulator: TelegramEmulator, user: EmulatedUser) -> list[tuple[str, str, bool]]:
    """(where, what, is a file name) for all the bot showed this member."""
    shown: list[tuple[str, str, bool]] = []
    for event in user.events:
        where = f"message #{event.message_id}{' (edited)' if event.edited else ''}"
        if event.text:
            shown.append((where, event.text, False))
        shown += [(f"{where} button", label, False) for label in event.button_labels()]
        shown += [(f"{where} menu", label, False) for row in event.reply_keyboard or [] for label in row]
        if event.document is not None and event.document.filename:
            shown.append((f"{where} file name", event.document.filename, True))
    shown += [(f"answer to a press of {query.data!r}", query.answer["text"], False)
              for query in emulator._callback_queries.values()
              if query.chat_id == user.chat_id and query.answer and query.answer.get("text")]
    for (scope, _language), commands in emulator.commands.items():
        if scope == f"chat:{user.chat_id}":
            shown += [(f"command menu /{name}", description, False) for name, description in commands]
    return shown


def english_in(emulator: TelegramEmulator, user: EmulatedUser) -> list[str]:
    found = []
    for where, what, is_file_name in everything_shown(emulator, user):
        verdict = judge_file_name(what) if is_file_name else judge(what, NAMES)
        if not verdict.welsh:
            found.append(f"{where}: {verdict}")
    return found


async def test_a_welsh_members_life_is_all_in_welsh(bot: BotUnderTest, make_member) -> None:
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="swim", organisation="cardiff-council", kind="corporate", name_en="Swimming session",
        name_cy="Sesiwn nofio", venue="Splott Pool", cost_minutes=60,
        description_en="One swim at any council pool", description_cy="Un sesiwn nofio mewn unrhyw bwll y cyngor")])
    await make_member("Tremorfa Allotment Group", kind=MemberKind.GROUP)
    tom = bot.user(4101, "Tom")
    await register(bot, tom)
    await grant(bot, 4101, Role.COORDINATOR, "splott-community")
    shift_id = await make_shift(bot, 4101, local_start=datetime(2026, 12, 9, 10, 0), hours=2.5)

    ceri = bot.user(4102, "Ceri", language_code="cy")
    # Registering: the greeting comes in both languages, Welsh first, before she has chosen.
    await ceri.send_text("/start")
    greeting = await ceri.next_message()
    welsh_half, english_half = greeting.text.split("\n\n")
    assert judge(welsh_half).welsh, welsh_half
    assert english_half == "Welcome to the timebank! Which language would you like to use?"
    await ceri.press("Cymraeg")
    await ceri.next_event()
    await ceri.press(CY.plain("I agree"))
    await ceri.next_event()
    await ceri.send_text("Ceri")
    await ceri.next_message()
    await ceri.press("Sblot")
    await wait_for(ceri, "Ceri", edits=True)
    await ceri.next_message()  # the main menu

    # Finding a shift, booking it, putting it in her calendar.
    await ceri.send_text("/shifts")
    await ceri.next_message()
    await ceri.press("Hyb cymunedol")
    card = await ceri.next_event()
    assert "Gweini cinio a sgwrsio" in card.text
    await ceri.press(CY.plain("Sign up"))
    await ceri.next_event()
    await ceri.press(CY.plain("📅 Add to calendar"))
    calendar = await ceri.next_message()
    assert calendar.document is not None
    await ceri.send_text("/myshifts")
    await ceri.next_message()
    await ceri.press(CY.plain("📅 All my shifts in my calendar"))
    await ceri.next_message()

    # Logging hours, and a coordinator who speaks English approves them.
    await ceri.send_text("/log")
    await ceri.next_message()
    await ceri.press("Hyb cymunedol")
    await ceri.next_event()
    await ceri.press("Ymddiriedolaeth Gymunedol Sblot")
    await ceri.next_event()
    await ceri.press(CY.plain("Yesterday"))
    await ceri.next_event()
    await ceri.send_text("2 awr")
    await ceri.next_message()
    await ceri.press(CY.plain("Skip"))
    await ceri.next_event()
    await ceri.press(CY.plain("Send for approval"))
    await ceri.next_event()
    await tom.send_text("/approvals")
    await tom.next_message()
    await tom.next_message()
    await tom.press("Approve")
    await tom.next_event()
    await wait_for(ceri, "cymeradwyo")

    # The shift happens; Tom marks her there and she is credited.
    bot.clock.set(datetime(2026, 12, 9, 13, 0, tzinfo=LONDON).astimezone(timezone.utc))
    await tom.send_text(f"/start shift_{shift_id}")
    await tom.next_message()
    await tom.press("Attendance")
    await wait_for(tom, "Who came?", edits=True)
    await tom.press("✅ Ceri")
    await wait_for(tom, "Who came?", edits=True)
    await tom.press("Confirm and credit hours")
    await wait_for(tom, "credited", edits=True)
    await wait_for(ceri, "2 awr 30 munud")

    # Her balance and statement.
    await ceri.send_text("/balance")
    balance = await wait_for(ceri, "Eich balans")
    assert "4 awr 30 munud" in balance.text
    await ceri.press(CY.plain("Full statement (CSV)"))
    statement = await ceri.next_message()
    assert statement.document is not None

    # Spending: a voucher for a swim, with its code and picture.
    await ceri.send_text("/spend")
    await ceri.next_message()
    await ceri.press("Sesiwn nofio")
    await ceri.next_event()
    await ceri.press(CY.plain("Get a voucher for {cost}", cost=CY.credits(60)))
    voucher = await ceri.next_event()
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", voucher.text)[0]
    qr = await ceri.next_message()
    assert qr.photo and qr.text == code  # the caption
    # The statement's notes: the voucher as she was shown it, the shift in Welsh.
    await ceri.send_text("/statement")
    notes = [row[-1] for row in csv.reader(io.StringIO((await ceri.next_message()).document.content.decode("utf-8-sig")))]
    assert code in notes and f"sifft {shift_id}" in notes
    await ceri.send_text("/vouchers")
    await ceri.next_message()
    await ceri.next_message()

    # Giving credits to a group.
    await ceri.send_text("/give")
    await ceri.next_message()
    await ceri.press("Tremorfa Allotment Group")
    await ceri.next_event()
    await ceri.send_text("1")
    await ceri.next_message()
    await ceri.press(1)  # yes, give
    await ceri.next_event()

    # Settings and language, help, a word the bot does not understand, her data.
    await ceri.send_text("/me")
    await ceri.next_message()
    await ceri.press(CY.plain("Change language"))
    await ceri.next_message()
    await ceri.press("Cymraeg")
    await ceri.next_message()
    await ceri.send_text("/help")
    await ceri.next_message()
    await ceri.send_text("beth?")
    await ceri.next_message()
    await ceri.send_text("/export")
    export = await ceri.next_message()
    assert export.document is not None

    shown = everything_shown(bot.emulator, ceri)
    assert len(shown) > 120, len(shown)  # the judge saw her whole life, not a corner of it
    # The greeting's English half is the one part meant to be English, before she chose.
    english = [line for line in english_in(bot.emulator, ceri) if not line.startswith(f"message #{greeting.message_id}:")]
    assert english == [], "English shown to a Welsh member:\n" + "\n".join(english)
