"""local_to_utc across the Europe/London clock changes of 2026 and 2027."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parsing.dates import DateError
from bot.parsing.moments import local_to_utc

LONDON = ZoneInfo("Europe/London")

CASES: list[tuple[datetime, datetime | DateError]] = [
    # Ordinary winter and summer days.
    (datetime(2026, 1, 15, 9, 0), datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),
    (datetime(2026, 7, 15, 9, 0), datetime(2026, 7, 15, 8, 0, tzinfo=UTC)),
    # 2026-03-29: clocks go forward at 01:00 GMT to 02:00 BST.
    (datetime(2026, 3, 28, 12, 0), datetime(2026, 3, 28, 12, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
    (datetime(2026, 3, 29, 1, 0), DateError.NONEXISTENT_TIME),
    (datetime(2026, 3, 29, 1, 30), DateError.NONEXISTENT_TIME),
    (datetime(2026, 3, 29, 1, 59, 59), DateError.NONEXISTENT_TIME),
    (datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 12, 0), datetime(2026, 3, 29, 11, 0, tzinfo=UTC)),
    (datetime(2026, 3, 30, 1, 30), datetime(2026, 3, 30, 0, 30, tzinfo=UTC)),
    # 2026-10-25: clocks go back at 02:00 BST to 01:00 GMT; 01:xx happens
    # twice and the first (BST) occurrence is chosen.
    (datetime(2026, 10, 24, 12, 0), datetime(2026, 10, 24, 11, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 0, 59), datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
    (datetime(2026, 10, 25, 1, 0), datetime(2026, 10, 25, 0, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    (datetime(2026, 10, 25, 1, 59), datetime(2026, 10, 25, 0, 59, tzinfo=UTC)),
    (datetime(2026, 10, 25, 2, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 12, 0), datetime(2026, 10, 25, 12, 0, tzinfo=UTC)),
    # 2027-03-28 forward, 2027-10-31 back.
    (datetime(2027, 3, 28, 0, 30), datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
    (datetime(2027, 3, 28, 1, 15), DateError.NONEXISTENT_TIME),
    (datetime(2027, 3, 28, 2, 15), datetime(2027, 3, 28, 1, 15, tzinfo=UTC)),
    (datetime(2027, 3, 29, 1, 15), datetime(2027, 3, 29, 0, 15, tzinfo=UTC)),
    (datetime(2027, 10, 31, 0, 30), datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),
    (datetime(2027, 10, 31, 1, 15), datetime(2027, 10, 31, 0, 15, tzinfo=UTC)),
    (datetime(2027, 10, 31, 2, 15), datetime(2027, 10, 31, 2, 15, tzinfo=UTC)),
    # The week before each change is unaffected at 01:30.
    (datetime(2026, 3, 22, 1, 30), datetime(2026, 3, 22, 1, 30, tzinfo=UTC)),
    (datetime(2027, 10, 24, 1, 30), datetime(2027, 10, 24, 0, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("local", "expected"), CASES)
def test_local_to_utc(local: datetime, expected: datetime | DateError) -> None:
    result = local_to_utc(local, LONDON)
    assert result == expected
    if isinstance(result, datetime):
        assert result.utcoffset() is not None and result.utcoffset().total_seconds() == 0
        assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "local", [datetime(2026, 10, 25, 1, 30, fold=0), datetime(2026, 10, 25, 1, 30, fold=1)]
)
def test_ambiguous_time_ignores_fold_and_takes_first_occurrence(local: datetime) -> None:
    assert local_to_utc(local, LONDON) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_other_zones_use_their_own_rules() -> None:
    new_york = ZoneInfo("America/New_York")
    assert local_to_utc(datetime(2026, 3, 8, 2, 30), new_york) is DateError.NONEXISTENT_TIME
    assert local_to_utc(datetime(2026, 3, 8, 3, 30), new_york) == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )


def test_aware_input_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        local_to_utc(datetime(2026, 1, 1, 9, 0, tzinfo=UTC), LONDON)


@pytest.mark.parametrize("local", [datetime.min, datetime.max])
def test_extremes_do_not_raise(local: datetime) -> None:
    result = local_to_utc(local, LONDON)
    assert isinstance(result, (datetime, DateError))
