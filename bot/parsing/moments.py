"""A date and a time together, and a local wall time converted to UTC.

A date-time is tried every way its words split into a date part and a time part;
exactly one distinct reading must succeed. A coordinator's "which day?" answer may
carry its times too ("dydd Mercher 2yp", "12/12 10:00-12:30").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from bot.parsing.dates import DateError, Prefer, clean_date_text, parse_date, parse_date_clean
from bot.parsing.times import parse_time_clean, parse_time_range

__all__ = ["DayAndTimes", "local_to_utc", "parse_datetime", "parse_day_and_times"]

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
    cleaned = clean_date_text(text, prefer)
    if isinstance(cleaned, DateError):
        return cleaned
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
            day = parse_date_clean(split[0], today, prefer)
            clock = parse_time_clean(split[1])
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
    alone = parse_date_clean(" ".join(date_words), today, prefer)
    if isinstance(alone, dt.date):
        return DateError.MISSING_TIME
    if alone is DateError.IMPOSSIBLE:
        return DateError.IMPOSSIBLE
    return DateError.UNRECOGNISED


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
