"""One answer to "which day?": a day, a day and a start, or a day and a time range."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing.dates import DateError
from bot.parsing.moments import DayAndTimes, parse_day_and_times

TODAY = dt.date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize(("text", "expected"), [
    ("12/12", DayAndTimes(dt.date(2026, 12, 12))),
    ("Sat 12 Dec", DayAndTimes(dt.date(2026, 12, 12))),
    ("dydd Mercher", DayAndTimes(dt.date(2026, 12, 9))),
    ("Wed 14:00", DayAndTimes(dt.date(2026, 12, 9), dt.time(14))),
    ("dydd Mercher 2yp", DayAndTimes(dt.date(2026, 12, 9), dt.time(14))),
    ("3 Rhag 10yb", DayAndTimes(dt.date(2027, 12, 3), dt.time(10))),
    ("12/12 10:00-12:30", DayAndTimes(dt.date(2026, 12, 12), dt.time(10), dt.time(12, 30))),
    ("Sat 12 Dec 10am to 12.30pm", DayAndTimes(dt.date(2026, 12, 12), dt.time(10), dt.time(12, 30))),
    ("dydd Sadwrn 10yb-1yp", DayAndTimes(dt.date(2026, 12, 12), dt.time(10), dt.time(13))),
])
def test_forms(text: str, expected: DayAndTimes) -> None:
    assert parse_day_and_times(text, today=TODAY, prefer="future") == expected


@pytest.mark.parametrize(("text", "error"), [
    ("", DateError.EMPTY),
    ("next blue moon", DateError.UNRECOGNISED),
    ("31/2", DateError.IMPOSSIBLE),
    ("31/2 10:00-12:00", DateError.IMPOSSIBLE),
    ("12/12 2pm-1pm", DateError.END_BEFORE_START),
])
def test_refusals(text: str, error: DateError) -> None:
    assert parse_day_and_times(text, today=TODAY, prefer="future") is error


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_never_raises(text: str) -> None:
    result = parse_day_and_times(text, today=TODAY, prefer="future")
    assert isinstance(result, (DayAndTimes, DateError))
