"""Table-driven tests for parse_time, parse_datetime and parse_time_range."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.parsing.dates import DateError, Prefer
from bot.parsing.moments import parse_datetime
from bot.parsing.times import parse_time, parse_time_range

TODAY = date(2026, 11, 25)  # a Wednesday

TIMES: list[tuple[str, time | DateError]] = [
    # 24-hour clock.
    ("14:00", time(14, 0)),
    ("14.00", time(14, 0)),
    ("9:05", time(9, 5)),
    ("09:05", time(9, 5)),
    ("00:00", time(0, 0)),
    ("0:30", time(0, 30)),
    ("23:59", time(23, 59)),
    (" 14:00 ", time(14, 0)),
    # 12-hour clock, English.
    ("2pm", time(14, 0)),
    ("2 pm", time(14, 0)),
    ("2PM", time(14, 0)),
    ("2.30pm", time(14, 30)),
    ("2:30pm", time(14, 30)),
    ("2:30 p.m.", time(14, 30)),
    ("2:30 p.m", time(14, 30)),
    ("2 P.M.", time(14, 0)),
    ("10am", time(10, 0)),
    ("10 a.m.", time(10, 0)),
    ("9.15am", time(9, 15)),
    ("12pm", time(12, 0)),
    ("12:30pm", time(12, 30)),
    ("12am", time(0, 0)),
    ("12:15am", time(0, 15)),
    ("11:59pm", time(23, 59)),
    ("noon", time(12, 0)),
    ("Midday", time(12, 0)),
    ("12 noon", time(12, 0)),
    ("midnight", time(0, 0)),
    # Welsh.
    ("hanner dydd", time(12, 0)),
    ("canol dydd", time(12, 0)),
    ("hanner nos", time(0, 0)),
    ("2yp", time(14, 0)),
    ("2 yp", time(14, 0)),
    ("2 y.p.", time(14, 0)),
    ("2.30yp", time(14, 30)),
    ("2 y prynhawn", time(14, 0)),
    ("2 yn y prynhawn", time(14, 0)),
    ("7yh", time(19, 0)),
    ("2 yh", time(14, 0)),
    ("7 y.h.", time(19, 0)),
    ("7 yr hwyr", time(19, 0)),
    ("10yb", time(10, 0)),
    ("10 y.b.", time(10, 0)),
    ("10 y bore", time(10, 0)),
    ("12yb", time(0, 0)),
    ("12yp", time(12, 0)),
    # Ambiguous or unrecognised.
    ("", DateError.EMPTY),
    ("  ", DateError.EMPTY),
    ("1400", DateError.UNRECOGNISED),
    ("14", DateError.UNRECOGNISED),
    ("2", DateError.UNRECOGNISED),
    ("14:5", DateError.UNRECOGNISED),
    ("14:000", DateError.UNRECOGNISED),
    ("140:00", DateError.UNRECOGNISED),
    ("2 o'clock", DateError.UNRECOGNISED),
    ("pm", DateError.UNRECOGNISED),
    ("afternoon", DateError.UNRECOGNISED),
    ("12yh", DateError.UNRECOGNISED),  # noon or midnight?
    ("\u0661\u0664:00", DateError.UNRECOGNISED),
    ("14:00\x07", DateError.UNRECOGNISED),
    # Impossible clock readings.
    ("25:00", DateError.IMPOSSIBLE),
    ("24:00", DateError.IMPOSSIBLE),
    ("14:61", DateError.IMPOSSIBLE),
    ("14.60", DateError.IMPOSSIBLE),
    ("99:99", DateError.IMPOSSIBLE),
    ("13pm", DateError.IMPOSSIBLE),
    ("0am", DateError.IMPOSSIBLE),
    ("14:00pm", DateError.IMPOSSIBLE),
    ("2:75pm", DateError.IMPOSSIBLE),
    ("13yp", DateError.IMPOSSIBLE),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_parse_time(text: str, expected: time | DateError) -> None:
    assert parse_time(text) == expected


DATETIMES: list[tuple[str, Prefer, datetime | DateError]] = [
    ("Wed 14:00", "future", datetime(2026, 11, 25, 14, 0)),
    ("Thu 14:00", "past", datetime(2026, 11, 19, 14, 0)),
    ("3/12 2pm", "future", datetime(2026, 12, 3, 14, 0)),
    ("3/12 2pm", "past", datetime(2025, 12, 3, 14, 0)),
    ("3 Dec 14.00", "future", datetime(2026, 12, 3, 14, 0)),
    ("3 Dec 2026 10 am", "past", datetime(2026, 12, 3, 10, 0)),
    ("dydd Mercher 2yp", "future", datetime(2026, 11, 25, 14, 0)),
    ("dydd Mercher am 2yp", "future", datetime(2026, 11, 25, 14, 0)),
    ("nos Wener 7yh", "future", datetime(2026, 11, 27, 19, 0)),
    ("3 Rhag 10yb", "future", datetime(2026, 12, 3, 10, 0)),
    ("3ydd o Ragfyr am 10 y.b.", "future", datetime(2026, 12, 3, 10, 0)),
    ("tomorrow 9am", "future", datetime(2026, 11, 26, 9, 0)),
    ("yfory 9yb", "future", datetime(2026, 11, 26, 9, 0)),
    ("ddoe 3.30yp", "future", datetime(2026, 11, 24, 15, 30)),
    ("today at noon", "future", datetime(2026, 11, 25, 12, 0)),
    ("heddiw hanner dydd", "past", datetime(2026, 11, 25, 12, 0)),
    ("Wed @ 10:30", "future", datetime(2026, 11, 25, 10, 30)),
    ("Wednesday 2nd December, 2:30 p.m.", "future", datetime(2026, 12, 2, 14, 30)),
    ("2026-12-03 14:00", "past", datetime(2026, 12, 3, 14, 0)),
    ("2026-12-03T14:00", "past", datetime(2026, 12, 3, 14, 0)),
    # Time first.
    ("14:00 Wed", "future", datetime(2026, 11, 25, 14, 0)),
    ("9am tomorrow", "future", datetime(2026, 11, 26, 9, 0)),
    ("2pm on 3 Dec", "future", datetime(2026, 12, 3, 14, 0)),
    ("2yp ddydd Mercher", "future", datetime(2026, 11, 25, 14, 0)),
    ("2yp ar ddydd Mercher", "future", datetime(2026, 11, 25, 14, 0)),
    ("10yb yfory", "future", datetime(2026, 11, 26, 10, 0)),
    # Missing time.
    ("Wed", "future", DateError.MISSING_TIME),
    ("3/12", "future", DateError.MISSING_TIME),
    ("yfory", "future", DateError.MISSING_TIME),
    ("dydd Mercher", "future", DateError.MISSING_TIME),
    ("Wed at", "future", DateError.MISSING_TIME),
    # Impossible parts.
    ("31/2 2pm", "future", DateError.IMPOSSIBLE),
    ("Wed 25:00", "future", DateError.IMPOSSIBLE),
    ("3/12 13pm", "future", DateError.IMPOSSIBLE),
    ("Thu 2 Dec 10am", "future", DateError.IMPOSSIBLE),
    ("31/2", "future", DateError.IMPOSSIBLE),
    # Unrecognised.
    ("", "future", DateError.EMPTY),
    ("2pm", "future", DateError.UNRECOGNISED),  # no date: not assumed to be today
    ("Wed 14", "future", DateError.UNRECOGNISED),
    ("Wed 1400", "future", DateError.UNRECOGNISED),
    ("soon", "future", DateError.UNRECOGNISED),
    ("Wed 2pm 3pm", "future", DateError.UNRECOGNISED),
]


@pytest.mark.parametrize(("text", "prefer", "expected"), DATETIMES)
def test_parse_datetime(text: str, prefer: Prefer, expected: datetime | DateError) -> None:
    result = parse_datetime(text, today=TODAY, prefer=prefer)
    assert result == expected
    if isinstance(result, datetime):
        assert result.tzinfo is None  # naive local wall time


RANGES: list[tuple[str, tuple[time, time] | DateError]] = [
    ("10:00-12:30", (time(10, 0), time(12, 30))),
    ("10:00 - 12:30", (time(10, 0), time(12, 30))),
    ("14:00 - 16:00", (time(14, 0), time(16, 0))),
    ("10am to 12.30pm", (time(10, 0), time(12, 30))),
    ("10am-12:30pm", (time(10, 0), time(12, 30))),
    ("2pm\u20134pm", (time(14, 0), time(16, 0))),  # en dash
    ("2pm \u2014 4pm", (time(14, 0), time(16, 0))),  # em dash
    ("from 9am until 5pm", (time(9, 0), time(17, 0))),
    ("9am till 5pm", (time(9, 0), time(17, 0))),
    ("10yb-1yp", (time(10, 0), time(13, 0))),
    ("10 y.b. - 1 y.p.", (time(10, 0), time(13, 0))),
    ("o 10yb i 1yp", (time(10, 0), time(13, 0))),
    ("10yb tan 1yp", (time(10, 0), time(13, 0))),
    ("6yh-9yh", (time(18, 0), time(21, 0))),
    ("noon-2pm", (time(12, 0), time(14, 0))),
    ("hanner dydd i 2yp", (time(12, 0), time(14, 0))),
    ("00:00-23:59", (time(0, 0), time(23, 59))),
    # One marker shared by both ends.
    ("2-4pm", (time(14, 0), time(16, 0))),
    ("2:30-4pm", (time(14, 30), time(16, 0))),
    ("9-11am", (time(9, 0), time(11, 0))),
    ("10-12pm", (time(10, 0), time(12, 0))),
    ("11-1pm", (time(11, 0), time(13, 0))),
    ("10-1yp", (time(10, 0), time(13, 0))),
    ("12-2pm", (time(12, 0), time(14, 0))),
    ("13:00-4pm", (time(13, 0), time(16, 0))),
    ("2pm-4", (time(14, 0), time(16, 0))),
    ("10am-1", (time(10, 0), time(13, 0))),
    ("10am-12:30", (time(10, 0), time(12, 30))),
    ("9am-17:00", (time(9, 0), time(17, 0))),
    # End not after start (no crossing midnight).
    ("16:00-14:00", DateError.END_BEFORE_START),
    ("14:00-14:00", DateError.END_BEFORE_START),
    ("4pm-2pm", DateError.END_BEFORE_START),
    ("10pm-2am", DateError.END_BEFORE_START),
    ("6pm-midnight", DateError.END_BEFORE_START),
    ("5-4am", DateError.END_BEFORE_START),
    ("2pm-1:30", DateError.END_BEFORE_START),
    # Bad ends.
    ("", DateError.EMPTY),
    ("10:00", DateError.UNRECOGNISED),
    ("10-12", DateError.UNRECOGNISED),
    ("10:00-", DateError.UNRECOGNISED),
    ("-12:00", DateError.UNRECOGNISED),
    ("10:00-11:00-12:00", DateError.UNRECOGNISED),
    ("1000-1200", DateError.UNRECOGNISED),
    ("12-2yh", DateError.UNRECOGNISED),
    ("10:00-25:00", DateError.IMPOSSIBLE),
    ("13pm-14pm", DateError.IMPOSSIBLE),
    ("10:61-11:00", DateError.IMPOSSIBLE),
]


@pytest.mark.parametrize(("text", "expected"), RANGES)
def test_parse_time_range(text: str, expected: tuple[time, time] | DateError) -> None:
    assert parse_time_range(text) == expected
