"""Table-driven tests for bot.parsing.durations.parse_duration."""

from __future__ import annotations

import pytest

from bot.parsing.durations import MAX_MINUTES_PER_DAY, DurationError, parse_duration

ACCEPTED: list[tuple[str, int]] = [
    # Bare numbers are hours.
    ("2", 120),
    ("2.5", 150),
    ("2,5", 150),
    ("0,25", 15),
    ("1,2500", 75),
    ("0.25", 15),
    (".5", 30),
    ("0.1", 6),
    ("02", 120),
    ("12", 720),
    # Hours and minutes with a colon.
    ("1:30", 90),
    ("0:45", 45),
    ("0:01", 1),
    ("12:00", 720),
    ("01:05", 65),
    # Minutes with a unit, English and Welsh.
    ("90m", 90),
    ("90 m", 90),
    ("90min", 90),
    ("90 min", 90),
    ("90 mins", 90),
    ("1 minute", 1),
    ("90 minutes", 90),
    ("90 munud", 90),
    ("90munud", 90),
    ("45 mun", 45),
    ("720m", 720),
    ("90.0m", 90),
    # Hours with a unit.
    ("1h", 60),
    ("1 h", 60),
    ("2hr", 120),
    ("2 hrs", 120),
    ("1 hour", 60),
    ("2 hours", 120),
    ("2 awr", 120),
    ("2awr", 120),
    ("2.5 awr", 150),
    ("2,5 awr", 150),
    ("3 oriau", 180),
    ("0.5h", 30),
    # Hours then minutes.
    ("1h30", 90),
    ("1h30m", 90),
    ("1h 30m", 90),
    ("1h 30", 90),
    ("1 hr 30", 90),
    ("1hr30mins", 90),
    ("1 hour 30 minutes", 90),
    ("1 hour and 30 minutes", 90),
    ("1 awr 30 munud", 90),
    ("1 awr a 30 munud", 90),
    ("2 awr ac 15 munud", 135),
    ("1h5", 65),
    ("1h 0m", 60),
    ("0h 45m", 45),
    # Halves.
    ("half an hour", 30),
    ("half hour", 30),
    ("hanner awr", 30),
    ("2 awr a hanner", 150),
    ("1 hour and a half", 90),
    # Case and surrounding whitespace are ignored.
    ("  2  ", 120),
    ("2 HOURS", 120),
    ("Hanner Awr", 30),
    ("1H30M", 90),
    ("2\n", 120),
    ("\t90m ", 90),
    # Internal runs of spaces and pasted no-break spaces are tolerated.
    ("1  awr   30  munud", 90),
    ("90\u00a0mins", 90),
]


