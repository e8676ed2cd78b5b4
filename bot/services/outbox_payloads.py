"""The outbox's contracts: every kind of notification, and the typed payload each carries.

A service builds a payload and `outbox.enqueue`s it in the transaction of the change it
reports; the row stores the kind (an `OutboxKind` value, so rows written before these
types existed keep theirs) and the payload as JSON. At send time `parse_payload` turns
the row back into the same type, and the renderer for that kind (`handlers/notifications`)
words it in the recipient's language. Times are aware UTC, dates are local (London) days,
ids are ints. A payload says what happened; the renderer looks up anything else it names
(names, the shift's card) when it sends, so a message never shows stale facts.
"""

from __future__ import annotations

import enum
from datetime import UTC, date
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer

from bot.db.enums import ReminderOffset
from bot.db.models import SignupStatus

# Stored as ISO 8601 in UTC with "+00:00", exactly as rows were written before these types.
UtcTime = Annotated[AwareDatetime, PlainSerializer(lambda at: at.astimezone(UTC).isoformat(),
                                                  return_type=str, when_used="json")]


class OutboxKind(enum.StrEnum):
    SHIFT_CHANGED = "shift_changed"
    SHIFT_CANCELLED = "shift_cancelled"
    WAITLIST_PROMOTED = "waitlist_promoted"
    LATE_CANCELLATION = "late_cancellation"
    SHIFT_REMINDER = "shift_reminder"
    ATTENDANCE_DUE = "attendance_due"
    COVER_NEEDED = "cover_needed"
    COVER_WANTED = "cover_wanted"
    COORDINATOR_DIGEST = "coordinator_digest"
    HOURS_APPROVED = "hours_approved"
    HOURS_REJECTED = "hours_rejected"
    HOURS_CREDITED = "hours_credited"
    CREDITS_RECEIVED = "credits_received"
    VOUCHER_REDEEMED = "voucher_redeemed"
    VOUCHER_EXPIRED = "voucher_expired"
    BROADCAST = "broadcast"
    BROADCAST_GROUP_POST = "broadcast_group_post"
    BROADCAST_PROGRESS = "broadcast_progress"
    WEEKLY_SUMMARY = "weekly_summary"


class Payload(BaseModel):
    """One kind's payload; subclasses name their kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[OutboxKind]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# ----------------------------------------------------------------------------- shifts


class ShiftChange(enum.StrEnum):
    TIME = "time"
    VENUE = "venue"
    ADDRESS = "address"


class ShiftChanged(Payload):
    """To each booked member when a shift's time, venue or address changes."""

    kind = OutboxKind.SHIFT_CHANGED
    shift_id: int
    changed: tuple[ShiftChange, ...]
    old_starts_at: UtcTime
    old_ends_at: UtcTime
    starts_at: UtcTime
    ends_at: UtcTime
    old_venue: str
    venue: str
    old_address: str
    address: str


class ShiftCancelled(Payload):
    """To each booked or waitlisted member of a cancelled shift."""

    kind = OutboxKind.SHIFT_CANCELLED
    shift_id: int
    signup_id: int
    was: SignupStatus  # BOOKED or WAITLISTED
    starts_at: UtcTime


class WaitlistPromoted(Payload):
    """To a waitlisted member given a place (they may decline it)."""

    kind = OutboxKind.WAITLIST_PROMOTED
    shift_id: int
    signup_id: int
    starts_at: UtcTime


class ReleaseReason(enum.StrEnum):
    """Why a booked place was given up."""

    CANCELLED = "cancelled"
    DECLINED_PROMOTION = "declined_promotion"
    MEMBER_WITHDRAWN = "member_withdrawn"  # erased


class LateCancellation(Payload):
    """To each coordinator of the organisation when a booking is given up close to the start."""

    kind = OutboxKind.LATE_CANCELLATION
    shift_id: int
    signup_id: int
    member_id: int
    reason: ReleaseReason
    starts_at: UtcTime
    promoted_member_ids: tuple[int, ...]
    booked_count: int  # after the change
    capacity: int
    minimum: int


class ShiftReminder(Payload):
    """To each booked member, at the times they chose (bot/services/reminders.py)."""

    kind = OutboxKind.SHIFT_REMINDER
    shift_id: int
    signup_id: int
    starts_at: UtcTime  # the start it reminds of: a moved shift's old reminders say nothing
    offset: ReminderOffset | None = None  # None: written before members chose their own


