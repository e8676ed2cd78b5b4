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
* A time needs a separator or a marker: ``"14"`` and ``"1400"`` are
  UNRECOGNISED. ``"12yh"`` (12 in the evening) is UNRECOGNISED because it
  could mean noon or midnight; ``12am`` is midnight and ``12pm`` noon.
* A time range is within one day: an end at or before the start (including
  ``"6pm-midnight"``) is END_BEFORE_START. In ``"2-4pm"`` or ``"2:30-4pm"``
  the start takes the end's am/pm marker (and ``"10-12pm"`` falls back to
  10am when 10pm would be after the end); likewise ``"2pm-4"`` gives the end
  the start's marker.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Final, Literal
from zoneinfo import ZoneInfo

from bot.parsing._calendar_words import (
    AM_MARKERS,
    EVENING_MARKERS,
    MIDNIGHT_WORDS,
    MONTHS,
    NOON_WORDS,
    ORDINAL_SUFFIX_PATTERN,
    RELATIVE_DAYS,
    WEEKDAYS,
    WELSH_WEEKDAY_PREFIXES,
    WELSH_WEEKDAYS_AFTER_PREFIX,
)
from bot.parsing._text import clean

__all__ = [
    "DateError",
    "Prefer",
    "local_to_utc",
    "parse_date",
    "parse_datetime",
    "parse_time",
    "parse_time_range",
]

Prefer = Literal["past", "future"]

# Long enough for "dydd Mercher y 3ydd o Ragfyr 2026 am 2:30 y prynhawn";
# anything longer is not a date a person typed.
_MAX_INPUT_CHARS: Final = 80

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


def _check_prefer(prefer: str) -> None:
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


def _parse_date_clean(text: str, today: dt.date, prefer: Prefer) -> dt.date | DateError:
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


def _clean_date_text(text: str) -> str | None:
    cleaned = clean(text, max_len=_MAX_INPUT_CHARS)
    if cleaned:
        # Commas only separate parts ("Wed, 3 Dec", "Dec 3, 2026").
        cleaned = " ".join(cleaned.replace(",", " ").split())
    return cleaned


def parse_date(text: str, *, today: dt.date, prefer: Prefer) -> dt.date | DateError:
    """Parse a date such as "3/12", "3 Rhagfyr", "dydd Mercher" or "yfory".

    Relative words ("today", "heddiw", "yesterday", "ddoe", "tomorrow",
    "yfory") ignore *prefer*; weekdays and dates without a year use it as
    described in the module docstring.
    """
    _check_prefer(prefer)
    cleaned = _clean_date_text(text)
    if cleaned is None:
        return DateError.UNRECOGNISED
    if not cleaned:
        return DateError.EMPTY
    return _parse_date_clean(cleaned, today, prefer)


# --------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------

_TWENTY_FOUR_HOUR: Final = re.compile(r"(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})")
_MERIDIEM: Final = (
    r"(?P<meridiem>a\.?m\.?|p\.?m\.?|y\.?b\.?|y\.?p\.?|y\.?h\.?"
    r"|(?:yn )?y bore|(?:yn )?y prynhawn|(?:yn )?yr hwyr)"
)
_TWELVE_HOUR: Final = re.compile(
    rf"(?P<hour>[0-9]{{1,2}})(?:[:.](?P<minute>[0-9]{{2}}))? ?{_MERIDIEM}"
)
# A clock reading with no marker, used only inside ranges ("2-4pm").
_BARE_CLOCK: Final = re.compile(r"(?P<hour>[0-9]{1,2})(?:[:.](?P<minute>[0-9]{2}))?")


def _meridiem_key(marker: str) -> str:
    return marker.replace(".", "").replace(" ", "")


def _twelve_hour(hour: int, minute: int, marker: str) -> dt.time | DateError:
    key = _meridiem_key(marker)
    if not 1 <= hour <= 12 or minute > 59:
        return DateError.IMPOSSIBLE  # "13pm", "0am", "2:75pm"
    if key in AM_MARKERS:
        return dt.time(hour % 12, minute)
    if key in EVENING_MARKERS and hour == 12:
        return DateError.UNRECOGNISED  # "12 yr hwyr": noon or midnight?
    return dt.time(hour % 12 + 12, minute)


def _parse_time_clean(text: str) -> dt.time | DateError:
    if text in NOON_WORDS:
        return dt.time(12, 0)
    if text in MIDNIGHT_WORDS:
        return dt.time(0, 0)
    if m := _TWENTY_FOUR_HOUR.fullmatch(text):
        hour, minute = int(m["hour"]), int(m["minute"])
        if hour > 23 or minute > 59:
            return DateError.IMPOSSIBLE  # "25:00", "14:61", "24:00"
        return dt.time(hour, minute)
    if m := _TWELVE_HOUR.fullmatch(text):
        return _twelve_hour(int(m["hour"]), int(m["minute"] or 0), m["meridiem"])
    return DateError.UNRECOGNISED


