"""Table-driven tests for bot.parsing.dates.parse_date."""

from __future__ import annotations

from datetime import date

import pytest

from bot.parsing.dates import DateError, Prefer, parse_date

# A Wednesday, so "today counts" for weekdays is exercised by "Wed".
TODAY = date(2026, 11, 25)
assert TODAY.weekday() == 2

# (text, prefer, expected) with today = TODAY.
CASES: list[tuple[str, Prefer, date | DateError]] = [
    # Relative words ignore prefer.
    ("today", "future", date(2026, 11, 25)),
    ("today", "past", date(2026, 11, 25)),
    ("heddiw", "past", date(2026, 11, 25)),
    ("yesterday", "future", date(2026, 11, 24)),
    ("ddoe", "future", date(2026, 11, 24)),
    ("tomorrow", "past", date(2026, 11, 26)),
    ("yfory", "past", date(2026, 11, 26)),
    ("fory", "future", date(2026, 11, 26)),
    ("TODAY", "future", date(2026, 11, 25)),
    ("  Yfory ", "future", date(2026, 11, 26)),
    # Numeric, day/month, year inferred from prefer.
    ("3/12", "future", date(2026, 12, 3)),
    ("3/12", "past", date(2025, 12, 3)),
    ("03/12", "future", date(2026, 12, 3)),
    ("3-12", "future", date(2026, 12, 3)),
    ("25/11", "future", date(2026, 11, 25)),  # today counts both ways
    ("25/11", "past", date(2026, 11, 25)),
    ("24/11", "future", date(2027, 11, 24)),
    ("24/11", "past", date(2026, 11, 24)),
    ("26/11", "past", date(2025, 11, 26)),
    ("12/1", "future", date(2027, 1, 12)),  # day/month, never month/day
    # Numeric with a year.
    ("3/12/2026", "past", date(2026, 12, 3)),
    ("3/12/26", "past", date(2026, 12, 3)),
    ("03/12/26", "future", date(2026, 12, 3)),
    ("3-12-2026", "future", date(2026, 12, 3)),
    ("3.12.2026", "future", date(2026, 12, 3)),
    ("3.12.26", "future", date(2026, 12, 3)),
    ("1/1/00", "future", date(2000, 1, 1)),
    ("2026-12-03", "past", date(2026, 12, 3)),
    ("2026-1-3", "past", date(2026, 1, 3)),
    # English month names.
    ("3 Dec", "future", date(2026, 12, 3)),
    ("3 Dec", "past", date(2025, 12, 3)),
    ("3 dec.", "future", date(2026, 12, 3)),
    ("3 December", "future", date(2026, 12, 3)),
    ("3Dec", "future", date(2026, 12, 3)),
    ("Dec 3", "future", date(2026, 12, 3)),
    ("December 3rd", "future", date(2026, 12, 3)),
    ("3rd December", "future", date(2026, 12, 3)),
    ("3rd of December", "future", date(2026, 12, 3)),
    ("the 3rd of December", "future", date(2026, 12, 3)),
    ("1st Jan", "future", date(2027, 1, 1)),
    ("22nd Sept", "past", date(2026, 9, 22)),
    ("3 Dec 2026", "past", date(2026, 12, 3)),
    ("Dec 3, 2026", "past", date(2026, 12, 3)),
    ("3 December 27", "past", date(2027, 12, 3)),
    ("1 MAY", "past", date(2026, 5, 1)),
    ("3 Mar", "future", date(2027, 3, 3)),
    # Welsh month names, abbreviations and ordinals.
    ("3 Rhag", "future", date(2026, 12, 3)),
    ("3 Rhagfyr", "future", date(2026, 12, 3)),
    ("3ydd Rhagfyr", "future", date(2026, 12, 3)),
    ("3ydd o Ragfyr", "future", date(2026, 12, 3)),
    ("y 3ydd o Ragfyr", "future", date(2026, 12, 3)),
    ("Rhagfyr 3", "future", date(2026, 12, 3)),
    ("1af Ionawr", "future", date(2027, 1, 1)),
    ("1 Ion", "future", date(2027, 1, 1)),
    ("2il Chwefror", "future", date(2027, 2, 2)),
    ("2ail Chwef", "future", date(2027, 2, 2)),
    ("3 Mawrth", "future", date(2027, 3, 3)),  # month, not Tuesday
    ("3 Maw", "past", date(2026, 3, 3)),
    ("3ydd o Fawrth", "past", date(2026, 3, 3)),
    ("Mawrth 3", "past", date(2026, 3, 3)),
    ("4ydd Ebrill", "past", date(2026, 4, 4)),
    ("4 Ebr", "past", date(2026, 4, 4)),
    ("5ed Mai", "past", date(2026, 5, 5)),
    ("5 o Fai", "past", date(2026, 5, 5)),
    ("6ed Mehefin", "past", date(2026, 6, 6)),
    ("6 Meh", "past", date(2026, 6, 6)),
    ("6 o Fehefin", "past", date(2026, 6, 6)),
    ("7fed Gorffennaf", "past", date(2026, 7, 7)),
    ("7 Gorff", "past", date(2026, 7, 7)),
    ("7 o Orffennaf", "past", date(2026, 7, 7)),
    ("8fed Awst", "past", date(2026, 8, 8)),
    ("11eg Medi", "past", date(2026, 9, 11)),
    ("11 o Fedi", "past", date(2026, 9, 11)),
    ("20fed Hydref", "past", date(2026, 10, 20)),
    ("20 Hyd", "past", date(2026, 10, 20)),
    ("21ain Tachwedd", "past", date(2026, 11, 21)),
    ("21 Tach", "past", date(2026, 11, 21)),
    ("21 o Dachwedd", "past", date(2026, 11, 21)),
    ("3 Rhagfyr 2026", "past", date(2026, 12, 3)),
    # Weekdays: nearest on or after today (future) / on or before (past).
    ("Wed", "future", date(2026, 11, 25)),
    ("Wed", "past", date(2026, 11, 25)),
    ("Wednesday", "future", date(2026, 11, 25)),
    ("Thu", "future", date(2026, 11, 26)),
    ("Thurs", "past", date(2026, 11, 19)),
    ("Tue", "future", date(2026, 12, 1)),
    ("Tuesday", "past", date(2026, 11, 24)),
    ("mon", "future", date(2026, 11, 30)),
    ("Fri", "past", date(2026, 11, 20)),
    ("Sat.", "future", date(2026, 11, 28)),
    ("Sunday", "past", date(2026, 11, 22)),
    ("Mercher", "future", date(2026, 11, 25)),
    ("dydd Mercher", "future", date(2026, 11, 25)),
    ("ddydd Mercher", "past", date(2026, 11, 25)),
    ("dydd Iau", "future", date(2026, 11, 26)),
    ("Mawrth", "future", date(2026, 12, 1)),  # alone: Tuesday
    ("dydd Mawrth", "past", date(2026, 11, 24)),
    ("dydd Llun", "future", date(2026, 11, 30)),
    ("Gwener", "future", date(2026, 11, 27)),
    ("ddydd Sadwrn", "future", date(2026, 11, 28)),
    ("dydd Sul", "past", date(2026, 11, 22)),
    ("nos Fercher", "future", date(2026, 11, 25)),
    ("nos Wener", "future", date(2026, 11, 27)),
    ("nos Lun", "future", date(2026, 11, 30)),
    ("nos Fawrth", "future", date(2026, 12, 1)),
    # Weekday with a date: must agree.
    ("Wed 2 Dec", "future", date(2026, 12, 2)),
    ("Wednesday, 2nd December 2026", "past", date(2026, 12, 2)),
    ("dydd Mercher 2 Rhagfyr", "future", date(2026, 12, 2)),
    ("dydd Mawrth 1 Rhag", "future", date(2026, 12, 1)),
    ("Wed 2/12", "future", date(2026, 12, 2)),
    ("Thu 2 Dec", "future", DateError.IMPOSSIBLE),
    # The year is inferred first (2 Dec 2025, a Tuesday), then checked.
    ("Wed 2 Dec", "past", DateError.IMPOSSIBLE),
    ("dydd Llun 2 Rhagfyr", "future", DateError.IMPOSSIBLE),
    # Empty and unrecognised.
    ("", "future", DateError.EMPTY),
    ("   ", "past", DateError.EMPTY),
    ("soon", "future", DateError.UNRECOGNISED),
    ("3", "future", DateError.UNRECOGNISED),
    ("3rd", "future", DateError.UNRECOGNISED),
    ("3.12", "future", DateError.UNRECOGNISED),  # reads like a time
    ("3/12-2026", "future", DateError.UNRECOGNISED),  # mixed separators
    ("3/12/2", "future", DateError.UNRECOGNISED),
    ("3/12/202", "future", DateError.UNRECOGNISED),
    ("3 Foo", "future", DateError.UNRECOGNISED),
    ("Fawrth", "future", DateError.UNRECOGNISED),  # mutated only after a prefix
    ("dydd", "future", DateError.UNRECOGNISED),
    ("dydd Wednesday", "future", DateError.UNRECOGNISED),
    ("next Wednesday", "future", DateError.UNRECOGNISED),
    ("\u0663/12", "future", DateError.UNRECOGNISED),  # Arabic-Indic three
    ("3/12\x00", "future", DateError.UNRECOGNISED),
    ("3/" + "1" * 100, "future", DateError.UNRECOGNISED),
    # Impossible.
    ("31/2", "future", DateError.IMPOSSIBLE),
    ("30/2", "past", DateError.IMPOSSIBLE),
    ("31/4", "future", DateError.IMPOSSIBLE),
    ("0/5", "future", DateError.IMPOSSIBLE),
    ("5/0", "future", DateError.IMPOSSIBLE),
    ("13/13", "future", DateError.IMPOSSIBLE),
    ("12/25", "future", DateError.IMPOSSIBLE),  # would be valid month/day
    ("32/1", "future", DateError.IMPOSSIBLE),
    ("99/99/2026", "future", DateError.IMPOSSIBLE),
    ("1/1/0000", "future", DateError.IMPOSSIBLE),
    ("31 Tachwedd", "future", DateError.IMPOSSIBLE),
    ("0 Dec", "future", DateError.IMPOSSIBLE),
    ("2026-02-29", "future", DateError.IMPOSSIBLE),
    ("2026-13-01", "future", DateError.IMPOSSIBLE),
]


