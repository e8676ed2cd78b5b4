"""Parse the length of a piece of volunteering, as typed, into whole minutes.

Accepted (case-insensitive, English or Welsh, surrounding spaces ignored):

* a bare number is **hours**: ``2``, ``2.5``, ``2,5`` (comma decimal),
  ``0.25``, ``.5`` (a comma before exactly three digits, "1,000", is refused
  as a possible thousands separator)
* hours and minutes with a colon: ``1:30`` (minutes exactly two digits, < 60)
* minutes with a unit: ``90m``, ``90 min``, ``90 mins``, ``90 minute(s)``,
  ``90 munud``, ``90 mun``
* hours with a unit: ``1h``, ``2 hr``/``hrs``, ``1 hour``, ``2 hours``,
  ``2 awr``, ``2.5 awr``, ``2 oriau``
* hours then minutes: ``1h30``, ``1h 30m``, ``1 hr 30``, ``1 awr 30 munud``,
  ``1 hour and 30 minutes``, ``1 awr a 30 munud`` (minutes 0-59)
* halves: ``half an hour``, ``half hour``, ``hanner awr`` (30) and
  ``2 hours and a half`` / ``2 awr a hanner`` (150)

Decimal hours are taken literally, so ``1.30`` is 1.3 hours (78 minutes),
not 1h30: a volunteer who means 1h30 is shown the parsed value by the
caller and can correct it. The arithmetic is exact (``Fraction``), so
``0.1`` is exactly 6 minutes and ``0.01`` is refused as not whole minutes.

Nothing here raises for any string; the result is either a number of
minutes in ``1..MAX_MINUTES_PER_DAY`` or a :class:`DurationError` reason.
"""

from __future__ import annotations

import enum
import re
from fractions import Fraction
from typing import Final

from bot.parsing._text import clean

__all__ = ["MAX_CREDITS_MINUTES", "MAX_MINUTES_PER_DAY", "DurationError", "parse_duration"]

# A single logged stint longer than this is almost certainly a typo (e.g.
# minutes typed where hours were meant), so it is refused rather than stored.
MAX_MINUTES_PER_DAY: Final = 720
MAX_CREDITS_MINUTES: Final = 1000 * 60  # the most one gift of credits may be

# Longer than any sensible way of writing a duration; bounds the work done
# on hostile input before any regex runs.
_MAX_INPUT_CHARS: Final = 40


class DurationError(enum.Enum):
    """Why a duration was refused; handlers map these to localised text."""

    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    ZERO = "zero"
    NEGATIVE = "negative"
    TOO_LONG = "too_long"
    NOT_WHOLE_MINUTES = "not_whole_minutes"


# [0-9] rather than \d: \d matches any Unicode digit.
_NUM: Final = r"(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)"
_INT: Final = r"[0-9]+"
_HOUR_UNIT: Final = r"(?:h|hr|hrs|hour|hours|awr|oriau)"
_MIN_UNIT: Final = r"(?:m|min|mins|minute|minutes|munud|mun)"
# "and" in English, "a"/"ac" in Welsh: "1 awr a 30 munud".
_AND: Final = r"(?:and|a|ac)"

_BARE_HOURS: Final = re.compile(rf"(?P<hours>{_NUM})")
_COLON: Final = re.compile(rf"(?P<hours>{_INT}):(?P<minutes>[0-9]{{2}})")
_MINUTES: Final = re.compile(rf"(?P<minutes>{_NUM}) ?{_MIN_UNIT}")
_HOURS: Final = re.compile(rf"(?P<hours>{_NUM}) ?{_HOUR_UNIT}")
_HOURS_MINUTES: Final = re.compile(
    rf"(?P<hours>{_INT}) ?{_HOUR_UNIT} ?(?:{_AND} )?(?P<minutes>[0-9]{{1,2}})(?: ?{_MIN_UNIT})?"
)
_HOURS_AND_A_HALF: Final = re.compile(
    rf"(?P<hours>{_INT}) ?{_HOUR_UNIT} (?:and a half|a hanner)"
)
# "1,000" could be a thousands separator rather than a decimal comma;
# refusing it beats reading "1,500 mins" as one and a half minutes.
_THOUSANDS_LIKE: Final = re.compile(r",[0-9]{3}(?![0-9])")
_PHRASES: Final[dict[str, int]] = {
    "half an hour": 30,
    "half hour": 30,
    "hanner awr": 30,
}


def _number(text: str) -> Fraction:
    # The regexes guarantee a short run of ASCII digits with at most one
    # separator, so this cannot fail or produce inf/NaN.
    return Fraction(text.replace(",", "."))


def _magnitude(text: str) -> Fraction | None:
    """Minutes denoted by *text* (no sign), or ``None`` if not a known form."""
    if _THOUSANDS_LIKE.search(text):
        return None
    if text in _PHRASES:
        return Fraction(_PHRASES[text])
    if m := _BARE_HOURS.fullmatch(text):
        return _number(m["hours"]) * 60
    if m := _COLON.fullmatch(text):
        return _hours_and_minutes(m)
    if m := _MINUTES.fullmatch(text):
        return _number(m["minutes"])
    if m := _HOURS.fullmatch(text):
        return _number(m["hours"]) * 60
    if m := _HOURS_MINUTES.fullmatch(text):
        return _hours_and_minutes(m)
    if m := _HOURS_AND_A_HALF.fullmatch(text):
        return Fraction(int(m["hours"]) * 60 + 30)
    return None


def parse_duration(text: str, *, max_minutes: int = MAX_MINUTES_PER_DAY) -> int | DurationError:
    """Return the whole number of minutes *text* denotes, or why it was refused.

    `max_minutes` is a day's most by default; an amount of credits to give is read with
    the same grammar and a larger ceiling (credits are hours, but not one day's).

    Checks are ordered so the most useful reason wins: a negative value is
    reported as NEGATIVE even when it is also not whole minutes, and an
    over-long value as TOO_LONG even when fractional.
    """
    cleaned = clean(text, max_len=_MAX_INPUT_CHARS)
    if cleaned is None:
        return DurationError.UNRECOGNISED
    if not cleaned:
        return DurationError.EMPTY

    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:].lstrip(" ")
    magnitude = _magnitude(cleaned)
    if magnitude is None:
        return DurationError.UNRECOGNISED

    if magnitude == 0:
        return DurationError.ZERO  # "-0" is still zero, not negative
    if negative:
        return DurationError.NEGATIVE
    if magnitude > max_minutes:
        return DurationError.TOO_LONG
    if magnitude.denominator != 1:
        return DurationError.NOT_WHOLE_MINUTES
    return int(magnitude)


def _hours_and_minutes(m: re.Match[str]) -> Fraction | None:
    """Whole hours and minutes ("1:30", "1h 30m"). "1:75" is a typo, not 2h15; refusing
    it avoids guessing."""
    minutes = int(m["minutes"])
    return None if minutes >= 60 else Fraction(int(m["hours"]) * 60 + minutes)