class CoverReason(enum.StrEnum):
    DROPPED_OUT = "dropped_out"  # a booked place was given up within 48 hours of the start
    BELOW_MINIMUM = "below_minimum"  # 48 hours before, fewer booked than the minimum


class CoverNeeded(Payload):
    """To each coordinator of a shift short of people close to its start (with Find cover)."""

    kind = OutboxKind.COVER_NEEDED
    shift_id: int
    starts_at: UtcTime
    reason: CoverReason
    booked_count: int
    capacity: int
    minimum: int


class CoverWanted(Payload):
    """To each eligible volunteer when a coordinator presses Find cover: the shift's card."""

    kind = OutboxKind.COVER_WANTED
    shift_id: int
    starts_at: UtcTime


class CoordinatorDigest(Payload):
    """To a coordinator at the configured local time: pending approvals and tomorrow's rosters,
    read when it is sent."""

    kind = OutboxKind.COORDINATOR_DIGEST
    day: date  # the local day it is for ("tomorrow" is the day after)


class AttendanceDue(Payload):
    """To each coordinator of a shift that has ended with people booked."""

    kind = OutboxKind.ATTENDANCE_DUE
    shift_id: int


# ----------------------------------------------------------------------------- hours and credits


class TimeEntryFacts(Payload):
    """What every notification about a time entry carries."""

    time_entry_id: int
    minutes: int
    worked_on: date
    organisation_id: int
    activity_type_id: int


class HoursApproved(TimeEntryFacts):
    kind = OutboxKind.HOURS_APPROVED
    transaction_id: int
    balance_minutes: int  # after the credit


class HoursRejected(TimeEntryFacts):
    kind = OutboxKind.HOURS_REJECTED
    reason: str


class HoursCredited(TimeEntryFacts):
    """Attendance confirmed by a coordinator credited the shift's hours."""

    kind = OutboxKind.HOURS_CREDITED
    shift_id: int
    transaction_id: int
    balance_minutes: int


class CreditsReceived(Payload):
    kind = OutboxKind.CREDITS_RECEIVED
    transaction_id: int
    minutes: int
    from_member_id: int
    from_display_name: str | None  # None once the sender is erased
    note: str | None
    balance_minutes: int


class VoucherRedeemed(Payload):
    kind = OutboxKind.VOUCHER_REDEEMED
    voucher_id: int
    code: str
    spend_opportunity_id: int
    cost_minutes: int
    redeemed_at: UtcTime


class VoucherExpired(Payload):
    kind = OutboxKind.VOUCHER_EXPIRED
    voucher_id: int
    code: str
    spend_opportunity_id: int
    cost_minutes: int
    expires_at: UtcTime
    balance_minutes: int  # after the refund


# ----------------------------------------------------------------------------- broadcasts


class BroadcastMessage(Payload):
    """A coordinator's broadcast, to one recipient fixed when it was confirmed."""

    kind = OutboxKind.BROADCAST
    broadcast_id: int


class BroadcastGroupPost(Payload):
    """The same broadcast posted in a neighbourhood's Telegram group (the row's chat_id)."""

    kind = OutboxKind.BROADCAST_GROUP_POST
    broadcast_id: int


class BroadcastProgress(Payload):
    """To the author: how far it has gone, with Stop; edited as it goes, then into the report."""

    kind = OutboxKind.BROADCAST_PROGRESS
    broadcast_id: int


# ----------------------------------------------------------------------------- summaries


class WeeklySummary(Payload):
    """One message of a weekly summary to a staff member: its snapshot (what was sent is
    what is stored), rendered in the language the member had when it was queued, so the
    parts counted then are the parts sent."""

    kind = OutboxKind.WEEKLY_SUMMARY
    snapshot_id: int
    language: str
    part: int
    parts: int


PAYLOAD_TYPES: dict[OutboxKind, type[Payload]] = {
    payload_type.kind: payload_type
    for payload_type in (ShiftChanged, ShiftCancelled, WaitlistPromoted, LateCancellation, ShiftReminder,
                         AttendanceDue, CoverNeeded, CoverWanted, CoordinatorDigest, HoursApproved, HoursRejected,
                         HoursCredited, CreditsReceived,
                         VoucherRedeemed, VoucherExpired, BroadcastMessage, BroadcastGroupPost, BroadcastProgress,
                         WeeklySummary)
}


def parse_payload(kind: OutboxKind, data: dict[str, Any]) -> Payload:
    """The stored payload as its kind's type; pydantic's ValidationError when it does not fit."""
    return PAYLOAD_TYPES[kind].model_validate(data)
