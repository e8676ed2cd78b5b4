"""TSO staff pull the weekly summary in the bot: pick the organisation and the week, read
the figures, and have the spreadsheet sent; a volunteer is refused at the first press."""

from __future__ import annotations

import io

import openpyxl

from bot.clock import FrozenClock
from bot.db.models import Role
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for
from tests.summary.known_week import utc


async def test_staff_read_last_weeks_summary_and_get_the_spreadsheet(bot: BotUnderTest, clock: FrozenClock) -> None:
    # Monday 30 November, before 08:00: nothing is due for staff granted now (the push is tested apart).
    clock.set(utc(2026, 11, 30, 7))
    staff = bot.user(1201, "Rhian", language_code="cy")
    await register(bot, staff, language="Cymraeg", name="Rhian", neighbourhood="Sblot")
    await grant(bot, 1201, Role.STAFF, "splott-community")
    await staff.send_text("/summary")
    choice = await wait_for(staff, "Pa un?")
    assert [button.text for row in choice.buttons for button in row] == ["Ymddiriedolaeth Gymunedol Sblot", "Sblot"]
    await staff.press("Ymddiriedolaeth Gymunedol Sblot")
    await wait_for(staff, "Pa wythnos?", edits=True)
    await staff.press("Yr wythnos diwethaf")
    summary = await wait_for(staff, "Crynodeb wythnosol: Ymddiriedolaeth Gymunedol Sblot")
    assert "Wythnos 48, 23 Tachwedd i 29 Tachwedd 2026" in summary.text
    assert "⏱ Oriau a roddwyd: 0 awr" in summary.text
    await staff.press("📗 Taenlen (.xlsx)")
    document = (await wait_for(staff, "")).document
    assert document is not None
    assert document.filename == "crynodeb-wythnosol-2026-W48-splott-community.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(document.content))
    assert book.sheetnames[0] == "Ffigurau"


async def test_a_volunteer_cannot_see_summaries(bot: BotUnderTest) -> None:
    volunteer = bot.user(1202, "Sam")
    await register(bot, volunteer, name="Sam")
    await volunteer.send_text("/summary")
    assert "Only TSO staff can see the weekly summaries." in (await volunteer.next_message()).text
