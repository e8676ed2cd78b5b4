"""The rules about shifts that need no database: one function per decision.

`bot.services.shifts` gathers the facts in a transaction and asks here; these
functions are tested case by case without a database (as Engelsystem decides its
ShiftSignupStatus in one place).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.db.models import ShiftStatus, SignupStatus
from bot.parsing.dates import DateError
from bot.parsing.moments import local_to_utc

# ----------------------------------------------------------------------------- limits

CAPACITY_MIN = 1
CAPACITY_MAX = 500  # the same as the database CHECK on shift.capacity
REPEAT_WEEKS_MIN = 1
REPEAT_WEEKS_MAX = 26
# Each language's description; with the rest of a card it stays within Telegram's
# 4096-character message limit (counted in UTF-16 code units, as Telegram counts).
DESCRIPTION_MAX_CHARS = 3000
VENUE_MAX_CHARS = 160  # shift.venue is String(160)
ADDRESS_MAX_CHARS = 300  # shift.address is String(300)
# Longer is a typing mistake; the same twelve hours a day that logging hours allows
# (bot.services.hour_rules.MAX_MINUTES_PER_DAY), since attendance credits the whole shift.
SHIFT_MAX_DURATION = timedelta(hours=12)
MINIMUM_MIN = 1


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts as two)."""
    return len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------- sign-ups

# A sign-up that holds (or waits for) a place; a member has at most one per shift.
LIVE_SIGNUP = (SignupStatus.BOOKED, SignupStatus.WAITLISTED)


class SignupOutcome(enum.StrEnum):
    """What `sign_up` / `join_waitlist` did, or why not."""

    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    ALREADY_BOOKED = "already_booked"
    ALREADY_WAITLISTED = "already_waitlisted"
    FULL = "full"  # sign_up only: no free place; the handler offers join_waitlist
    COLLIDES = "collides"  # overlaps a shift the member is booked on
    DBS_REQUIRED = "dbs_required"  # no DBS check valid on the shift's (local) date
    SIGNUP_CLOSED = "signup_closed"  # the shift has started
    SHIFT_ENDED = "shift_ended"
    SHIFT_CANCELLED = "shift_cancelled"
    NOT_FOUND = "not_found"
    NOT_REGISTERED = "not_registered"


@dataclass(frozen=True)
class SignupFacts:
    """Everything the sign-up decision depends on, read in the booking transaction."""

    member_registered: bool
    shift_found: bool
    shift_status: ShiftStatus | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    existing: SignupStatus | None = None  # the member's live sign-up on this shift
    requires_dbs: bool = False
    dbs_valid: bool = False  # on the shift's local date
    collides: bool = False
    has_free_place: bool = False


def decide_signup(facts: SignupFacts, now: datetime, *, waitlist: bool) -> SignupOutcome:
    """The one place that decides a sign-up.

    `waitlist=False` is "sign me up": a free place gives BOOKED, none gives FULL.
    `waitlist=True` is "put me on the waitlist": no free place gives WAITLISTED, and a
    place that came free meanwhile gives BOOKED (nobody should wait for a free place).
    The order of the checks is the order of the tests in test_shift_rules.py.
    """
    if not facts.member_registered:
        return SignupOutcome.NOT_REGISTERED
    if not facts.shift_found or facts.starts_at is None or facts.ends_at is None:
        return SignupOutcome.NOT_FOUND
    if facts.shift_status is ShiftStatus.CANCELLED:
        return SignupOutcome.SHIFT_CANCELLED
    if now >= facts.ends_at:
        return SignupOutcome.SHIFT_ENDED
    if now >= facts.starts_at:
        return SignupOutcome.SIGNUP_CLOSED
    if facts.existing is SignupStatus.BOOKED:
        return SignupOutcome.ALREADY_BOOKED
    if facts.existing is SignupStatus.WAITLISTED:
        return SignupOutcome.ALREADY_WAITLISTED
    if facts.requires_dbs and not facts.dbs_valid:
        return SignupOutcome.DBS_REQUIRED
    if facts.collides:
        return SignupOutcome.COLLIDES
    if facts.has_free_place:
        return SignupOutcome.BOOKED
    return SignupOutcome.WAITLISTED if waitlist else SignupOutcome.FULL


# ----------------------------------------------------------------------------- DBS


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def dbs_check_valid_on(checked_on: date, on: date, valid_years: int) -> bool:
    """A check is valid from the day it was made until (not including) its anniversary
    `valid_years` later: checked_on <= on < checked_on + valid_years."""
    return checked_on <= on < add_years(checked_on, valid_years)


# ----------------------------------------------------------------------------- drafts


class CreateRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"  # not a coordinator of draft.organisation_id (or no such one)
    UNKNOWN_ACTIVITY_TYPE = "unknown_activity_type"
    UNKNOWN_NEIGHBOURHOOD = "unknown_neighbourhood"
    CAPACITY_OUT_OF_RANGE = "capacity_out_of_range"  # outside 1..500
    MINIMUM_BELOW_ONE = "minimum_below_one"
    MINIMUM_ABOVE_CAPACITY = "minimum_above_capacity"
    IN_PAST = "in_past"  # starts at or before now
    ENDS_BEFORE_START = "ends_before_start"  # ends at or before it starts
    TOO_LONG = "too_long"  # more than 12 hours
    DESCRIPTION_TOO_LONG = "description_too_long"  # over 3000 (UTF-16 units) in either language
    VENUE_MISSING = "venue_missing"
    VENUE_TOO_LONG = "venue_too_long"  # over 160
    ADDRESS_TOO_LONG = "address_too_long"  # over 300
    LOCATION_INVALID = "location_invalid"  # only one of lat/long, or out of range
    REPEAT_OUT_OF_RANGE = "repeat_out_of_range"  # outside 1..26
    # A weekly repeat lands on a wall time that does not exist (the hour skipped when
    # the clocks go forward), so "the same local time" cannot be kept.
    NONEXISTENT_LOCAL_TIME = "nonexistent_local_time"


