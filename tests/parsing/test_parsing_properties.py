"""Property-based tests: the parsers never raise, and round-trip what they print."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing.dates import DateError, parse_date
from bot.parsing.moments import local_to_utc, parse_datetime
from bot.parsing.times import parse_time, parse_time_range
from bot.parsing.durations import MAX_MINUTES_PER_DAY, DurationError, parse_duration

# Fast enough for every run; no example database so nothing is written
# outside the test tree.
FAST = settings(max_examples=200, deadline=None, database=None)

PREFERS = st.sampled_from(["past", "future"])
ANY_DAY = st.dates()
MINUTES = st.integers(min_value=1, max_value=MAX_MINUTES_PER_DAY)
WHOLE_MINUTE_TIMES = st.times().map(lambda t: t.replace(second=0, microsecond=0))

# Text drawn from the characters the grammars care about finds far more
# edge cases than arbitrary Unicode does.
GRAMMAR_TEXT = st.lists(
    st.sampled_from(list("0123456789 .,:/-hmapyb") + ["awr", "munud", "dydd ", "pm", "\u2013"]),
    max_size=20,
).map("".join)
DATE_WORDS = st.sampled_from(
    ["Wed", "dydd", "Mawrth", "3", "12", "/", "29", "2", "Rhag", "o", "am", "at", "2pm",
     "14:00", "yfory", "-", "10yb", "to", "i", "Dec", "2026", "3rd", "noon", "nos", "Fercher"]
)  # fmt: skip
DATE_TEXT = st.lists(DATE_WORDS, max_size=6).map(" ".join)


# --- never raises ---------------------------------------------------------


@FAST
@given(st.one_of(st.text(), GRAMMAR_TEXT))
def test_parse_duration_never_raises(text: str) -> None:
    result = parse_duration(text)
    assert isinstance(result, DurationError) or (
        type(result) is int and 1 <= result <= MAX_MINUTES_PER_DAY
    )


@FAST
@given(st.one_of(st.text(), GRAMMAR_TEXT, DATE_TEXT), ANY_DAY, PREFERS)
def test_parse_date_never_raises(text: str, today: date, prefer: str) -> None:
    result = parse_date(text, today=today, prefer=prefer)  # type: ignore[arg-type]
    assert isinstance(result, (date, DateError))


@FAST
@given(st.one_of(st.text(), GRAMMAR_TEXT, DATE_TEXT))
def test_parse_time_never_raises(text: str) -> None:
    assert isinstance(parse_time(text), (time, DateError))


@FAST
@given(st.one_of(st.text(), GRAMMAR_TEXT, DATE_TEXT), ANY_DAY, PREFERS)
def test_parse_datetime_never_raises(text: str, today: date, prefer: str) -> None:
    result = parse_datetime(text, today=today, prefer=prefer)  # type: ignore[arg-type]
    assert isinstance(result, (datetime, DateError))


@FAST
@given(st.one_of(st.text(), GRAMMAR_TEXT, DATE_TEXT))
def test_parse_time_range_never_raises(text: str) -> None:
    result = parse_time_range(text)
    if isinstance(result, tuple):
        start, end = result
        assert isinstance(start, time) and isinstance(end, time) and start < end
    else:
        assert isinstance(result, DateError)


# --- durations round-trip -------------------------------------------------


@FAST
@given(MINUTES)
def test_minutes_with_unit_round_trip(minutes: int) -> None:
    assert parse_duration(f"{minutes}m") == minutes
    assert parse_duration(f"{minutes} munud") == minutes


@FAST
@given(MINUTES)
def test_colon_form_round_trips(minutes: int) -> None:
    hours, rest = divmod(minutes, 60)
    assert parse_duration(f"{hours}:{rest:02d}") == minutes
    if rest:
        assert parse_duration(f"{hours}h{rest}") == minutes
        assert parse_duration(f"{hours} awr {rest} munud") == minutes


@FAST
@given(st.integers(min_value=MAX_MINUTES_PER_DAY + 1, max_value=10**12))
def test_more_than_a_day_is_too_long(minutes: int) -> None:
    assert parse_duration(f"{minutes}m") is DurationError.TOO_LONG


@FAST
@given(st.integers(min_value=1, max_value=10**6))
def test_negative_minutes_are_negative(minutes: int) -> None:
    assert parse_duration(f"-{minutes}m") is DurationError.NEGATIVE


# --- dates round-trip -----------------------------------------------------


@FAST
@given(st.dates(min_value=date(1000, 1, 1)), ANY_DAY, PREFERS)
def test_strftime_date_round_trips(d: date, today: date, prefer: str) -> None:
    # %Y is not zero-padded below year 1000 on glibc, hence the lower bound.
    assert parse_date(d.strftime("%d/%m/%Y"), today=today, prefer=prefer) == d  # type: ignore[arg-type]


@FAST
@given(st.dates(), ANY_DAY, PREFERS)
def test_padded_and_iso_dates_round_trip(d: date, today: date, prefer: str) -> None:
    padded = f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    assert parse_date(padded, today=today, prefer=prefer) == d  # type: ignore[arg-type]
    assert parse_date(d.isoformat(), today=today, prefer=prefer) == d  # type: ignore[arg-type]


@FAST
@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)), PREFERS)
def test_day_month_lands_nearest_in_the_preferred_direction(today: date, prefer: str) -> None:
    # Every day/month of a leap year, resolved relative to `today`.
    for offset in range(0, 366, 7):
        target = date(2028, 1, 1) + timedelta(days=offset)
        result = parse_date(f"{target.day}/{target.month}", today=today, prefer=prefer)  # type: ignore[arg-type]
        if isinstance(result, DateError):
            # Only 29 Feb may be missing, and only near the end of time.
            assert (target.day, target.month) == (29, 2)
            continue
        assert (result.day, result.month) == (target.day, target.month)
        if prefer == "future":
            assert result >= today
        else:
            assert result <= today
        if (target.day, target.month) != (29, 2):
            assert abs(result - today) < timedelta(days=366)


@FAST
@given(ANY_DAY, PREFERS, st.sampled_from(
    [("mon", 0), ("Tuesday", 1), ("dydd Mercher", 2), ("ddydd Iau", 3),
     ("nos Wener", 4), ("Sat", 5), ("Sul", 6), ("Mawrth", 1)]
))  # fmt: skip
def test_weekday_is_within_a_week_in_the_preferred_direction(
    today: date, prefer: str, name_and_weekday: tuple[str, int]
) -> None:
    name, weekday = name_and_weekday
    result = parse_date(name, today=today, prefer=prefer)  # type: ignore[arg-type]
    if isinstance(result, DateError):
        assert result is DateError.IMPOSSIBLE  # only off the end of the calendar
        assert today > date.max - timedelta(days=7) or today < date.min + timedelta(days=7)
        return
    assert result.weekday() == weekday
    delta = (result - today).days
    assert 0 <= delta <= 6 if prefer == "future" else -6 <= delta <= 0


# --- times round-trip -----------------------------------------------------


@FAST
@given(WHOLE_MINUTE_TIMES)
def test_time_round_trips(t: time) -> None:
    assert parse_time(t.strftime("%H:%M")) == t
    assert parse_time(t.strftime("%H.%M")) == t
    assert parse_time(f"{t.hour}:{t.minute:02d}") == t


@FAST
@given(WHOLE_MINUTE_TIMES)
def test_twelve_hour_round_trips(t: time) -> None:
    hour12 = t.hour % 12 or 12
    english = "am" if t.hour < 12 else "pm"
    welsh = "yb" if t.hour < 12 else "yp"
    assert parse_time(f"{hour12}:{t.minute:02d}{english}") == t
    assert parse_time(f"{hour12}.{t.minute:02d} {welsh}") == t


@FAST
@given(st.integers(min_value=24, max_value=99), st.integers(min_value=0, max_value=99))
def test_out_of_range_clock_is_impossible(hour: int, minute: int) -> None:
    assert parse_time(f"{hour}:{minute:02d}") is DateError.IMPOSSIBLE


@FAST
@given(st.dates(min_value=date(1000, 1, 1)), WHOLE_MINUTE_TIMES, ANY_DAY, PREFERS)
def test_datetime_round_trips(d: date, t: time, today: date, prefer: str) -> None:
    expected = datetime.combine(d, t)
    for text in (f"{d:%d/%m/%Y} {t:%H:%M}", f"{t:%H.%M} {d:%d/%m/%Y}", f"{d.isoformat()}T{t:%H:%M}"):
        assert parse_datetime(text, today=today, prefer=prefer) == expected  # type: ignore[arg-type]


@FAST
@given(WHOLE_MINUTE_TIMES, WHOLE_MINUTE_TIMES)
def test_time_range_round_trips(a: time, b: time) -> None:
    result = parse_time_range(f"{a:%H:%M}-{b:%H:%M}")
    if a < b:
        assert result == (a, b)
    else:
        assert result is DateError.END_BEFORE_START


# --- local_to_utc ---------------------------------------------------------

LONDON = ZoneInfo("Europe/London")


@FAST
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_local_to_utc_round_trips_or_is_in_the_spring_gap(local: datetime) -> None:
    result = local_to_utc(local, LONDON)
    if isinstance(result, DateError):
        assert result is DateError.NONEXISTENT_TIME
        # The gap: 01:xx on the last Sunday of March.
        assert (local.month, local.hour, local.weekday()) == (3, 1, 6)
        assert local.day + 7 > 31
    else:
        assert result.tzinfo is UTC
        assert result.astimezone(LONDON).replace(tzinfo=None) == local
        assert abs(result.replace(tzinfo=None) - local) <= timedelta(hours=1)
