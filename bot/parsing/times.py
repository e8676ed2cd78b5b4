"""Parse times of day and shift time ranges typed in English or Welsh.

Nothing here raises for any string: the result is a value or a
:class:`~bot.parsing.dates.DateError` reason for the handler to localise.

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
import re
from typing import Final

from bot.parsing._calendar_words import AM_MARKERS, EVENING_MARKERS, MIDNIGHT_WORDS, NOON_WORDS
from bot.parsing._text import clean
from bot.parsing.dates import MAX_INPUT_CHARS, DateError

__all__ = ["parse_time", "parse_time_range"]

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


def parse_time_clean(text: str) -> dt.time | DateError:
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
    cleaned = clean(text, max_len=MAX_INPUT_CHARS)
    if cleaned is None:
        return DateError.UNRECOGNISED
    if not cleaned:
        return DateError.EMPTY
    return parse_time_clean(cleaned)


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
    cleaned = clean(text, max_len=MAX_INPUT_CHARS)
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

    start = parse_time_clean(start_text)
    end = parse_time_clean(end_text)
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
