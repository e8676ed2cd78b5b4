"""Parse dates, times, date-times and shift time ranges typed in English or Welsh.

Every function takes the reference day explicitly (``today``) and never
reads the clock, so results are reproducible in tests and independent of
the server's time zone. Nothing here raises for any string: the result is
a value or a :class:`DateError` reason for the handler to localise. The
parsers make no judgement about whether a date is too old or in the past;
callers decide that.

Decisions where the forms could be read more than one way:

* Numeric dates are always day/month (UK order), never month/day.
* A two-digit year ``yy`` means ``20yy``.
* A day and month without a year is the nearest occurrence in the
  ``prefer`` direction, counting today: for ``"future"`` the first such
  date on or after today, for ``"past"`` the last on or before today.
  For 29 February this may skip to the nearest leap year (up to 8 years
  away across a century); a day that never exists (30/2, 31/4) is IMPOSSIBLE.
* A weekday name is the nearest such weekday on or after today
  (``"future"``) or on or before today (``"past"``); today itself counts.
* A weekday given together with a date ("Wed 3 Dec") must agree with it,
  otherwise IMPOSSIBLE, rather than silently trusting one of the two. The
  year is inferred from ``prefer`` first and the weekday checked afterwards;
  the weekday is never used to pick the year.
* ``"D.M"`` without a year is refused (it reads like a time, "3.12");
  ``"D.M.YYYY"`` and ``"D.M.YY"`` are accepted.

Times and time ranges are in :mod:`bot.parsing.times`; a date and a time together,
and wall time to UTC, in :mod:`bot.parsing.moments`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Final, Literal

from bot.parsing._calendar_words import (
    MONTHS,
    ORDINAL_SUFFIX_PATTERN,
    RELATIVE_DAYS,
    WEEKDAYS,
    WELSH_WEEKDAY_PREFIXES,
    WELSH_WEEKDAYS_AFTER_PREFIX,
)
from bot.parsing._text import clean

__all__ = [
    "MAX_INPUT_CHARS",
    "DateError",
    "Prefer",
    "parse_date",
]

Prefer = Literal["past", "future"]

# Long enough for "dydd Mercher y 3ydd o Ragfyr 2026 am 2:30 y prynhawn";
# anything longer is not a date a person typed.
MAX_INPUT_CHARS: Final = 80

# Greatest gap between two 29 Februaries (e.g. 2096 -> 2104) plus one.
_LEAP_SEARCH_YEARS: Final = 9


class DateError(enum.Enum):
    """Why a date or time was refused; handlers map these to localised text."""

    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    IMPOSSIBLE = "impossible"
    MISSING_TIME = "missing_time"
    END_BEFORE_START = "end_before_start"
    NONEXISTENT_TIME = "nonexistent_time"


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

# [0-9] rather than \d throughout: \d matches any Unicode digit.
_YEAR: Final = r"(?P<year>[0-9]{4}|[0-9]{2})"
_DAY: Final = rf"(?P<day>[0-9]{{1,2}}){ORDINAL_SUFFIX_PATTERN}?"
_MONTH_WORD: Final = r"(?P<month>[a-z]+)\.?"

# The same separator twice, so "3/12-26" is not a date.
_NUMERIC_DATE: Final = re.compile(
    rf"(?P<day>[0-9]{{1,2}})(?P<sep>[/.-])(?P<month>[0-9]{{1,2}})(?:(?P=sep){_YEAR})?"
)
_ISO_DATE: Final = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})")
# "3 Dec", "3rd of December 2026", "the 3rd December", "y 3ydd o Ragfyr".
_DAY_MONTH: Final = re.compile(rf"(?:(?:the|y) )?{_DAY} ?(?:(?:of|o) )?{_MONTH_WORD}(?: {_YEAR})?")
# "Dec 3", "December 3rd 2026", "Rhagfyr 3".
_MONTH_DAY: Final = re.compile(rf"{_MONTH_WORD} (?:the )?{_DAY}(?: {_YEAR})?")


def check_prefer(prefer: str) -> None:
    # A wrong value is a programming error in the caller, not user input.
    if prefer not in ("past", "future"):
        raise ValueError(f"prefer must be 'past' or 'future', not {prefer!r}")


def _shift(today: dt.date, days: int) -> dt.date | DateError:
    try:
        return today + dt.timedelta(days=days)
    except OverflowError:  # only at date.min / date.max
        return DateError.IMPOSSIBLE


def _year_from_text(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _exact_date(year: int, month: int, day: int) -> dt.date | DateError:
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31/2, month 13, year 0 ...
        return DateError.IMPOSSIBLE


def _nearest_date(month: int, day: int, today: dt.date, prefer: Prefer) -> dt.date | DateError:
    """The occurrence of day/month nearest *today* in the *prefer* direction.

    Searching year by year (rather than only this year and the next) is
    what lets 29 February land on the nearest leap year.
    """
    # 2000 is a leap year, so this rejects only days that never exist.
    if isinstance(_exact_date(2000, month, day), DateError):
        return DateError.IMPOSSIBLE
    step = 1 if prefer == "future" else -1
    year = today.year
    for _ in range(_LEAP_SEARCH_YEARS):
        if not dt.MINYEAR <= year <= dt.MAXYEAR:
            break
        candidate = _exact_date(year, month, day)
        if isinstance(candidate, dt.date) and (
            candidate >= today if prefer == "future" else candidate <= today
        ):
            return candidate
        year += step
    return DateError.IMPOSSIBLE


def _resolve(
    day: str, month: int, year: str | None, today: dt.date, prefer: Prefer
) -> dt.date | DateError:
    if year is None:
        return _nearest_date(month, int(day), today, prefer)
    return _exact_date(_year_from_text(year), month, int(day))


def _weekday_phrase(text: str) -> int | None:
    """Weekday number for "wed", "dydd Mercher", "ddydd Mercher", "nos Fercher"."""
    words = text.rstrip(".").split(" ")
    if len(words) == 1:
        return WEEKDAYS.get(words[0])
    if len(words) == 2 and words[0] in WELSH_WEEKDAY_PREFIXES:
        return WELSH_WEEKDAYS_AFTER_PREFIX.get(words[1].rstrip("."))
    return None


def _weekday_date(weekday: int, today: dt.date, prefer: Prefer) -> dt.date | DateError:
    if prefer == "future":
        return _shift(today, (weekday - today.weekday()) % 7)
    return _shift(today, -((today.weekday() - weekday) % 7))


def _calendar_date(text: str, today: dt.date, prefer: Prefer) -> dt.date | DateError:
    """A date written with numbers or a month name (no weekday, no "today")."""
    if m := _ISO_DATE.fullmatch(text):
        return _exact_date(int(m["year"]), int(m["month"]), int(m["day"]))
    if m := _NUMERIC_DATE.fullmatch(text):
        if m["sep"] == "." and m["year"] is None:
            return DateError.UNRECOGNISED  # "3.12" looks like a time
        return _resolve(m["day"], int(m["month"]), m["year"], today, prefer)
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if (m := pattern.fullmatch(text)) and m["month"] in MONTHS:
            return _resolve(m["day"], MONTHS[m["month"]], m["year"], today, prefer)
    return DateError.UNRECOGNISED


def parse_date_clean(text: str, today: dt.date, prefer: Prefer) -> dt.date | DateError:
    if text in RELATIVE_DAYS:
        return _shift(today, RELATIVE_DAYS[text])
    if (weekday := _weekday_phrase(text)) is not None:
        return _weekday_date(weekday, today, prefer)
    # Tried before weekday+date so "Mawrth 3" is 3 March, not Tuesday + "3".
    result = _calendar_date(text, today, prefer)
    if result is not DateError.UNRECOGNISED:
        return result
    # "Wed 3 Dec", "dydd Mercher 3 Rhagfyr": the weekday must match.
    words = text.split(" ")
    for head_len in (2, 1):
        if len(words) <= head_len:
            continue
        weekday = _weekday_phrase(" ".join(words[:head_len]))
        if weekday is None:
            continue
        result = _calendar_date(" ".join(words[head_len:]), today, prefer)
        if isinstance(result, dt.date) and result.weekday() != weekday:
            return DateError.IMPOSSIBLE
        if result is not DateError.UNRECOGNISED:
            return result
    return DateError.UNRECOGNISED


def clean_date_text(text: str, prefer: Prefer) -> str | DateError:
    """The typed words, cleaned, for the date readers; or why there is nothing to read."""
    check_prefer(prefer)
    cleaned = clean(text, max_len=MAX_INPUT_CHARS)
    if cleaned is None:
        return DateError.UNRECOGNISED
    # Commas only separate parts ("Wed, 3 Dec", "Dec 3, 2026").
    cleaned = " ".join(cleaned.replace(",", " ").split())
    return cleaned or DateError.EMPTY


def parse_date(text: str, *, today: dt.date, prefer: Prefer) -> dt.date | DateError:
    """Parse a date such as "3/12", "3 Rhagfyr", "dydd Mercher" or "yfory".

    Relative words ("today", "heddiw", "yesterday", "ddoe", "tomorrow",
    "yfory") ignore *prefer*; weekdays and dates without a year use it as
    described in the module docstring.
    """
    cleaned = clean_date_text(text, prefer)
    if isinstance(cleaned, DateError):
        return cleaned
    return parse_date_clean(cleaned, today, prefer)