@pytest.mark.parametrize(("text", "prefer", "expected"), CASES)
def test_parse_date(text: str, prefer: Prefer, expected: date | DateError) -> None:
    assert parse_date(text, today=TODAY, prefer=prefer) == expected


@pytest.mark.parametrize(
    ("today", "text", "prefer", "expected"),
    [
        # Year rollover.
        (date(2026, 12, 30), "3/1", "future", date(2027, 1, 3)),
        (date(2026, 12, 30), "3/1", "past", date(2026, 1, 3)),
        (date(2026, 12, 30), "3 Ion", "future", date(2027, 1, 3)),
        (date(2027, 1, 2), "30/12", "past", date(2026, 12, 30)),
        (date(2027, 1, 2), "30/12", "future", date(2027, 12, 30)),
        (date(2027, 1, 2), "30ain Rhagfyr", "past", date(2026, 12, 30)),
        (date(2026, 12, 31), "tomorrow", "past", date(2027, 1, 1)),
        (date(2027, 1, 1), "ddoe", "future", date(2026, 12, 31)),
        (date(2026, 12, 30), "Fri", "future", date(2027, 1, 1)),
        (date(2027, 1, 2), "dydd Iau", "past", date(2026, 12, 31)),
    ],
)
def test_year_rollover(today: date, text: str, prefer: Prefer, expected: date) -> None:
    assert parse_date(text, today=today, prefer=prefer) == expected


