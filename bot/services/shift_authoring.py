"""Authoring shifts: coordinators create them (alone or as a weekly series), edit and cancel them.

Every public method is one database transaction; a refusal writes nothing. Refusals
are enums (`CreateRefusal` from the rules module, `EditRefusal`, `CancelRefusal`);
times in are aware UTC (the handler converts London wall times).

Notifications (in the transaction of the change): ``shift_changed`` to each booked
member when the time, venue or address changes (each distinct edit told once), and
``shift_cancelled`` to everyone booked or waitlisted.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import ActivityType, Neighbourhood, Role, Shift, ShiftSignup, ShiftStatus, SignupStatus
from bot.db.session import Database
from bot.services import outbox, outbox_payloads as payloads, roles
from bot.services.dialogue_completion import DialogueCompletion, complete, finished_outcome
from bot.services.outbox_payloads import ShiftChange
from bot.services.roles import Unchangeable
from bot.services.shift_booking import ShiftBooking, lock_shift
from bot.services.shift_rules import (
    LIVE_SIGNUP,
    CreateRefusal,
    ShiftFields,
    check_shift_fields,
    require_aware,
    weekly_occurrences,
)

__all__ = [
    "CancelRefusal",
    "CreateRefusal",
    "EditRefusal",
    "ShiftAuthoring",
    "ShiftCancelled",
    "ShiftChanges",
    "ShiftDraft",
    "ShiftEdited",
    "ShiftsCreated",
]


@dataclass(frozen=True)
class ShiftDraft:
    """A new shift as the coordinator described it (times already converted to UTC)."""

    organisation_id: int
    activity_type_id: int
    neighbourhood_id: int
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    minimum: int = 1
    requires_dbs: bool | None = None  # None: the activity type's default
    description_en: str = ""
    description_cy: str = ""


@dataclass(frozen=True)
class ShiftChanges:
    """What to change in a shift; None leaves a field as it is."""

    venue: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    clear_location: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None
    minimum: int | None = None
    description_en: str | None = None
    description_cy: str | None = None


class EditRefusal(enum.StrEnum):
    NOT_FOUND = "not_found"
    NOT_COORDINATOR = "not_coordinator"
    SHIFT_CANCELLED = "shift_cancelled"
    SHIFT_STARTED = "shift_started"
    CAPACITY_BELOW_BOOKED = "capacity_below_booked"
    # The same checks as creating a shift (values equal to CreateRefusal's):
    CAPACITY_OUT_OF_RANGE = "capacity_out_of_range"
    MINIMUM_BELOW_ONE = "minimum_below_one"
    MINIMUM_ABOVE_CAPACITY = "minimum_above_capacity"
    IN_PAST = "in_past"
    ENDS_BEFORE_START = "ends_before_start"
    TOO_LONG = "too_long"
    DESCRIPTION_TOO_LONG = "description_too_long"
    VENUE_MISSING = "venue_missing"
    VENUE_TOO_LONG = "venue_too_long"
    ADDRESS_TOO_LONG = "address_too_long"
    LOCATION_INVALID = "location_invalid"


class CancelRefusal(enum.StrEnum):
    NOT_FOUND = "not_found"
    NOT_COORDINATOR = "not_coordinator"
    ALREADY_CANCELLED = "already_cancelled"
    SHIFT_STARTED = "shift_started"


# Which changes booked members are told of, and the fields each covers.
_TOLD_OF = ((ShiftChange.TIME, frozenset({"starts_at", "ends_at"})), (ShiftChange.VENUE, frozenset({"venue"})),
            (ShiftChange.ADDRESS, frozenset({"address"})))


_EDIT_REFUSAL = {Unchangeable.NOT_FOUND: EditRefusal.NOT_FOUND,
                 Unchangeable.NOT_COORDINATOR: EditRefusal.NOT_COORDINATOR,
                 Unchangeable.CANCELLED: EditRefusal.SHIFT_CANCELLED,
                 Unchangeable.STARTED: EditRefusal.SHIFT_STARTED}
_CANCEL_REFUSAL = {Unchangeable.NOT_FOUND: CancelRefusal.NOT_FOUND,
                   Unchangeable.NOT_COORDINATOR: CancelRefusal.NOT_COORDINATOR,
                   Unchangeable.CANCELLED: CancelRefusal.ALREADY_CANCELLED,
                   Unchangeable.STARTED: CancelRefusal.SHIFT_STARTED}


@dataclass(frozen=True)
class ShiftsCreated:
    shift_ids: tuple[int, ...]  # in date order
    series_id: int | None  # the first shift's id when repeated, else None


@dataclass(frozen=True)
class ShiftEdited:
    shift_id: int
    changed: frozenset[str]  # names of ShiftChanges fields whose value changed
    notified_member_ids: tuple[int, ...]  # told "shift_changed"
    promoted_member_ids: tuple[int, ...]  # given a place by a raised capacity


@dataclass(frozen=True)
class ShiftCancelled:
    shift_id: int
    notified_member_ids: tuple[int, ...]


class ShiftAuthoring:
    def __init__(self, db: Database, config: Config, clock: Clock, booking: ShiftBooking) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.booking = booking  # a raised capacity promotes from the waitlist

    async def create_shifts(self, coordinator_member_id: int, draft: ShiftDraft, *, repeat_weeks: int = 1,
                            completion: DialogueCompletion | None = None) -> ShiftsCreated | CreateRefusal:
        """Create a shift, or a weekly series of `repeat_weeks` (1..26) at the same local time.

        With `completion`, the new-shift dialogue ends in the same transaction, and a
        second "Create" of that dialogue answers with the shifts the first created."""
        now = self.clock.now()
        require_aware(draft.starts_at, "starts_at")
        require_aware(draft.ends_at, "ends_at")
        async with self.db.transaction() as session:
            if completion is not None and (done := await finished_outcome(session, completion)) is not None:
                return ShiftsCreated(tuple(done["shift_ids"]), done["series_id"])
            # A forged or unknown organisation id is one the member does not coordinate.
            if not await roles.has_role(session, coordinator_member_id, Role.COORDINATOR,
                                        draft.organisation_id):
                return CreateRefusal.NOT_COORDINATOR
            activity_type = await session.get(ActivityType, draft.activity_type_id)
            if activity_type is None:
                return CreateRefusal.UNKNOWN_ACTIVITY_TYPE
            if await session.get(Neighbourhood, draft.neighbourhood_id) is None:
                return CreateRefusal.UNKNOWN_NEIGHBOURHOOD
            refusal = check_shift_fields(_draft_fields(draft), now)
            if refusal is not None:
                return refusal
            occurrences = weekly_occurrences(draft.starts_at, draft.ends_at, repeat_weeks, self.config.tz)
            if isinstance(occurrences, CreateRefusal):
                return occurrences
            requires_dbs = activity_type.requires_dbs if draft.requires_dbs is None else draft.requires_dbs
            shifts = [
                Shift(organisation_id=draft.organisation_id, activity_type_id=draft.activity_type_id,
                      neighbourhood_id=draft.neighbourhood_id, venue=draft.venue.strip(),
                      address=draft.address.strip(), latitude=draft.latitude, longitude=draft.longitude,
                      starts_at=starts_at, ends_at=ends_at, capacity=draft.capacity, minimum=draft.minimum,
                      requires_dbs=requires_dbs, description_en=draft.description_en,
                      description_cy=draft.description_cy, status=ShiftStatus.OPEN, booked_count=0,
                      created_by_member_id=coordinator_member_id, created_at=now)
                for starts_at, ends_at in occurrences
            ]
            session.add_all(shifts)
            await session.flush()
            series_id = shifts[0].id if len(shifts) > 1 else None
            for shift in shifts:
                shift.series_id = series_id
            created = ShiftsCreated(tuple(shift.id for shift in shifts), series_id)
            if completion is not None:
                await complete(session, completion, {"shift_ids": list(created.shift_ids), "series_id": series_id},
                               now=now)
            return created

    # ------------------------------------------------------------------ editing

    async def edit_shift(self, coordinator_member_id: int, shift_id: int, changes: ShiftChanges, *,
                         completion: DialogueCompletion | None = None) -> ShiftEdited | EditRefusal:
        """Change a shift that has not started. Booked members are told of a new time,
        venue or address ("shift_changed"); a raised capacity promotes from the waitlist.

        Bookings are kept as they are: a new time is not re-checked against members'
        other bookings or DBS dates (they are told, and can leave), and a reminder
        already queued for the old time is not queued again.

        With `completion`, the editing dialogue ends with the change, in its transaction;
        the same answer handled again is answered with that change, made once (each
        edit tells the booked members anew, so a second one would tell them twice).
        """
        now = self.clock.now()
        for name in ("starts_at", "ends_at"):
            value = getattr(changes, name)
            if value is not None:
                require_aware(value, name)
        async with self.db.transaction() as session:
            if completion is not None and (done := await finished_outcome(session, completion)) is not None:
                return ShiftEdited(int(done["shift_id"]), frozenset(done["changed"]), tuple(done["notified"]),
                                   tuple(done["promoted"]))
            result = await self._edit(session, coordinator_member_id, shift_id, changes, now)
            if completion is not None and isinstance(result, ShiftEdited):
                await complete(session, completion, {
                    "shift_id": result.shift_id, "changed": sorted(result.changed),
                    "notified": list(result.notified_member_ids), "promoted": list(result.promoted_member_ids)},
                    now=now)
            return result

    async def _edit(self, session: AsyncSession, coordinator_member_id: int, shift_id: int, changes: ShiftChanges,
                    now: datetime) -> ShiftEdited | EditRefusal:
        shift = await _changeable_shift(session, coordinator_member_id, shift_id, now)
        if isinstance(shift, Unchangeable):
            return _EDIT_REFUSAL[shift]
        before = _shift_fields(shift)
        after = replace(before, **{
            name: getattr(changes, name) for name in (
                "venue", "address", "latitude", "longitude", "starts_at", "ends_at", "capacity",
                "minimum", "description_en", "description_cy")
            if getattr(changes, name) is not None})
        if changes.clear_location:
            after = replace(after, latitude=None, longitude=None)
        after = replace(after, venue=after.venue.strip(), address=after.address.strip(),
                        starts_at=after.starts_at.astimezone(UTC),
                        ends_at=after.ends_at.astimezone(UTC))
        refusal = check_shift_fields(after, now)
        if refusal is not None:
            return EditRefusal(refusal.value)
        if after.capacity < shift.booked_count:
            return EditRefusal.CAPACITY_BELOW_BOOKED
        changed = frozenset(name for name in before.__dataclass_fields__
                            if getattr(before, name) != getattr(after, name))
        if not changed:
            return ShiftEdited(shift_id, frozenset(), (), ())
        for name in changed:
            setattr(shift, name, getattr(after, name))
        await session.flush()

        promoted: list[int] = []
        if after.capacity > before.capacity:
            promoted = await self.booking.promote(session, shift, now)

        notified: list[int] = []
        told_of = [label for label, fields in _TOLD_OF if changed & fields]
        if told_of:
            digest = hashlib.sha256(
                f"{_iso(after.starts_at)}|{_iso(after.ends_at)}|{after.venue}|{after.address}".encode()
            ).hexdigest()[:10]
            payload = payloads.ShiftChanged(
                shift_id=shift_id, changed=tuple(told_of), old_starts_at=before.starts_at,
                old_ends_at=before.ends_at, starts_at=after.starts_at, ends_at=after.ends_at,
                old_venue=before.venue, venue=after.venue, old_address=before.address, address=after.address)
            booked = await session.execute(select(ShiftSignup.id, ShiftSignup.member_id).where(
                ShiftSignup.shift_id == shift_id, ShiftSignup.status == SignupStatus.BOOKED,
            ).order_by(ShiftSignup.id))
            for signup_id, member_id in booked.all():
                if member_id in promoted:  # their promotion message already has the new details
                    continue
                await outbox.enqueue(
                    session, member_id=member_id, payload=payload, now=now,
                    dedupe_key=f"shift_changed:{shift_id}:{signup_id}:{now:%Y%m%dT%H%M%S%f}:{digest}")
                notified.append(member_id)
        return ShiftEdited(shift_id, changed, tuple(notified), tuple(promoted))

    async def cancel_shift(self, coordinator_member_id: int, shift_id: int, *,
                           completion: DialogueCompletion | None = None) -> ShiftCancelled | CancelRefusal:
        """Cancel a shift; everyone booked or waitlisted is told. Sign-ups are kept as they
        were (history, and so calendars can show the event as cancelled). With
        `completion`, the confirmation's dialogue ends in the same transaction, and
        pressed again it answers with the cancellation the first press made."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            if completion is not None and (done := await finished_outcome(session, completion)) is not None:
                return ShiftCancelled(int(done["shift_id"]), tuple(done["notified"]))
            result = await self._cancel(session, coordinator_member_id, shift_id, now)
            if completion is not None and isinstance(result, ShiftCancelled):
                await complete(session, completion, {"shift_id": result.shift_id,
                                                     "notified": list(result.notified_member_ids)}, now=now)
            return result

    async def _cancel(self, session: AsyncSession, coordinator_member_id: int, shift_id: int,
                      now: datetime) -> ShiftCancelled | CancelRefusal:
        shift = await _changeable_shift(session, coordinator_member_id, shift_id, now)
        if isinstance(shift, Unchangeable):
            return _CANCEL_REFUSAL[shift]
        shift.status = ShiftStatus.CANCELLED
        shift.cancelled_at = now
        live = await session.execute(select(ShiftSignup.id, ShiftSignup.member_id, ShiftSignup.status).where(
            ShiftSignup.shift_id == shift_id, ShiftSignup.status.in_(LIVE_SIGNUP)).order_by(ShiftSignup.id))
        notified = []
        for signup_id, member_id, status in live.all():
            await outbox.enqueue(
                session, member_id=member_id, now=now,
                payload=payloads.ShiftCancelled(shift_id=shift_id, signup_id=signup_id, was=status,
                                                starts_at=shift.starts_at),
                dedupe_key=f"shift_cancelled:{signup_id}")
            notified.append(member_id)
        return ShiftCancelled(shift_id, tuple(notified))


def _draft_fields(draft: ShiftDraft) -> ShiftFields:
    return ShiftFields(venue=draft.venue.strip(), address=draft.address.strip(), latitude=draft.latitude,
                       longitude=draft.longitude, starts_at=draft.starts_at, ends_at=draft.ends_at,
                       capacity=draft.capacity, minimum=draft.minimum, description_en=draft.description_en,
                       description_cy=draft.description_cy)


def _shift_fields(shift: Shift) -> ShiftFields:
    return ShiftFields(venue=shift.venue, address=shift.address, latitude=shift.latitude,
                       longitude=shift.longitude, starts_at=shift.starts_at, ends_at=shift.ends_at,
                       capacity=shift.capacity, minimum=shift.minimum, description_en=shift.description_en,
                       description_cy=shift.description_cy)


async def _changeable_shift(session: AsyncSession, coordinator_member_id: int, shift_id: int,
                            now: datetime) -> Shift | Unchangeable:
    """The shift, locked, if this coordinator may still change it; else why not."""
    return await roles.changeable_shift(session, coordinator_member_id, await lock_shift(session, shift_id), now)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