def parse_time(text: str) -> dt.time | DateError:
    """Parse a time of day: "14:00", "14.00", "2pm", "2:30 p.m.", "2yp", "10yb", "noon"."""
    cleaned = clean(text, max_len=_MAX_INPUT_CHARS)
    if cleaned is None:
        return DateError.UNRECOGNISED
    if not cleaned:
        return DateError.EMPTY
    return _parse_time_clean(cleaned)


# --------------------------------------------------------------------------
# Date and time together
# --------------------------------------------------------------------------

# Words allowed between the parts: "Wed at 2pm", "dydd Mercher am 2yp"
# (Welsh "am" = at), "2pm on Wed", "2yp ar ddydd Mercher".
_DATE_THEN_TIME_JOINERS: Final = frozenset({"at", "am", "@"})
_TIME_THEN_DATE_JOINERS: Final = frozenset({"on", "ar"})
_ISO_T: Final = re.compile(r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})t([0-9])")


def _parts(
    date_words: list[str], time_words: list[str], joiners: frozenset[str], *, time_first: bool
) -> tuple[str, str] | None:
    """Drop one joining word at the boundary; return (date, time) texts or None."""
    if time_first and date_words and date_words[0] in joiners:
        date_words = date_words[1:]
    if not time_first and time_words and time_words[0] in joiners:
        time_words = time_words[1:]
    if not date_words or not time_words:
        return None
    return " ".join(date_words), " ".join(time_words)


def parse_datetime(text: str, *, today: dt.date, prefer: Prefer) -> dt.datetime | DateError:
    """Parse a date and a time in either order, e.g. "Wed 14:00" or "9yb yfory".

    Returns a naive datetime in local wall time; convert with
    :func:`local_to_utc`. Every way of splitting the words into a date part
    and a time part is tried; exactly one distinct reading must succeed.
    """
    _check_prefer(prefer)
    cleaned = _clean_date_text(text)
    if cleaned is None:
        return DateError.UNRECOGNISED
    if not cleaned:
        return DateError.EMPTY
    cleaned = _ISO_T.sub(r"\1 \2", cleaned)  # "2026-12-03T14:00"
    words = cleaned.split(" ")

    found: set[dt.datetime] = set()
    impossible = False
    for cut in range(1, len(words)):
        head, tail = words[:cut], words[cut:]
        for split in (
            _parts(head, tail, _DATE_THEN_TIME_JOINERS, time_first=False),
            _parts(tail, head, _TIME_THEN_DATE_JOINERS, time_first=True),
        ):
            if split is None:
                continue
            day = _parse_date_clean(split[0], today, prefer)
            clock = _parse_time_clean(split[1])
            if isinstance(day, dt.date) and isinstance(clock, dt.time):
                found.add(dt.datetime.combine(day, clock))
            elif DateError.UNRECOGNISED not in (day, clock):
                # Both parts recognised but one cannot exist: "31/2 2pm".
                impossible = True

    if len(found) == 1:
        return found.pop()
    if found:
        return DateError.UNRECOGNISED  # ambiguous: more than one reading
    if impossible:
        return DateError.IMPOSSIBLE
    # A date on its own (perhaps with a dangling "at") lacks only the time.
    date_words = words[:-1] if len(words) > 1 and words[-1] in _DATE_THEN_TIME_JOINERS else words
    alone = _parse_date_clean(" ".join(date_words), today, prefer)
    if isinstance(alone, dt.date):
        return DateError.MISSING_TIME
    if alone is DateError.IMPOSSIBLE:
        return DateError.IMPOSSIBLE
    return DateError.UNRECOGNISED


# --------------------------------------------------------------------------
# Time ranges
# --------------------------------------------------------------------------

_RANGE_SEPARATOR: Final = re.compile(r" ?- ?| (?:to|till|til|until|tan|i) ")
_RANGE_LEAD: Final = re.compile(r"(?:from|o) ")


def _marker_of(text: str) -> str | None:
    m = _TWELVE_HOUR.fullmatch(text)
    return m["meridiem"] if m else None


def _inherit_marker(bare: str, marker: str, fallback: str) -> list[dt.time] | None:
    """Readings of a marker-less "2" or "2:30" borrowing the other end's marker.

    The first reading uses *marker*; the second, *fallback* ("10-12pm" is
    10am, "10am-1" is 1pm). ``None`` if *bare* is not a 1-12 clock reading,
    in which case it is parsed on its own (so "13:00-4pm" stays 24-hour).
    """
    m = _BARE_CLOCK.fullmatch(bare)
    if m is None or not 1 <= int(m["hour"]) <= 12:
        return None
    hour, minute = int(m["hour"]), int(m["minute"] or 0)
    primary = _twelve_hour(hour, minute, marker)
    if not isinstance(primary, dt.time):
        return None  # "12-2yh": no sensible reading to fall back from
    secondary = _twelve_hour(hour, minute, fallback)
    return [primary, secondary] if isinstance(secondary, dt.time) else [primary]


