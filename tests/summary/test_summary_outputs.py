"""The known week's summary as members read it: the text in Welsh and English, split
for Telegram with the headline first, and the CSV, .xlsx and PNG opened with their own
libraries, holding the same figures as the text."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from markupsafe import Markup
from matplotlib import image

from bot.i18n import translator
from bot.reports.files import Format, file_name, plain_text, render
from bot.reports.text import TELEGRAM_LIMIT, split_messages, summary_messages
from bot.services.summary.model import Label, Minutes, ScopeKind, Summary
from bot.services.summary.service import SCHEME, SummaryService
from tests.summary.known_week import WEEK, KnownWeek

TZ = ZoneInfo("Europe/London")


async def scheme_summary(world: KnownWeek) -> Summary:
    return await SummaryService(world.db, world.config, world.clock).build(SCHEME, WEEK)


async def test_the_headline_in_english(known_week: KnownWeek) -> None:
    summary = await scheme_summary(known_week)
    first = summary_messages(translator("en", TZ), summary)[0]
    assert first.startswith("<b>Weekly summary: the whole scheme</b>\nWeek 43, 19 October to 25 October 2026\n")
    assert ("⏱ Hours given: 6 hours 30 minutes (last week 0 hours; 4-week average 1 hour 11 minutes)"
            in first)  # (0 + 45 + 180 + 60) / 4 = 71.25 minutes
    assert "🙋 3 active volunteers, 1 for the first time" in first
    assert "📅 4 shifts run, fill rate 50%, no-shows 1" in first
    assert "💳 Credits earned 6 hours 30 minutes, spent 2 hours 30 minutes" in first
    assert "🏛 Hours replacing a reduced public service: 31% (last week –; 4-week average 0%)" in first
    assert "✅ Checked against the ledger: credits earned, credits spent, credits given to members match its " \
           "movements for the week." in first


async def test_the_headline_and_details_in_welsh(known_week: KnownWeek) -> None:
    summary = await scheme_summary(known_week)
    text = "\n\n".join(summary_messages(translator("cy", TZ), summary))
    assert text.startswith("<b>Crynodeb wythnosol: y cynllun cyfan</b>\nWythnos 43, 19 Hydref i 25 Hydref 2026\n")
    assert "⏱ Oriau a roddwyd: 6 awr 30 munud (yr wythnos diwethaf 0 awr; cyfartaledd 4 wythnos 1 awr 11 munud)" \
        in text
    assert "🙋 3 gwirfoddolwr gweithgar, 1 am y tro cyntaf" in text
    assert "📅 4 sifft wedi'u cynnal" in text
    assert "• Gweithgareddau gwyliau i blant: 3 awr (yr wythnos diwethaf 0 awr)" in text
    assert "• Cyngor Caerdydd: 1 daleb wedi'i defnyddio (1 awr); 1 daleb heb ei defnyddio eto (1 awr)" in text
    assert "Trelái: 1 awr (3 awr gan 3 aelod cofrestredig)" in text
    assert "English" not in text and "hours" not in text


async def test_every_welsh_count_form_in_the_summary(known_week: KnownWeek) -> None:
    """The six Welsh forms where the summary counts: 1, 2, 3 and 6 vouchers and volunteers."""
    t = translator("cy", TZ)
    assert [str(t.ngettext("{n} active volunteer", "{n} active volunteers", n)) for n in (1, 2, 3, 6)] == [
        "1 gwirfoddolwr gweithgar", "2 wirfoddolwr gweithgar", "3 gwirfoddolwr gweithgar",
        "6 gwirfoddolwr gweithgar"]
    assert [str(t.ngettext("{n} voucher", "{n} vouchers", n)) for n in (1, 2, 3, 6)] == [
        "1 daleb", "2 daleb", "3 taleb", "6 thaleb"]


async def test_a_long_summary_splits_under_the_limit_headline_first(known_week: KnownWeek) -> None:
    summary = await scheme_summary(known_week)
    many = tuple(Minutes(key=f"org-{i:03d}", label=Label(en=f"Organisation number {i}", cy=f"Sefydliad rhif {i}"),
                         minutes=60 + i) for i in range(200))
    long = summary.model_copy(update={"this": summary.this.model_copy(update={
        "hours": summary.this.hours.model_copy(update={"by_organisation": many})})})
    for language in ("cy", "en"):
        messages = summary_messages(translator(language, TZ), long)
        assert len(messages) >= 3
        assert all(len(message) <= TELEGRAM_LIMIT for message in messages)
        assert messages[0].startswith("<b>")
        joined = "\n".join(messages)
        assert all(item.label(language) in joined for item in many)  # nothing lost at a cut
        assert all(message.count("<b>") == message.count("</b>") for message in messages)  # no tag cut in two


def test_splitting_keeps_sections_whole_when_they_fit() -> None:
    sections = [Markup("a" * 3000), Markup("b" * 1200), Markup("c" * 100)]
    assert [len(message) for message in split_messages(sections)] == [3000, 1200 + 2 + 100]


async def test_csv_holds_the_texts_figures(known_week: KnownWeek) -> None:
    summary = await scheme_summary(known_week)
    t = translator("en", TZ)
    rows = list(csv.reader(io.StringIO(render(t, summary, Format.CSV).decode("utf-8-sig"))))
    figures = {row[1]: row[2:] for row in rows if row and row[0] == "Figures"}
    assert figures["Hours given"] == ["minutes", "390", "0", "71.25"]
    assert figures["Active volunteers"][1] == "3"
    assert figures["Credits spent at corporate partners"][1] == "120"
    assert figures["Fill rate"][1] == "0.5"
    by_activity = {row[1]: int(row[2]) for row in rows if row and row[0] == "By activity"}
    assert by_activity == {"Children's holiday activities": 180, "Seniors' day centre": 120, "Community hub": 90}
    assert "6 hours 30 minutes" in plain_text(t, summary)  # 390 minutes, as the text says


async def test_xlsx_has_a_sheet_per_table_with_typed_cells_and_welsh_headers(known_week: KnownWeek) -> None:
    summary = await scheme_summary(known_week)
    t = translator("cy", TZ)
    book = openpyxl.load_workbook(io.BytesIO(render(t, summary, Format.XLSX)))
    assert len(book.sheetnames) == 8
    figures = book[book.sheetnames[0]]
    assert [cell.value for cell in figures[1]] == ["Ffigur", "Uned", "Yr wythnos hon", "Yr wythnos diwethaf",
                                                   "Cyfartaledd 4 wythnos"]
    values = {row[0]: row[2:] for row in figures.iter_rows(min_row=2, values_only=True)}
    assert values["Oriau a roddwyd"] == (390, 0, 71.25)
    assert isinstance(values["Oriau a roddwyd"][0], int)
    equity = book[book.sheetnames[6]]
    assert list(equity.iter_rows(min_row=2, values_only=True)) == [
        ("Trelái", 180, 3, 60), ("Sblot", 210, 3, 70)]


async def test_png_is_a_chart_of_twelve_weeks(known_week: KnownWeek) -> None:
    summary = await scheme_summary(known_week)
    png = render(translator("cy", TZ), summary, Format.PNG)
    picture = image.imread(io.BytesIO(png), format="png")
    assert picture.shape[0] == 900 and picture.shape[1] == 800
    assert picture[..., :3].std() > 0  # something is drawn


@pytest.mark.parametrize(("language", "expected"), [("cy", "crynodeb-wythnosol-2026-W43-cynllun-cyfan.xlsx"),
                                                    ("en", "weekly-summary-2026-W43-whole-scheme.xlsx")])
async def test_file_names_in_the_readers_language(known_week: KnownWeek, language: str, expected: str) -> None:
    summary = await scheme_summary(known_week)
    assert file_name(translator(language, TZ), summary, Format.XLSX) == expected
    splott = await SummaryService(known_week.db, known_week.config, known_week.clock).scope(
        ScopeKind.ORGANISATION, "splott-community")
    assert splott is not None