@pytest.mark.parametrize(
    ("today", "text", "prefer", "expected"),
    [
        # An explicit year: 29 Feb exists only in leap years.
        (date(2026, 6, 1), "29/2/2028", "future", date(2028, 2, 29)),
        (date(2026, 6, 1), "29/2/28", "past", date(2028, 2, 29)),
        (date(2026, 6, 1), "29 Feb 2028", "future", date(2028, 2, 29)),
        (date(2026, 6, 1), "29/2/2027", "future", DateError.IMPOSSIBLE),
        (date(2026, 6, 1), "29/2/27", "future", DateError.IMPOSSIBLE),
        (date(2026, 6, 1), "29 Chwefror 2027", "future", DateError.IMPOSSIBLE),
        (date(2026, 6, 1), "2100-02-29", "future", DateError.IMPOSSIBLE),
        (date(2026, 6, 1), "2000-02-29", "future", date(2000, 2, 29)),
        # Year inferred: the nearest 29 Feb in the prefer direction.
        (date(2027, 6, 1), "29/2", "future", date(2028, 2, 29)),
        (date(2027, 6, 1), "29/2", "past", date(2024, 2, 29)),
        (date(2028, 1, 10), "29 Feb", "future", date(2028, 2, 29)),
        (date(2028, 2, 29), "29/2", "future", date(2028, 2, 29)),
        (date(2028, 2, 29), "29/2", "past", date(2028, 2, 29)),
        (date(2028, 3, 1), "29/2", "future", date(2032, 2, 29)),
        (date(2028, 3, 1), "29 Chwef", "past", date(2028, 2, 29)),
        (date(2096, 3, 1), "29/2", "future", date(2104, 2, 29)),  # 2100 is not leap
        (date(2104, 2, 1), "29/2", "past", date(2096, 2, 29)),
        # Never exists, whatever the year.
        (date(2027, 6, 1), "30/2", "future", DateError.IMPOSSIBLE),
    ],
)
def test_leap_day(today: date, text: str, prefer: Prefer, expected: date | DateError) -> None:
    assert parse_date(text, today=today, prefer=prefer) == expected


@pytest.mark.parametrize(
    ("today", "text", "prefer"),
    [
        (date.max, "tomorrow", "future"),
        (date.max, "3/1", "future"),
        (date.max, "Mon", "future"),
        (date.min, "yesterday", "past"),
        (date.min, "31/12", "past"),
        (date.min, "Sun", "past"),
        (date(9999, 3, 1), "29/2", "future"),  # no leap year left
    ],
)
def test_edges_of_the_calendar_are_impossible_not_errors(
    today: date, text: str, prefer: Prefer
) -> None:
    assert parse_date(text, today=today, prefer=prefer) is DateError.IMPOSSIBLE


def test_prefer_must_be_past_or_future() -> None:
    with pytest.raises(ValueError):
        parse_date("3/12", today=TODAY, prefer="soon")  # type: ignore[arg-type]


def test_error_reasons_are_stable() -> None:
    assert {e.name for e in DateError} == {
        "EMPTY",
        "UNRECOGNISED",
        "IMPOSSIBLE",
        "MISSING_TIME",
        "END_BEFORE_START",
        "NONEXISTENT_TIME",
    }