def _worst(*errors: DateError) -> DateError:
    # IMPOSSIBLE tells the volunteer more than UNRECOGNISED does.
    return DateError.IMPOSSIBLE if DateError.IMPOSSIBLE in errors else errors[0]


def parse_time_range(text: str) -> tuple[dt.time, dt.time] | DateError:
    """Parse a shift's hours: "10:00-12:30", "10am to 12.30pm", "10yb-1yp", "2-4pm"."""
    cleaned = clean(text, max_len=_MAX_INPUT_CHARS)
    if cleaned is None:
        return DateError.UNRECOGNISED
    if not cleaned:
        return DateError.EMPTY
    if m := _RANGE_LEAD.match(cleaned):
        cleaned = cleaned[m.end() :]
    pieces = _RANGE_SEPARATOR.split(cleaned)
    if len(pieces) != 2 or not all(pieces):
        return DateError.UNRECOGNISED
    start_text, end_text = pieces
    start_marker, end_marker = _marker_of(start_text), _marker_of(end_text)

    start = _parse_time_clean(start_text)
    end = _parse_time_clean(end_text)
    if start_marker is None and end_marker is not None and isinstance(end, dt.time):
        # "2-4pm": the first reading of the start that comes before the end.
        readings = _inherit_marker(start_text, end_marker, "am")
        if readings is not None:
            earlier = [r for r in readings if r < end]
            return (earlier[0], end) if earlier else DateError.END_BEFORE_START
    if end_marker is None and start_marker is not None and isinstance(start, dt.time):
        # "2pm-4", "10am-1": the first reading of the end after the start.
        readings = _inherit_marker(end_text, start_marker, "pm")
        if readings is not None:
            later = [r for r in readings if r > start]
            return (start, later[0]) if later else DateError.END_BEFORE_START

    if not isinstance(start, dt.time) or not isinstance(end, dt.time):
        errors = [e for e in (start, end) if isinstance(e, DateError)]
        return _worst(*errors)
    if end <= start:
        return DateError.END_BEFORE_START
    return start, end


# --------------------------------------------------------------------------
# Local wall time to UTC
# --------------------------------------------------------------------------


def local_to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime | DateError:
    """Convert a naive wall-clock time in *tz* to an aware UTC datetime.

    * A time skipped when clocks go forward (01:00-01:59 on the last Sunday
      of March in London) is NONEXISTENT_TIME. It is detected by converting
      to UTC and back: a real wall time survives the round trip unchanged.
    * A time repeated when clocks go back (01:00-01:59 on the last Sunday of
      October) is ambiguous; the first occurrence (``fold=0``, BST in
      London) is chosen, because a shift announced for "01:30" that night
      most plausibly means the first 01:30 the volunteer lives through.

    Raises ``ValueError`` if *local* is already aware: that is a bug in the
    caller, not something a volunteer typed.
    """
    if local.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive local datetime")
    wall = local.replace(fold=0)
    try:
        utc = wall.replace(tzinfo=tz).astimezone(dt.UTC)
        back = utc.astimezone(tz).replace(tzinfo=None, fold=0)
    except (OverflowError, ValueError):  # within hours of datetime.min/max
        return DateError.IMPOSSIBLE
    if back != wall:
        return DateError.NONEXISTENT_TIME
    return utc


@dataclass(frozen=True)
class DayAndTimes:
    """A day, and as much of its times as was typed: "Sat 12 Dec" (day only),
    "dydd Mercher 2yp" (day and start) or "12/12 10:00-12:30" (day, start and end)."""

    day: dt.date
    start: dt.time | None = None
    end: dt.time | None = None


def parse_day_and_times(text: str, *, today: dt.date, prefer: Prefer) -> DayAndTimes | DateError:
    """What a coordinator types when asked "which day?": a day, optionally with a start
    time or a whole time range, so nobody has to split what they think of as one answer."""
    day = parse_date(text, today=today, prefer=prefer)
    if isinstance(day, dt.date):
        return DayAndTimes(day)
    words = text.split()
    for cut in range(len(words) - 1, 0, -1):
        times = parse_time_range(" ".join(words[cut:]))
        if isinstance(times, tuple):
            head = parse_date(" ".join(words[:cut]), today=today, prefer=prefer)
            if isinstance(head, dt.date):
                return DayAndTimes(head, times[0], times[1])
            if head is DateError.IMPOSSIBLE:
                return head
        elif times is DateError.END_BEFORE_START and isinstance(
                parse_date(" ".join(words[:cut]), today=today, prefer=prefer), dt.date):
            return times
    moment = parse_datetime(text, today=today, prefer=prefer)
    if isinstance(moment, dt.datetime):
        return DayAndTimes(moment.date(), moment.time())
    return day
