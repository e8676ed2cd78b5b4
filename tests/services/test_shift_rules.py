"""The shift rules without a database: the sign-up decision case by case, drafts,
weekly repetition across the clock changes, and DBS validity."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.db.models import ShiftStatus, SignupStatus
from bot.services.shift_rules import (
    CreateRefusal,
    ShiftFields,
    SignupFacts,
    SignupOutcome,
    add_years,
    check_shift_fields,
    dbs_check_valid_on,
    decide_signup,
    telegram_length,
    weekly_occurrences,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
START = NOW + timedelta(days=2)
END = START + timedelta(hours=2)

# A shift a registered member can book: every later case changes one fact.
BOOKABLE = SignupFacts(member_registered=True, shift_found=True, shift_status=ShiftStatus.OPEN,
                       starts_at=START, ends_at=END, existing=None, requires_dbs=False, dbs_valid=False,
                       collides=False, has_free_place=True)


# ----------------------------------------------------------------------------- decide_signup


@pytest.mark.parametrize("waitlist", [False, True])
def test_a_free_place_is_booked(waitlist: bool) -> None:
    assert decide_signup(BOOKABLE, NOW, waitlist=waitlist) is SignupOutcome.BOOKED


def test_a_full_shift_says_full_and_the_waitlist_takes_the_member() -> None:
    full = replace(BOOKABLE, has_free_place=False)
    assert decide_signup(full, NOW, waitlist=False) is SignupOutcome.FULL
    assert decide_signup(full, NOW, waitlist=True) is SignupOutcome.WAITLISTED


@pytest.mark.parametrize("waitlist", [False, True])
@pytest.mark.parametrize(("facts", "expected"), [
    (SignupFacts(member_registered=False, shift_found=True, shift_status=ShiftStatus.OPEN,
                 starts_at=START, ends_at=END), SignupOutcome.NOT_REGISTERED),
    (SignupFacts(member_registered=True, shift_found=False), SignupOutcome.NOT_FOUND),
    (replace(BOOKABLE, shift_status=ShiftStatus.CANCELLED), SignupOutcome.SHIFT_CANCELLED),
    (replace(BOOKABLE, starts_at=NOW - timedelta(hours=3), ends_at=NOW - timedelta(hours=1)),
     SignupOutcome.SHIFT_ENDED),
    (replace(BOOKABLE, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1)),
     SignupOutcome.SIGNUP_CLOSED),
    (replace(BOOKABLE, starts_at=NOW, ends_at=NOW + timedelta(hours=1)), SignupOutcome.SIGNUP_CLOSED),
    (replace(BOOKABLE, existing=SignupStatus.BOOKED), SignupOutcome.ALREADY_BOOKED),
    (replace(BOOKABLE, existing=SignupStatus.WAITLISTED), SignupOutcome.ALREADY_WAITLISTED),
    (replace(BOOKABLE, requires_dbs=True, dbs_valid=False), SignupOutcome.DBS_REQUIRED),
    (replace(BOOKABLE, collides=True), SignupOutcome.COLLIDES),
])
def test_each_refusal(facts: SignupFacts, expected: SignupOutcome, waitlist: bool) -> None:
    assert decide_signup(facts, NOW, waitlist=waitlist) is expected


def test_a_valid_dbs_check_lets_the_member_book() -> None:
    assert decide_signup(replace(BOOKABLE, requires_dbs=True, dbs_valid=True), NOW,
                         waitlist=False) is SignupOutcome.BOOKED


@pytest.mark.parametrize(("facts", "expected"), [
    # Not registered comes first: nothing about the shift is told to a stranger.
    (replace(BOOKABLE, member_registered=False, shift_status=ShiftStatus.CANCELLED), SignupOutcome.NOT_REGISTERED),
    # A cancelled shift is cancelled, even for someone who was booked on it.
    (replace(BOOKABLE, shift_status=ShiftStatus.CANCELLED, existing=SignupStatus.BOOKED),
     SignupOutcome.SHIFT_CANCELLED),
    # Someone already booked is told so, not that they lack a DBS check or collide.
    (replace(BOOKABLE, existing=SignupStatus.BOOKED, requires_dbs=True, collides=True,
             has_free_place=False), SignupOutcome.ALREADY_BOOKED),
    # DBS before collision before fullness: the reasons a member can act on first.
    (replace(BOOKABLE, requires_dbs=True, collides=True, has_free_place=False), SignupOutcome.DBS_REQUIRED),
    (replace(BOOKABLE, collides=True, has_free_place=False), SignupOutcome.COLLIDES),
])
def test_which_reason_wins(facts: SignupFacts, expected: SignupOutcome) -> None:
    assert decide_signup(facts, NOW, waitlist=False) is expected


def test_every_outcome_is_reachable() -> None:
    reached = set()
    cases = [BOOKABLE, replace(BOOKABLE, has_free_place=False)]
    for facts in cases + [
        SignupFacts(member_registered=False, shift_found=False),
        SignupFacts(member_registered=True, shift_found=False),
        replace(BOOKABLE, shift_status=ShiftStatus.CANCELLED),
        replace(BOOKABLE, starts_at=NOW - timedelta(hours=2), ends_at=NOW - timedelta(hours=1)),
        replace(BOOKABLE, starts_at=NOW - timedelta(hours=1)),
        replace(BOOKABLE, existing=SignupStatus.BOOKED), replace(BOOKABLE, existing=SignupStatus.WAITLISTED),
        replace(BOOKABLE, requires_dbs=True), replace(BOOKABLE, collides=True),
    ]:
        for waitlist in (False, True):
            reached.add(decide_signup(facts, NOW, waitlist=waitlist))
    assert reached == set(SignupOutcome)


# ----------------------------------------------------------------------------- DBS


@pytest.mark.parametrize(("checked_on", "on", "valid"), [
    (date(2023, 12, 10), date(2026, 12, 9), True),  # the day before the third anniversary
    (date(2023, 12, 10), date(2026, 12, 10), False),  # the anniversary itself: expired
    (date(2026, 12, 10), date(2026, 12, 9), False),  # made after the day in question
    (date(2026, 12, 10), date(2026, 12, 10), True),
    (date(2024, 2, 29), date(2027, 2, 28), True),  # a leap-day check lasts to 28 Feb...
    (date(2024, 2, 29), date(2027, 3, 1), False),  # ...and expires on 1 March
])
def test_dbs_validity(checked_on: date, on: date, valid: bool) -> None:
    assert dbs_check_valid_on(checked_on, on, 3) is valid


def test_add_years() -> None:
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 3, 1)


# ----------------------------------------------------------------------------- drafts

FIELDS = ShiftFields(venue="Hub", address="", latitude=None, longitude=None, starts_at=START, ends_at=END,
                     capacity=3, minimum=1, description_en="", description_cy="")


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, None),
    ({"capacity": 0}, CreateRefusal.CAPACITY_OUT_OF_RANGE),
    ({"capacity": 501, "minimum": 1}, CreateRefusal.CAPACITY_OUT_OF_RANGE),
    ({"capacity": 500}, None),
    ({"minimum": 0}, CreateRefusal.MINIMUM_BELOW_ONE),
    ({"minimum": 4}, CreateRefusal.MINIMUM_ABOVE_CAPACITY),
    ({"minimum": 3}, None),
    ({"starts_at": NOW, "ends_at": NOW + timedelta(hours=1)}, CreateRefusal.IN_PAST),
    ({"ends_at": START}, CreateRefusal.ENDS_BEFORE_START),
    ({"ends_at": START - timedelta(hours=1)}, CreateRefusal.ENDS_BEFORE_START),
    ({"ends_at": START + timedelta(hours=12, minutes=1)}, CreateRefusal.TOO_LONG),
    ({"ends_at": START + timedelta(hours=12)}, None),
    ({"venue": "   "}, CreateRefusal.VENUE_MISSING),
    ({"venue": "v" * 161}, CreateRefusal.VENUE_TOO_LONG),
    ({"address": "a" * 301}, CreateRefusal.ADDRESS_TOO_LONG),
    ({"latitude": 51.48}, CreateRefusal.LOCATION_INVALID),
    ({"latitude": 91.0, "longitude": -3.16}, CreateRefusal.LOCATION_INVALID),
    ({"latitude": 51.48, "longitude": -3.16}, None),
    ({"description_cy": "ŵ" * 3000}, None),
    ({"description_cy": "ŵ" * 3001}, CreateRefusal.DESCRIPTION_TOO_LONG),
    ({"description_en": "a" * 2999 + "🙂"}, CreateRefusal.DESCRIPTION_TOO_LONG),  # an emoji counts two
])
def test_check_shift_fields(changes: dict, expected: CreateRefusal | None) -> None:
    assert check_shift_fields(replace(FIELDS, **changes), NOW) is expected


def test_naive_times_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_shift_fields(replace(FIELDS, starts_at=START.replace(tzinfo=None)), NOW)


def test_telegram_counts_utf16_units() -> None:
    assert telegram_length("Sblot") == 5
    assert telegram_length("ŵŷ") == 2
    assert telegram_length("🙂") == 2


# ----------------------------------------------------------------------------- weekly repetition


def _local(values: list[tuple[datetime, datetime]]) -> list[tuple[str, str]]:
    return [(s.astimezone(LONDON).strftime("%a %d %b %H:%M"), e.astimezone(LONDON).strftime("%H:%M"))
            for s, e in values]


def test_repeats_keep_ten_oclock_when_the_clocks_go_back() -> None:
    # Sat 17 Oct 2026, 10:00-12:00 BST; clocks go back on Sun 25 Oct 2026.
    start = datetime(2026, 10, 17, 10, tzinfo=LONDON).astimezone(timezone.utc)
    occurrences = weekly_occurrences(start, start + timedelta(hours=2), 3, LONDON)
    assert not isinstance(occurrences, CreateRefusal)
    assert _local(occurrences) == [("Sat 17 Oct 10:00", "12:00"), ("Sat 24 Oct 10:00", "12:00"),
                                   ("Sat 31 Oct 10:00", "12:00")]
    assert [s.hour for s, _ in occurrences] == [9, 9, 10]  # UTC: BST, BST, GMT
    assert all(s.tzinfo == timezone.utc for s, _ in occurrences)


def test_repeats_keep_ten_oclock_when_the_clocks_go_forward() -> None:
    # Mon 23 Mar 2026 10:00 GMT; clocks go forward on Sun 29 Mar 2026.
    start = datetime(2026, 3, 23, 10, tzinfo=LONDON).astimezone(timezone.utc)
    occurrences = weekly_occurrences(start, start + timedelta(hours=2), 2, LONDON)
    assert not isinstance(occurrences, CreateRefusal)
    assert _local(occurrences) == [("Mon 23 Mar 10:00", "12:00"), ("Mon 30 Mar 10:00", "12:00")]
    assert [s.hour for s, _ in occurrences] == [10, 9]


def test_an_overnight_shift_over_the_change_keeps_its_wall_times() -> None:
    # Sat 17 Oct 22:00 to Sun 02:00 BST; a week later the night is an hour longer.
    start = datetime(2026, 10, 17, 22, tzinfo=LONDON).astimezone(timezone.utc)
    occurrences = weekly_occurrences(start, start + timedelta(hours=4), 2, LONDON)
    assert not isinstance(occurrences, CreateRefusal)
    assert _local(occurrences) == [("Sat 17 Oct 22:00", "02:00"), ("Sat 24 Oct 22:00", "02:00")]
    assert occurrences[1][1] - occurrences[1][0] == timedelta(hours=5)


def test_a_repeat_in_the_skipped_hour_is_refused() -> None:
    # Sun 22 Mar 2026 01:30 GMT; 29 Mar 01:30 does not exist in London.
    start = datetime(2026, 3, 22, 1, 30, tzinfo=LONDON).astimezone(timezone.utc)
    assert weekly_occurrences(start, start + timedelta(hours=2), 2, LONDON) is CreateRefusal.NONEXISTENT_LOCAL_TIME


@pytest.mark.parametrize(("weeks", "ok"), [(0, False), (1, True), (26, True), (27, False)])
def test_repeat_range(weeks: int, ok: bool) -> None:
    result = weekly_occurrences(START, END, weeks, LONDON)
    if ok:
        assert isinstance(result, list) and len(result) == weeks
    else:
        assert result is CreateRefusal.REPEAT_OUT_OF_RANGE


def test_week_filters_in_local_dates() -> None:
    from datetime import date

    from bot.services.shift_rules import week_range

    wednesday = date(2026, 12, 9)
    assert week_range(wednesday, "week") == (wednesday, date(2026, 12, 13))
    assert week_range(wednesday, "next") == (date(2026, 12, 14), date(2026, 12, 20))
    sunday = date(2026, 12, 13)
    assert week_range(sunday, "week") == (sunday, sunday)
    assert week_range(sunday, "next") == (date(2026, 12, 14), date(2026, 12, 20))
    assert week_range(wednesday, "all") == (None, None)