# One function per field, so a dialogue step refuses exactly what Create would refuse
# (handlers call these at the step; `check_shift_fields` calls them all at the end).


def capacity_refusal(capacity: int) -> CreateRefusal | None:
    return None if CAPACITY_MIN <= capacity <= CAPACITY_MAX else CreateRefusal.CAPACITY_OUT_OF_RANGE


def venue_refusal(venue: str) -> CreateRefusal | None:
    """The venue as typed (surrounding spaces are not counted: they are stripped on save)."""
    venue = venue.strip()
    if not venue:
        return CreateRefusal.VENUE_MISSING
    return CreateRefusal.VENUE_TOO_LONG if len(venue) > VENUE_MAX_CHARS else None


def address_refusal(address: str) -> CreateRefusal | None:
    return CreateRefusal.ADDRESS_TOO_LONG if len(address.strip()) > ADDRESS_MAX_CHARS else None


def description_refusal(description: str) -> CreateRefusal | None:
    """Counted in UTF-16 code units, as Telegram counts: a long line of emoji is refused
    here, at the step, not only when the card would be too long to send."""
    return CreateRefusal.DESCRIPTION_TOO_LONG if telegram_length(description) > DESCRIPTION_MAX_CHARS else None


def repeat_weeks_refusal(weeks: int) -> CreateRefusal | None:
    return None if REPEAT_WEEKS_MIN <= weeks <= REPEAT_WEEKS_MAX else CreateRefusal.REPEAT_OUT_OF_RANGE


@dataclass(frozen=True)
class ShiftFields:
    """The editable content of a shift, as checked by `check_shift_fields`."""

    venue: str
    address: str
    latitude: float | None
    longitude: float | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    minimum: int
    description_en: str
    description_cy: str


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        # The caller converts London wall times; a naive time here is a bug, not input.
        raise ValueError(f"{name} must be an aware datetime (UTC), not naive")


def check_shift_fields(fields: ShiftFields, now: datetime) -> CreateRefusal | None:
    """The checks shared by creating and editing a shift; None when all pass."""
    require_aware(fields.starts_at, "starts_at")
    require_aware(fields.ends_at, "ends_at")
    if refusal := capacity_refusal(fields.capacity):
        return refusal
    if fields.minimum < MINIMUM_MIN:
        return CreateRefusal.MINIMUM_BELOW_ONE
    if fields.minimum > fields.capacity:
        return CreateRefusal.MINIMUM_ABOVE_CAPACITY
    if fields.starts_at <= now:
        return CreateRefusal.IN_PAST
    if fields.ends_at <= fields.starts_at:
        return CreateRefusal.ENDS_BEFORE_START
    if fields.ends_at - fields.starts_at > SHIFT_MAX_DURATION:
        return CreateRefusal.TOO_LONG
    if refusal := venue_refusal(fields.venue) or address_refusal(fields.address):
        return refusal
    if (fields.latitude is None) != (fields.longitude is None):
        return CreateRefusal.LOCATION_INVALID
    if fields.latitude is not None and fields.longitude is not None and not (
            -90 <= fields.latitude <= 90 and -180 <= fields.longitude <= 180):
        return CreateRefusal.LOCATION_INVALID
    return description_refusal(fields.description_en) or description_refusal(fields.description_cy)


def weekly_occurrences(starts_at: datetime, ends_at: datetime, weeks: int,
                       tz: ZoneInfo) -> list[tuple[datetime, datetime]] | CreateRefusal:
    """The first shift and its weekly repeats, each at the same *local* wall time.

    Each week is computed in `tz` (Europe/London) and converted to UTC, so a shift at
    10:00 stays at 10:00 London time after the clocks change (09:00Z in summer,
    10:00Z in winter) rather than drifting by an hour.
    """
    if refusal := repeat_weeks_refusal(weeks):
        return refusal
    local_start = starts_at.astimezone(tz).replace(tzinfo=None)
    local_end = ends_at.astimezone(tz).replace(tzinfo=None)
    occurrences: list[tuple[datetime, datetime]] = []
    for week in range(weeks):
        if week == 0:
            occurrences.append((starts_at.astimezone(UTC), ends_at.astimezone(UTC)))
            continue
        start = local_to_utc(local_start + timedelta(weeks=week), tz)
        end = local_to_utc(local_end + timedelta(weeks=week), tz)
        if isinstance(start, DateError) or isinstance(end, DateError):
            return CreateRefusal.NONEXISTENT_LOCAL_TIME
        if end <= start:  # only for a shift inside the hour repeated when the clocks go back
            return CreateRefusal.ENDS_BEFORE_START
        occurrences.append((start, end))
    return occurrences


def week_range(today: date, when: str) -> tuple[date | None, date | None]:
    """The local dates a "when" filter of /shifts covers: "week" is today to Sunday,
    "next" is the Monday to Sunday after it, anything else is no limit."""
    if when == "week":
        return today, today + timedelta(days=6 - today.weekday())
    if when == "next":
        monday = today + timedelta(days=7 - today.weekday())
        return monday, monday + timedelta(days=6)
    return None, None
