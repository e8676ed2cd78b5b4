"""The summary as tables, with headers in the reader's language and typed cells
(minutes and counts as whole numbers, shares as fractions): the rows of the CSV and the
sheets of the .xlsx (one sheet a table)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import Translator
from bot.reports.numbers import average, share
from bot.reports.text import fill_rate, no_show_rate, substitution
from bot.services.summary.model import Minutes, Summary, WeekFigures

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _compared(t: Translator, summary: Summary) -> Table:
    rows: list[tuple[Cell, ...]] = []

    def row(name: str, unit: str, figure: Callable[[WeekFigures], int | None]) -> None:
        rows.append((name, unit, figure(summary.this), figure(summary.previous),
                     round(average(summary.history, figure), 2)))

    def rate(name: str, figure: Callable[[WeekFigures], float | None]) -> None:
        rates = [value for value in (figure(week) for week in summary.history) if value is not None]
        rows.append((name, t.plain("share"), _rounded(figure(summary.this)), _rounded(figure(summary.previous)),
                     _rounded(sum(rates) / len(rates) if rates else None)))

    minutes, count = t.plain("minutes"), t.plain("count")
    row(t.plain("Hours given"), minutes, lambda w: w.hours.total)
    row(t.plain("Hours replacing a reduced public service"), minutes, lambda w: w.hours.replacing_reduced_service)
    rate(t.plain("Share of hours replacing a reduced public service"), substitution)
    row(t.plain("Active volunteers"), count, lambda w: w.volunteers.active)
    row(t.plain("First-time volunteers"), count, lambda w: w.volunteers.first_time)
    row(t.plain("Returning volunteers"), count, lambda w: w.volunteers.returning)
    row(t.plain("Lapsed volunteers"), count, lambda w: w.volunteers.lapsed)
    row(t.plain("Shifts run"), count, lambda w: w.shifts.run)
    row(t.plain("Shifts filled"), count, lambda w: w.shifts.filled)
    row(t.plain("Shifts part-filled"), count, lambda w: w.shifts.part_filled)
    row(t.plain("Shifts unfilled"), count, lambda w: w.shifts.unfilled)
    row(t.plain("Shifts cancelled"), count, lambda w: w.shifts.cancelled)
    row(t.plain("Places"), count, lambda w: w.shifts.places)
    row(t.plain("Places booked"), count, lambda w: w.shifts.booked)
    rate(t.plain("Fill rate"), fill_rate)
    row(t.plain("No-shows"), count, lambda w: w.shifts.no_shows)
    rate(t.plain("No-show rate"), no_show_rate)
    row(t.plain("Credits earned"), minutes, lambda w: w.credits.earned)
    row(t.plain("Credits spent"), minutes, lambda w: w.credits.spent)
    if summary.this.credits.transferred is not None:
        row(t.plain("Credits given to other members"), minutes, lambda w: w.credits.transferred)
    row(t.plain("Credits expired"), minutes, lambda w: w.credits.expired)
    row(t.plain("Vouchers at corporate partners"), count, lambda w: w.credits.corporate_vouchers)
    row(t.plain("Credits spent at corporate partners"), minutes, lambda w: w.credits.corporate_spent)
    row(t.plain("Vouchers for community opportunities"), count, lambda w: w.credits.community_vouchers)
    row(t.plain("Credits spent on community opportunities"), minutes, lambda w: w.credits.community_spent)
    rows.append((t.plain("Next week's shifts still short of volunteers"), count, summary.next_week_short, None, None))
    return Table(t.plain("Figures"), (t.plain("Figure"), t.plain("Unit"), t.plain("This week"), t.plain("Last week"),
                                      t.plain("4-week average")), tuple(rows))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _headed(t: Translator, name: str, heading: str, items: tuple[Minutes, ...],
            before: tuple[Minutes, ...]) -> Table:
    previous = {item.key: item.minutes for item in before}
    return Table(name, (heading, t.plain("Minutes this week"), t.plain("Minutes last week")),
                 tuple((item.label(t.language), item.minutes, previous.get(item.key, 0)) for item in items))


def summary_tables(t: Translator, summary: Summary) -> list[Table]:
    this, previous = summary.this, summary.previous
    tables = [
        _compared(t, summary),
        _headed(t, t.plain("By activity"), t.plain("Activity"), this.hours.by_activity, previous.hours.by_activity),
        _headed(t, t.plain("By neighbourhood"), t.plain("Neighbourhood"), this.hours.by_neighbourhood,
                previous.hours.by_neighbourhood),
        _headed(t, t.plain("By organisation"), t.plain("Organisation"), this.hours.by_organisation,
                previous.hours.by_organisation),
        Table(t.plain("12 weeks"), (t.plain("Week"), t.plain("Minutes given"),
                                    t.plain("Minutes replacing a reduced public service"),
                                    t.plain("Share replacing a reduced public service"),
                                    t.plain("Credits spent at corporate partners"),
                                    t.plain("Credits spent on community opportunities")),
              tuple((str(week.week), week.total, week.replacing_reduced_service,
                     _rounded(share(week.replacing_reduced_service, week.total)), week.corporate_spent,
                     week.community_spent) for week in summary.trend)),
        Table(t.plain("Corporate partners"), (t.plain("Corporate partner"), t.plain("Vouchers redeemed"),
                                              t.plain("Minutes redeemed"), t.plain("Vouchers outstanding"),
                                              t.plain("Minutes outstanding")),
              tuple((partner.label(t.language), partner.redeemed, partner.redeemed_minutes, partner.outstanding,
                     partner.outstanding_minutes) for partner in summary.partners)),
        Table(t.plain("Equity"), (t.plain("Neighbourhood"), t.plain("Minutes given by residents"),
                                  t.plain("Registered members"), t.plain("Minutes per registered member")),
              tuple((place.label(t.language), place.minutes, place.registered_members,
                     round(place.minutes / place.registered_members, 2) if place.registered_members else None)
                    for place in summary.equity)),
        Table(t.plain("Reconciliation"), (t.plain("Figure"), t.plain("Summary (minutes)"), t.plain("Ledger (minutes)"),
                                          t.plain("Difference (minutes)")),
              tuple((check.figure.value, check.summary, check.ledger, check.difference)
                    for check in summary.reconciliation.checks)),
    ]
    return tables


def summary_csv(t: Translator, summary: Summary) -> bytes:
    """Every table one after another, each row led by its table's name (UTF-8 with a BOM,
    so spreadsheet programs read "Trelái" and "hŷn" right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t.plain("Weekly summary"), summary.scope.label(t.language), str(summary.week)])
    for table in summary_tables(t, summary):
        writer.writerow([])
        writer.writerow([t.plain("Table"), *table.headers])
        for row in table.rows:
            writer.writerow([table.name, *("" if cell is None else cell for cell in row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def summary_xlsx(t: Translator, summary: Summary) -> bytes:
    # Imported here: openpyxl costs every process's start-up for a file made once a week.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    first = True
    for table in summary_tables(t, summary):
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = table.name[:31]  # Excel's limit
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(header) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
