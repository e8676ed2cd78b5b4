"""The rules about logging and crediting hours that need no database: one function per decision.

`hours`, `group_credit` and `people` gather the facts in a transaction and ask here;
these functions are tested case by case. One hour given is one hour earned, whatever
the work.

* `log_refusal` decides whether an entry may be logged (LogRefusal).
* `decision_refusal` decides whether a coordinator may approve or reject an entry:
  only a coordinator of that entry's organisation, never for their own hours, and only
  while it is pending.
* `group_credit_refusal` decides a coordinator's crediting of a whole group activity.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from bot.db.models import TimeEntryStatus

# Twelve hours: more in one day is almost certainly a typo (the parser refuses it too).
from bot.parsing.durations import MAX_MINUTES_PER_DAY

NOTE_MAX = 500
REASON_MAX = 500
IDEMPOTENCY_KEY_MAX = 120

# Entries that count towards a day's total (a rejected one does not).
LIVE_ENTRY = (TimeEntryStatus.PENDING, TimeEntryStatus.APPROVED)


# --------------------------------------------------------------------------- refusals


class LogRefusal(enum.StrEnum):
    NOT_REGISTERED = "not_registered"  # the member (or the submitter) is unknown, unregistered or erased
    UNKNOWN_ORGANISATION = "unknown_organisation"
    UNKNOWN_ACTIVITY = "unknown_activity"
    NOT_ALLOWED = "not_allowed"  # submitted for someone else by a non-coordinator of the organisation
    ZERO = "zero"  # no minutes (or a negative number)
    NOTE_TOO_LONG = "note_too_long"  # more than NOTE_MAX characters
    IN_FUTURE = "in_future"  # after today in Europe/London
    TOO_OLD = "too_old"  # before today minus hours.log_window_days
    TOO_LONG_FOR_ONE_DAY = "too_long_for_one_day"  # with the day's pending/approved entries > 720 minutes


class DecisionOutcome(enum.StrEnum):
    """The answer to approve() and reject() (they share every check)."""

    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_FOUND = "not_found"
    NOT_COORDINATOR = "not_coordinator"  # not a coordinator of this entry's organisation
    OWN_ENTRY = "own_entry"  # nobody decides on their own hours
    ALREADY_DECIDED = "already_decided"
    REASON_MISSING = "reason_missing"  # reject only
    REASON_TOO_LONG = "reason_too_long"  # reject only


class GroupCreditRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    UNKNOWN_ACTIVITY = "unknown_activity"
    ZERO = "zero"
    NOTE_TOO_LONG = "note_too_long"
    IN_FUTURE = "in_future"
    TOO_OLD = "too_old"
    NO_ATTENDEES = "no_attendees"
    UNKNOWN_ATTENDEE = "unknown_attendee"  # member_ids: the unknown, unregistered or erased ones
    INCLUDES_COORDINATOR = "includes_coordinator"  # nobody credits their own hours
    NOT_A_GROUP = "not_a_group"  # group_member_id is not a member of kind group
    TOO_LONG_FOR_ONE_DAY = "too_long_for_one_day"  # member_ids: whose day would pass 720 minutes


@dataclass(frozen=True)
class GroupCreditRefused:
    reason: GroupCreditRefusal
    member_ids: tuple[int, ...] = ()


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class WorkFacts:
    """The work itself, as logging hours and crediting a group both state it."""

    minutes: int
    note: str | None
    worked_on: date
    today: date
    window_days: int


@dataclass(frozen=True)
class LogFacts:
    """Everything `log_refusal` needs, read from the database in one transaction."""

    member_registered: bool
    submitter_registered: bool
    submitted_for_someone_else: bool
    submitter_coordinates_organisation: bool
    organisation_known: bool
    activity_known: bool
    work: WorkFacts
    minutes_logged_that_day: int  # the member's pending and approved entries of that date


def past_day_refusal(worked_on: date, *, today: date, window_days: int) -> LogRefusal | None:
    """Whether hours may be logged for that day: not a day to come, nor one before the window."""
    if worked_on > today:
        return LogRefusal.IN_FUTURE
    if worked_on < today - timedelta(days=window_days):
        return LogRefusal.TOO_OLD
    return None


def work_refusal(work: WorkFacts) -> LogRefusal | None:
    """The checks on the work that logging and group credit share: some minutes, a note
    within NOTE_MAX, a day that is neither to come nor before the window."""
    if work.minutes <= 0:
        return LogRefusal.ZERO
    if work.note is not None and len(work.note) > NOTE_MAX:
        return LogRefusal.NOTE_TOO_LONG
    return past_day_refusal(work.worked_on, today=work.today, window_days=work.window_days)


def log_refusal(facts: LogFacts) -> LogRefusal | None:
    """The one rule for logging hours; None means the entry may be logged."""
    if not facts.member_registered or not facts.submitter_registered:
        return LogRefusal.NOT_REGISTERED
    if not facts.organisation_known:
        return LogRefusal.UNKNOWN_ORGANISATION
    if not facts.activity_known:
        return LogRefusal.UNKNOWN_ACTIVITY
    if facts.submitted_for_someone_else and not facts.submitter_coordinates_organisation:
        return LogRefusal.NOT_ALLOWED
    if (work := work_refusal(facts.work)) is not None:
        return work
    if facts.minutes_logged_that_day + facts.work.minutes > MAX_MINUTES_PER_DAY:
        return LogRefusal.TOO_LONG_FOR_ONE_DAY
    return None


def decision_refusal(*, found: bool, entry_member_id: int | None, entry_organisation_id: int | None,
                     status: TimeEntryStatus | None, coordinator_member_id: int,
                     coordinated_organisation_ids: set[int], entry_submitted_by: int | None = None
                     ) -> DecisionOutcome | None:
    """The one rule for approving or rejecting an entry; None means the coordinator may.

    Nobody decides hours they gave, nor hours they recorded for someone else (a member
    without Telegram): a second person always looks at what is credited."""
    if not found:
        return DecisionOutcome.NOT_FOUND
    if entry_organisation_id not in coordinated_organisation_ids:
        return DecisionOutcome.NOT_COORDINATOR
    if coordinator_member_id in (entry_member_id, entry_submitted_by):
        return DecisionOutcome.OWN_ENTRY
    if status is not TimeEntryStatus.PENDING:
        return DecisionOutcome.ALREADY_DECIDED
    return None


@dataclass(frozen=True)
class GroupCreditFacts:
    coordinator_member_id: int
    coordinates_organisation: bool
    organisation_known: bool
    activity_known: bool
    work: WorkFacts
    attendee_member_ids: tuple[int, ...]
    unknown_member_ids: tuple[int, ...]  # attendees (or the group) not registered
    group_member_id: int | None
    group_is_group: bool
    minutes_logged_that_day: dict[int, int]  # per credited member


# What work_refusal can answer, as group credit words it.
_GROUP_WORK_REFUSAL = {
    LogRefusal.ZERO: GroupCreditRefusal.ZERO,
    LogRefusal.NOTE_TOO_LONG: GroupCreditRefusal.NOTE_TOO_LONG,
    LogRefusal.IN_FUTURE: GroupCreditRefusal.IN_FUTURE,
    LogRefusal.TOO_OLD: GroupCreditRefusal.TOO_OLD,
}


def group_credit_refusal(facts: GroupCreditFacts) -> GroupCreditRefused | None:
    """The one rule for crediting a group activity; None means it may be credited."""
    if not facts.organisation_known:
        return GroupCreditRefused(GroupCreditRefusal.UNKNOWN_ORGANISATION)
    if not facts.coordinates_organisation:
        return GroupCreditRefused(GroupCreditRefusal.NOT_COORDINATOR)
    if not facts.activity_known:
        return GroupCreditRefused(GroupCreditRefusal.UNKNOWN_ACTIVITY)
    if (work := work_refusal(facts.work)) is not None:
        return GroupCreditRefused(_GROUP_WORK_REFUSAL[work])
    if not facts.attendee_member_ids:
        return GroupCreditRefused(GroupCreditRefusal.NO_ATTENDEES)
    if facts.unknown_member_ids:
        return GroupCreditRefused(GroupCreditRefusal.UNKNOWN_ATTENDEE, facts.unknown_member_ids)
    if facts.coordinator_member_id in facts.attendee_member_ids or \
            facts.coordinator_member_id == facts.group_member_id:
        return GroupCreditRefused(GroupCreditRefusal.INCLUDES_COORDINATOR, (facts.coordinator_member_id,))
    if facts.group_member_id is not None and not facts.group_is_group:
        return GroupCreditRefused(GroupCreditRefusal.NOT_A_GROUP, (facts.group_member_id,))
    too_long = tuple(sorted(member_id for member_id, logged in facts.minutes_logged_that_day.items()
                            if logged + facts.work.minutes > MAX_MINUTES_PER_DAY))
    if too_long:
        return GroupCreditRefused(GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY, too_long)
    return None