@pytest.mark.parametrize(("text", "minutes"), ACCEPTED)
def test_accepted_forms(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


REFUSED: list[tuple[str, DurationError]] = [
    # Empty.
    ("", DurationError.EMPTY),
    ("   ", DurationError.EMPTY),
    ("\n\t", DurationError.EMPTY),
    # Not a duration we understand.
    ("awr", DurationError.UNRECOGNISED),
    ("hour", DurationError.UNRECOGNISED),
    ("minutes", DurationError.UNRECOGNISED),
    ("two hours", DurationError.UNRECOGNISED),
    ("1:75", DurationError.UNRECOGNISED),
    ("1:60", DurationError.UNRECOGNISED),
    ("1h75", DurationError.UNRECOGNISED),
    ("1h60m", DurationError.UNRECOGNISED),
    ("1:5", DurationError.UNRECOGNISED),
    ("1:300", DurationError.UNRECOGNISED),
    ("1.5h 30m", DurationError.UNRECOGNISED),
    ("2.", DurationError.UNRECOGNISED),
    ("2..5", DurationError.UNRECOGNISED),
    ("2.5.1", DurationError.UNRECOGNISED),
    ("+2", DurationError.UNRECOGNISED),
    ("--2", DurationError.UNRECOGNISED),
    ("2 days", DurationError.UNRECOGNISED),
    ("90 seconds", DurationError.UNRECOGNISED),
    ("2h 3h", DurationError.UNRECOGNISED),
    ("1 0", DurationError.UNRECOGNISED),
    # A comma before exactly three digits may be a thousands separator.
    ("1,000", DurationError.UNRECOGNISED),
    ("1,500 mins", DurationError.UNRECOGNISED),
    # Hostile or exotic input.
    ("1e309", DurationError.UNRECOGNISED),
    ("1e3", DurationError.UNRECOGNISED),
    ("9" * 5000, DurationError.UNRECOGNISED),
    ("9" * 41, DurationError.UNRECOGNISED),
    ("\u0662", DurationError.UNRECOGNISED),  # Arabic-Indic two
    ("\uff12", DurationError.UNRECOGNISED),  # full-width two
    ("\u00b2", DurationError.UNRECOGNISED),  # superscript two
    ("nan", DurationError.UNRECOGNISED),
    ("NaN", DurationError.UNRECOGNISED),
    ("inf", DurationError.UNRECOGNISED),
    ("-inf", DurationError.UNRECOGNISED),
    ("infinity", DurationError.UNRECOGNISED),
    ("0x10", DurationError.UNRECOGNISED),
    ("1_000", DurationError.UNRECOGNISED),
    ("2\x00", DurationError.UNRECOGNISED),
    ("2\x1fh", DurationError.UNRECOGNISED),
    ("\x1f2", DurationError.UNRECOGNISED),
    ("1\th", DurationError.UNRECOGNISED),
    ("2\u200b", DurationError.UNRECOGNISED),  # zero-width space
    # Zero.
    ("0", DurationError.ZERO),
    ("0.0", DurationError.ZERO),
    ("0:00", DurationError.ZERO),
    ("0m", DurationError.ZERO),
    ("0 awr", DurationError.ZERO),
    ("0h 0m", DurationError.ZERO),
    ("-0", DurationError.ZERO),
    # Negative, including a typographic minus sign.
    ("-2", DurationError.NEGATIVE),
    ("- 2", DurationError.NEGATIVE),
    ("-90m", DurationError.NEGATIVE),
    ("-1:30", DurationError.NEGATIVE),
    ("-0.01", DurationError.NEGATIVE),
    ("\u22122", DurationError.NEGATIVE),
    # Too long for one day.
    ("12.01", DurationError.TOO_LONG),
    ("13", DurationError.TOO_LONG),
    ("12:01", DurationError.TOO_LONG),
    ("721m", DurationError.TOO_LONG),
    ("721 munud", DurationError.TOO_LONG),
    ("13 awr", DurationError.TOO_LONG),
    ("12h 1m", DurationError.TOO_LONG),
    ("99999999999", DurationError.TOO_LONG),
    ("24 hours", DurationError.TOO_LONG),
    # Not a whole number of minutes.
    ("0.01", DurationError.NOT_WHOLE_MINUTES),
    ("0.001", DurationError.NOT_WHOLE_MINUTES),
    ("1.001", DurationError.NOT_WHOLE_MINUTES),
    ("90.5m", DurationError.NOT_WHOLE_MINUTES),
    ("0.5 min", DurationError.NOT_WHOLE_MINUTES),
    ("0.333 awr", DurationError.NOT_WHOLE_MINUTES),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_forms(text: str, reason: DurationError) -> None:
    assert parse_duration(text) is reason


def test_max_minutes_constant() -> None:
    assert MAX_MINUTES_PER_DAY == 720
    assert parse_duration(f"{MAX_MINUTES_PER_DAY}m") == MAX_MINUTES_PER_DAY
    assert parse_duration(f"{MAX_MINUTES_PER_DAY + 1}m") is DurationError.TOO_LONG


def test_decimal_hours_are_taken_literally() -> None:
    # Documented choice: "1.30" is 1.3 hours, not 1h30.
    assert parse_duration("1.30") == 78
    assert parse_duration("1:30") == 90


def test_non_string_input_is_unrecognised() -> None:
    assert parse_duration(None) is DurationError.UNRECOGNISED  # type: ignore[arg-type]
    assert parse_duration(2) is DurationError.UNRECOGNISED  # type: ignore[arg-type]


def test_error_reasons_are_stable() -> None:
    # Handlers key localised messages on these values.
    assert {e.name for e in DurationError} == {
        "EMPTY",
        "UNRECOGNISED",
        "ZERO",
        "NEGATIVE",
        "TOO_LONG",
        "NOT_WHOLE_MINUTES",
    }
