"""Shifts: coordinators create them, members find, book and leave them.

Every public method is one database transaction; a refusal writes nothing. Results
are frozen dataclasses, refusals are Enum reasons (`SignupOutcome`, `CreateRefusal`,
`EditRefusal`, `CancelRefusal`, `LeaveOutcome`, `DeclineOutcome`); the handlers
render both in Welsh or English. Times in and out are aware UTC; local dates
(`date_from`/`date_to`, the DBS date) are Europe/London (`config.tz`).

Capacity
    `shift.booked_count` is a guarded counter: a booking runs
    ``UPDATE shift SET booked_count = booked_count + 1
    WHERE id = :id AND booked_count < capacity AND status = 'open'``
    in the same transaction as the sign-up insert, and books only if one row changed;
    the CHECK booked_count <= capacity backs it up. On PostgreSQL the UPDATE waits
    for any concurrent booking of the same shift and re-checks its WHERE clause on
    the committed row; on SQLite writers queue (BEGIN IMMEDIATE). Joining the waitlist,
    leaving, editing and cancelling lock the shift row first (SELECT ... FOR NO KEY
    UPDATE, a no-op on SQLite), so a place freed by a cancellation and a concurrent waitlist
    join cannot leave someone waiting beside a free place. Sign-ups also lock the
    member row, so one member's double tap or two overlapping bookings queue.

Waitlist
    Ordered by sign-up id (first come, first promoted); a member's position is the
    number of waitlisted sign-ups on the shift with an id up to theirs. When a place
    comes free (a booked member leaves or declines, or the capacity is raised) the
    waitlisted members are promoted in that order in the same transaction, skipping
    (but keeping on the waitlist) anyone who could not book it now: no valid DBS
    check on the shift date, booked meanwhile on an overlapping shift, or erased.
    A promoted member may `decline_promotion`, which passes the place on in turn.
    `withdraw_member` (called by erasure, in its transaction) gives up all of a
    member's places the same way.

Notifications (`bot.services.outbox.enqueue`, in the transaction of the change)
    Rendered at send time in the recipient's language. Times are ISO 8601 UTC
    strings, ids are ints.

    ``shift_changed`` to each booked member when the time, venue or address changes.
        payload: shift_id, changed (list of "time", "venue", "address"),
        old_starts_at, old_ends_at, starts_at, ends_at, old_venue, venue,
        old_address, address.
        dedupe_key: f"shift_changed:{shift_id}:{signup_id}:{now:%Y%m%dT%H%M%S%f}:{digest}"
        (digest of the new time and place, so each distinct edit is told once).
    ``shift_cancelled`` to each booked or waitlisted member.
        payload: shift_id, signup_id, was ("booked" | "waitlisted"), starts_at.
        dedupe_key: f"shift_cancelled:{signup_id}"
    ``waitlist_promoted`` to a waitlisted member given a place (they may decline).
        payload: shift_id, signup_id, starts_at.
        dedupe_key: f"waitlist_promoted:{signup_id}"
    ``late_cancellation`` to each coordinator of the shift's organisation when a
        booked member leaves, declines a promotion or is withdrawn (erased) within
        `shifts.late_cancellation_hours` of the start.
        payload: shift_id, signup_id, member_id, reason ("cancelled" |
        "declined_promotion" | "member_withdrawn"), starts_at, promoted_member_ids
        (list, maybe empty), booked_count, capacity, minimum (after the change).
        dedupe_key: f"late_cancellation:{signup_id}:{coordinator_member_id}"
    ``shift_reminder`` to each booked member, `shifts.reminder_hours_before` ahead.
        payload: shift_id, signup_id, starts_at.
        dedupe_key: f"reminder:{signup_id}:{starts_at as Unix seconds}" (one per booking
        and start time; the sender checks the booking is still live when it renders).
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import (
    ActivityType,
    Member,
    Neighbourhood,
    Organisation,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
)
from bot.db.session import Database
from bot.services import outbox, roles
from bot.services.dbs import dbs_valid_on
from bot.services.reference import Named
from bot.services.shift_rules import (
    CreateRefusal,
    ShiftFields,
    SignupFacts,
    SignupOutcome,
    check_shift_fields,
    decide_signup,
    require_aware,
    weekly_occurrences,
)

__all__ = [
    "CancelRefusal",
    "CreateRefusal",
    "DeclineOutcome",
    "EditRefusal",
    "LeaveOutcome",
    "MyShift",
    "ShiftCancelled",
    "ShiftCard",
    "ShiftChanges",
    "ShiftDraft",
    "ShiftEdited",
    "ShiftListItem",
    "ShiftPage",
    "ShiftService",
    "ShiftsCreated",
    "SignupOutcome",
]

_LIVE = (SignupStatus.BOOKED, SignupStatus.WAITLISTED)


# ----------------------------------------------------------------------------- inputs


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


# ----------------------------------------------------------------------------- outcomes


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


class LeaveOutcome(enum.StrEnum):
    CANCELLED = "cancelled"  # booking cancelled, place freed (and offered to the waitlist)
    CANCELLED_LATE = "cancelled_late"  # the same, within late_cancellation_hours: coordinators told
    LEFT_WAITLIST = "left_waitlist"
    NOT_SIGNED_UP = "not_signed_up"
    SIGNUP_CLOSED = "signup_closed"  # the shift has started (or ended)
    SHIFT_CANCELLED = "shift_cancelled"
    NOT_FOUND = "not_found"


class DeclineOutcome(enum.StrEnum):
    DECLINED = "declined"  # the promoted place is given up and offered to the next
    NOT_PROMOTED = "not_promoted"  # booked directly, not from the waitlist: use leave()
    NOT_SIGNED_UP = "not_signed_up"
    SIGNUP_CLOSED = "signup_closed"
    SHIFT_CANCELLED = "shift_cancelled"
    NOT_FOUND = "not_found"


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


@dataclass(frozen=True)
class ShiftListItem:
    shift_id: int
    starts_at: datetime
    ends_at: datetime
    activity: Named
    neighbourhood: Named
    organisation: Named
    venue: str
    capacity: int
    booked_count: int
    free_places: int
    waitlist_length: int
    requires_dbs: bool
    my_status: SignupStatus | None  # BOOKED, WAITLISTED or None


@dataclass(frozen=True)
class ShiftPage:
    items: tuple[ShiftListItem, ...]
    page: int
    has_next: bool
    total: int  # matching shifts over all pages
    page_size: int


@dataclass(frozen=True)
class ShiftCard:
    """Everything a shift's detail card shows, for one viewing member."""

    shift_id: int
    status: ShiftStatus
    organisation: Named
    activity: Named
    neighbourhood: Named
    venue: str
    address: str
    latitude: float | None
    longitude: float | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    minimum: int
    booked_count: int
    free_places: int
    waitlist_length: int
    requires_dbs: bool
    description_en: str
    description_cy: str
    series_id: int | None
    has_started: bool
    has_ended: bool
    my_status: SignupStatus | None
    my_waitlist_position: int | None
    my_dbs_valid: bool | None  # None when the shift needs no DBS check
    viewer_is_coordinator: bool  # may edit, cancel and take attendance

    def description(self, language: str) -> str:
        return self.description_cy if language == "cy" else self.description_en


@dataclass(frozen=True)
class MyShift:
    signup_id: int
    shift_id: int
    status: SignupStatus  # BOOKED or WAITLISTED
    waitlist_position: int | None
    starts_at: datetime
    ends_at: datetime
    activity: Named
    organisation: Named
    neighbourhood: Named
    venue: str
    requires_dbs: bool


# ----------------------------------------------------------------------------- service


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def _named(row: Any) -> Named:
    return Named(row.id, row.slug, row.name_en, row.name_cy)


def _name_columns(model: Any, prefix: str) -> list[Any]:
    return [model.id.label(f"{prefix}_id"), model.slug.label(f"{prefix}_slug"),
            model.name_en.label(f"{prefix}_name_en"), model.name_cy.label(f"{prefix}_name_cy")]


def _named_from(row: Any, prefix: str) -> Named:
    mapping = row._mapping
    return Named(mapping[f"{prefix}_id"], mapping[f"{prefix}_slug"], mapping[f"{prefix}_name_en"],
                 mapping[f"{prefix}_name_cy"])


class ShiftService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    # ------------------------------------------------------------------ creating

    async def create_shifts(self, coordinator_member_id: int, draft: ShiftDraft, *,
                            repeat_weeks: int = 1) -> ShiftsCreated | CreateRefusal:
        """Create a shift, or a weekly series of `repeat_weeks` (1..26) at the same local time."""
        now = self.clock.now()
        require_aware(draft.starts_at, "starts_at")
        require_aware(draft.ends_at, "ends_at")
        async with self.db.transaction() as session:
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
            return ShiftsCreated(tuple(shift.id for shift in shifts), series_id)

    # ------------------------------------------------------------------ editing

    async def edit_shift(self, coordinator_member_id: int, shift_id: int,
                         changes: ShiftChanges) -> ShiftEdited | EditRefusal:
        """Change a shift that has not started. Booked members are told of a new time,
        venue or address ("shift_changed"); a raised capacity promotes from the waitlist.

        Bookings are kept as they are: a new time is not re-checked against members'
        other bookings or DBS dates (they are told, and can leave), and a reminder
        already queued for the old time is not queued again.
        """
        now = self.clock.now()
        for name in ("starts_at", "ends_at"):
            value = getattr(changes, name)
            if value is not None:
                require_aware(value, name)
        async with self.db.transaction() as session:
            shift = await _lock_shift(session, shift_id)
            if shift is None:
                return EditRefusal.NOT_FOUND
            if not await roles.has_role(session, coordinator_member_id, Role.COORDINATOR, shift.organisation_id):
                return EditRefusal.NOT_COORDINATOR
            if shift.status is ShiftStatus.CANCELLED:
                return EditRefusal.SHIFT_CANCELLED
            if now >= shift.starts_at:
                return EditRefusal.SHIFT_STARTED
            before = _shift_fields(shift)
            after = replace(before, **{
                name: getattr(changes, name) for name in (
                    "venue", "address", "latitude", "longitude", "starts_at", "ends_at", "capacity",
                    "minimum", "description_en", "description_cy")
                if getattr(changes, name) is not None})
            if changes.clear_location:
                after = replace(after, latitude=None, longitude=None)
            after = replace(after, venue=after.venue.strip(), address=after.address.strip(),
                            starts_at=after.starts_at.astimezone(timezone.utc),
                            ends_at=after.ends_at.astimezone(timezone.utc))
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
                promoted = await self._promote(session, shift, now)

            notified: list[int] = []
            told_of = [label for label, fields in (("time", {"starts_at", "ends_at"}), ("venue", {"venue"}),
                                                   ("address", {"address"})) if changed & fields]
            if told_of:
                digest = hashlib.sha256(
                    f"{_iso(after.starts_at)}|{_iso(after.ends_at)}|{after.venue}|{after.address}".encode()
                ).hexdigest()[:10]
                payload = {"shift_id": shift_id, "changed": told_of,
                           "old_starts_at": _iso(before.starts_at), "old_ends_at": _iso(before.ends_at),
                           "starts_at": _iso(after.starts_at), "ends_at": _iso(after.ends_at),
                           "old_venue": before.venue, "venue": after.venue,
                           "old_address": before.address, "address": after.address}
                booked = await session.execute(select(ShiftSignup.id, ShiftSignup.member_id).where(
                    ShiftSignup.shift_id == shift_id, ShiftSignup.status == SignupStatus.BOOKED,
                ).order_by(ShiftSignup.id))
                for signup_id, member_id in booked.all():
                    if member_id in promoted:  # their promotion message already has the new details
                        continue
                    await outbox.enqueue(
                        session, member_id=member_id, kind="shift_changed", payload=payload, now=now,
                        dedupe_key=f"shift_changed:{shift_id}:{signup_id}:{now:%Y%m%dT%H%M%S%f}:{digest}")
                    notified.append(member_id)
            return ShiftEdited(shift_id, changed, tuple(notified), tuple(promoted))

    async def cancel_shift(self, coordinator_member_id: int, shift_id: int) -> ShiftCancelled | CancelRefusal:
        """Cancel a shift; everyone booked or waitlisted is told. Sign-ups are kept as they
        were (history, and so calendars can show the event as cancelled)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            shift = await _lock_shift(session, shift_id)
            if shift is None:
                return CancelRefusal.NOT_FOUND
            if not await roles.has_role(session, coordinator_member_id, Role.COORDINATOR, shift.organisation_id):
                return CancelRefusal.NOT_COORDINATOR
            if shift.status is ShiftStatus.CANCELLED:
                return CancelRefusal.ALREADY_CANCELLED
            if now >= shift.starts_at:
                return CancelRefusal.SHIFT_STARTED
            shift.status = ShiftStatus.CANCELLED
            shift.cancelled_at = now
            live = await session.execute(select(ShiftSignup.id, ShiftSignup.member_id, ShiftSignup.status).where(
                ShiftSignup.shift_id == shift_id, ShiftSignup.status.in_(_LIVE)).order_by(ShiftSignup.id))
            notified = []
            for signup_id, member_id, status in live.all():
                await outbox.enqueue(
                    session, member_id=member_id, kind="shift_cancelled", now=now,
                    payload={"shift_id": shift_id, "signup_id": signup_id, "was": status.value,
                             "starts_at": _iso(shift.starts_at)},
                    dedupe_key=f"shift_cancelled:{signup_id}")
                notified.append(member_id)
            return ShiftCancelled(shift_id, tuple(notified))

    # ------------------------------------------------------------------ finding

    async def list_upcoming(self, *, member_id: int, activity_type_id: int | None = None,
                            neighbourhood_id: int | None = None, date_from: date | None = None,
                            date_to: date | None = None, page: int = 0) -> ShiftPage:
        """Open shifts not yet started, soonest first, one page (`shifts.page_size`) at a time.

        `date_from`/`date_to` are local (London) dates, both inclusive. Two queries
        whatever the page: the page is cut in SQL (index on status, starts_at;
        LIMIT/OFFSET) and only its rows are joined to their names, waitlist length and
        the member's own sign-up; then the total is counted.
        """
        page = max(page, 0)
        size = self.config.shifts.page_size
        params: dict[str, Any] = {"now": self.clock.now(), "limit": size + 1, "offset": page * size,
                                  "member_id": member_id}
        if activity_type_id is not None:
            params["activity_type_id"] = activity_type_id
        if neighbourhood_id is not None:
            params["neighbourhood_id"] = neighbourhood_id
        if date_from is not None:
            params["from"] = self._local_midnight(date_from)
        if date_to is not None:
            params["to"] = self._local_midnight(date_to + timedelta(days=1))
        page_query, count_query = _listing_statements(
            activity_type_id is not None, neighbourhood_id is not None, date_from is not None, date_to is not None)
        async with self.db.read() as session:
            rows = (await session.execute(page_query, params)).all()
            total = await session.scalar(count_query, params) or 0
        has_next = len(rows) > size
        items = tuple(
            ShiftListItem(
                shift_id=row.id, starts_at=row.starts_at, ends_at=row.ends_at, activity=_named_from(row, "activity"),
                neighbourhood=_named_from(row, "neighbourhood"), organisation=_named_from(row, "organisation"),
                venue=row.venue, capacity=row.capacity, booked_count=row.booked_count,
                free_places=max(row.capacity - row.booked_count, 0), waitlist_length=row.waitlist_length or 0,
                requires_dbs=row.requires_dbs, my_status=row.my_status)
            for row in rows[:size])
        return ShiftPage(items, page, has_next, total, size)

    async def shift_card(self, shift_id: int, *, member_id: int) -> ShiftCard | None:
        """The detail card of any shift (cancelled ones too; see `status`), or None."""
        now = self.clock.now()
        async with self.db.read() as session:
            row = (await session.execute(
                select(Shift, ActivityType, Neighbourhood, Organisation)
                .join(ActivityType, ActivityType.id == Shift.activity_type_id)
                .join(Neighbourhood, Neighbourhood.id == Shift.neighbourhood_id)
                .join(Organisation, Organisation.id == Shift.organisation_id)
                .where(Shift.id == shift_id))).first()
            if row is None:
                return None
            shift: Shift = row.Shift
            waitlists, mine = await self._waitlists_and_mine(session, [shift_id], member_id)
            my_status = mine.get(shift_id)
            position = None
            if my_status is SignupStatus.WAITLISTED:
                position = (await self._waitlist_positions(session, member_id, [shift_id])).get(shift_id)
            my_dbs_valid = None
            if shift.requires_dbs:
                my_dbs_valid = await dbs_valid_on(session, member_id, self._local_date(shift.starts_at),
                                                  valid_years=self.config.shifts.dbs_valid_years)
            is_coordinator = await roles.has_role(session, member_id, Role.COORDINATOR, shift.organisation_id)
        return ShiftCard(
            shift_id=shift.id, status=shift.status, organisation=_named(row.Organisation),
            activity=_named(row.ActivityType), neighbourhood=_named(row.Neighbourhood), venue=shift.venue,
            address=shift.address, latitude=shift.latitude, longitude=shift.longitude,
            starts_at=shift.starts_at, ends_at=shift.ends_at, capacity=shift.capacity, minimum=shift.minimum,
            booked_count=shift.booked_count, free_places=max(shift.capacity - shift.booked_count, 0),
            waitlist_length=waitlists.get(shift_id, 0), requires_dbs=shift.requires_dbs,
            description_en=shift.description_en, description_cy=shift.description_cy, series_id=shift.series_id,
            has_started=now >= shift.starts_at, has_ended=now >= shift.ends_at, my_status=my_status,
            my_waitlist_position=position, my_dbs_valid=my_dbs_valid, viewer_is_coordinator=is_coordinator)

    async def my_shifts(self, member_id: int) -> tuple[MyShift, ...]:
        """The member's booked and waitlisted shifts that have not ended, soonest first."""
        now = self.clock.now()
        async with self.db.read() as session:
            rows = (await session.execute(
                select(ShiftSignup.id.label("signup_id"), ShiftSignup.status, Shift.id, Shift.starts_at,
                       Shift.ends_at, Shift.venue, Shift.requires_dbs, ActivityType, Neighbourhood, Organisation)
                .join(Shift, Shift.id == ShiftSignup.shift_id)
                .join(ActivityType, ActivityType.id == Shift.activity_type_id)
                .join(Neighbourhood, Neighbourhood.id == Shift.neighbourhood_id)
                .join(Organisation, Organisation.id == Shift.organisation_id)
                .where(ShiftSignup.member_id == member_id, ShiftSignup.status.in_(_LIVE),
                       Shift.status == ShiftStatus.OPEN, Shift.ends_at > now)
                .order_by(Shift.starts_at, Shift.id))).all()
            waitlisted = [row.id for row in rows if row.status is SignupStatus.WAITLISTED]
            positions = await self._waitlist_positions(session, member_id, waitlisted) if waitlisted else {}
        return tuple(
            MyShift(signup_id=row.signup_id, shift_id=row.id, status=row.status,
                    waitlist_position=positions.get(row.id) if row.status is SignupStatus.WAITLISTED else None,
                    starts_at=row.starts_at, ends_at=row.ends_at, activity=_named(row.ActivityType),
                    organisation=_named(row.Organisation), neighbourhood=_named(row.Neighbourhood),
                    venue=row.venue, requires_dbs=row.requires_dbs)
            for row in rows)

    # ------------------------------------------------------------------ booking

    async def sign_up(self, member_id: int, shift_id: int) -> SignupOutcome:
        """Book a place: BOOKED, or FULL (offer `join_waitlist`), or why not."""
        return await self._sign_up(member_id, shift_id, waitlist=False)

    async def join_waitlist(self, member_id: int, shift_id: int) -> SignupOutcome:
        """Join the waitlist of a full shift: WAITLISTED, or BOOKED if a place is free."""
        return await self._sign_up(member_id, shift_id, waitlist=True)

    async def _sign_up(self, member_id: int, shift_id: int, *, waitlist: bool) -> SignupOutcome:
        # The partial unique index (one live sign-up per member and shift) is the last
        # word on duplicates; the member lock makes hitting it unlikely. If it fires, the
        # whole transaction is gone, so decide again in a fresh one.
        for attempt in range(2):
            try:
                async with self.db.transaction() as session:
                    return await self._sign_up_in(session, member_id, shift_id, waitlist=waitlist)
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _sign_up_in(self, session: AsyncSession, member_id: int, shift_id: int, *,
                          waitlist: bool) -> SignupOutcome:
        now = self.clock.now()
        member = await session.scalar(
            select(Member).where(Member.id == member_id).with_for_update(key_share=True))
        registered = member is not None and member.registered_at is not None and member.erased_at is None
        shift = await session.get(Shift, shift_id)
        if not registered or shift is None:
            return decide_signup(SignupFacts(member_registered=registered, shift_found=shift is not None), now,
                                 waitlist=waitlist)
        existing = await session.scalar(select(ShiftSignup.status).where(
            ShiftSignup.shift_id == shift_id, ShiftSignup.member_id == member_id,
            ShiftSignup.status.in_(_LIVE)))
        facts = SignupFacts(
            member_registered=True, shift_found=True, shift_status=shift.status, starts_at=shift.starts_at,
            ends_at=shift.ends_at, existing=existing, requires_dbs=shift.requires_dbs,
            dbs_valid=shift.requires_dbs and await self._dbs_valid(session, member_id, shift),
            collides=await _collides(session, member_id, shift.starts_at, shift.ends_at, shift_id),
            has_free_place=shift.booked_count < shift.capacity)
        outcome = decide_signup(facts, now, waitlist=waitlist)
        if outcome is SignupOutcome.WAITLISTED:
            # Decide again with the shift row locked, so a place freed by a concurrent
            # cancellation is either seen here or offered to this sign-up by its promotion.
            locked = await _lock_shift(session, shift_id)
            assert locked is not None
            outcome = decide_signup(replace(facts, shift_status=locked.status,
                                            has_free_place=locked.booked_count < locked.capacity),
                                    now, waitlist=True)
        if outcome is SignupOutcome.BOOKED:
            if await _take_place(session, shift_id):
                session.add(ShiftSignup(shift_id=shift_id, member_id=member_id, status=SignupStatus.BOOKED,
                                        created_at=now, booked_at=now))
                await session.flush()
                return SignupOutcome.BOOKED
            # Lost the last place to a concurrent booking (or the shift was just cancelled).
            status = await session.scalar(select(Shift.status).where(Shift.id == shift_id))
            if status is ShiftStatus.CANCELLED:
                return SignupOutcome.SHIFT_CANCELLED
            if not waitlist:
                return SignupOutcome.FULL
            outcome = SignupOutcome.WAITLISTED
        if outcome is SignupOutcome.WAITLISTED:
            session.add(ShiftSignup(shift_id=shift_id, member_id=member_id, status=SignupStatus.WAITLISTED,
                                    created_at=now))
            await session.flush()
        return outcome

    async def leave(self, member_id: int, shift_id: int) -> LeaveOutcome:
        """Cancel one's booking (freeing the place for the waitlist) or leave the waitlist."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            found = await _own_live_signup(session, member_id, shift_id, now)
            if isinstance(found, str):
                return LeaveOutcome(found)
            shift, signup = found
            if signup.status is SignupStatus.WAITLISTED:
                signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
                await session.flush()
                return LeaveOutcome.LEFT_WAITLIST
            late = await self._release(session, shift, signup, now, reason="cancelled")
            return LeaveOutcome.CANCELLED_LATE if late else LeaveOutcome.CANCELLED

    async def decline_promotion(self, member_id: int, shift_id: int) -> DeclineOutcome:
        """Give up a place that came from the waitlist; it is offered to the next in line."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            found = await _own_live_signup(session, member_id, shift_id, now)
            if isinstance(found, str):
                return DeclineOutcome(found)
            shift, signup = found
            if not _was_promoted(signup):
                return DeclineOutcome.NOT_PROMOTED
            await self._release(session, shift, signup, now, reason="declined_promotion")
            return DeclineOutcome.DECLINED

    async def withdraw_member(self, session: AsyncSession, member_id: int, *,
                              now: datetime | None = None) -> int:
        """Cancel all of a member's sign-ups on shifts not yet started, in the caller's
        transaction; for erasure (/forget), so an erased member holds no place and is
        never promoted. Places freed go to the waitlist as usual. Returns how many."""
        now = now or self.clock.now()
        shift_ids = (await session.scalars(
            select(ShiftSignup.shift_id).join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(ShiftSignup.member_id == member_id, ShiftSignup.status.in_(_LIVE),
                   Shift.status == ShiftStatus.OPEN, Shift.starts_at > now)
            .order_by(ShiftSignup.shift_id))).all()
        for shift_id in shift_ids:  # ascending, so two withdrawals lock shifts in the same order
            shift = await _lock_shift(session, shift_id)
            signup = await _live_signup(session, member_id, shift_id)
            if shift is None or signup is None:
                continue
            if signup.status is SignupStatus.WAITLISTED:
                signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
                await session.flush()
            else:
                await self._release(session, shift, signup, now, reason="member_withdrawn")
        return len(shift_ids)

    async def _release(self, session: AsyncSession, shift: Shift, signup: ShiftSignup, now: datetime, *,
                       reason: str) -> bool:
        """Cancel a booking, free its place, promote from the waitlist; True if it was late."""
        signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
        await session.flush()
        await session.execute(update(Shift).where(Shift.id == shift.id, Shift.booked_count > 0)
                              .values(booked_count=Shift.booked_count - 1)
                              .execution_options(synchronize_session=False))
        promoted = await self._promote(session, shift, now)
        hours = self.config.shifts.late_cancellation_hours
        late = hours > 0 and shift.starts_at - now <= timedelta(hours=hours)
        if late:
            booked_count = await session.scalar(select(Shift.booked_count).where(Shift.id == shift.id))
            payload = {"shift_id": shift.id, "signup_id": signup.id, "member_id": signup.member_id,
                       "reason": reason, "starts_at": _iso(shift.starts_at), "promoted_member_ids": promoted,
                       "booked_count": booked_count, "capacity": shift.capacity, "minimum": shift.minimum}
            for coordinator_id in await roles.members_with_role(session, Role.COORDINATOR, shift.organisation_id):
                await outbox.enqueue(session, member_id=coordinator_id, kind="late_cancellation", payload=payload,
                                     now=now, dedupe_key=f"late_cancellation:{signup.id}:{coordinator_id}")
        return late

    async def _promote(self, session: AsyncSession, shift: Shift, now: datetime) -> list[int]:
        """Fill free places from the waitlist, first come first served; the promoted member ids.

        The caller holds the shift row lock. A waitlisted member who could not book the
        shift now (DBS, or an overlapping booking since) is skipped and keeps their place.
        """
        waiting = (await session.scalars(
            select(ShiftSignup).join(Member, Member.id == ShiftSignup.member_id)
            .where(ShiftSignup.shift_id == shift.id, ShiftSignup.status == SignupStatus.WAITLISTED,
                   Member.erased_at.is_(None))
            .order_by(ShiftSignup.id))).all()
        promoted: list[int] = []
        for signup in waiting:
            if shift.requires_dbs and not await self._dbs_valid(session, signup.member_id, shift):
                continue
            if await _collides(session, signup.member_id, shift.starts_at, shift.ends_at, shift.id):
                continue
            if not await _take_place(session, shift.id):
                break  # no place left
            # Strictly after joining, even on a clock that stands still: that is what
            # tells a promotion from a direct booking (see _was_promoted).
            signup.status = SignupStatus.BOOKED
            signup.booked_at = max(now, signup.created_at + timedelta(microseconds=1))
            await session.flush()
            await outbox.enqueue(session, member_id=signup.member_id, kind="waitlist_promoted", now=now,
                                 payload={"shift_id": shift.id, "signup_id": signup.id,
                                          "starts_at": _iso(shift.starts_at)},
                                 dedupe_key=f"waitlist_promoted:{signup.id}")
            promoted.append(signup.member_id)
        return promoted

    # ------------------------------------------------------------------ reminders

    async def queue_due_reminders(self, now: datetime | None = None) -> int:
        """Queue a "shift_reminder" for every booking whose shift starts within
        `shifts.reminder_hours_before`; idempotent: one per booking and start time, so a
        shift moved after its reminder went out is reminded of again at its new time.
        Returns how many were queued now."""
        now = now or self.clock.now()
        horizon = now + timedelta(hours=self.config.shifts.reminder_hours_before)
        async with self.db.transaction() as session:
            rows = (await session.execute(
                select(ShiftSignup.id, ShiftSignup.member_id, Shift.id.label("shift_id"), Shift.starts_at)
                .join(Shift, Shift.id == ShiftSignup.shift_id)
                .join(Member, Member.id == ShiftSignup.member_id)
                .where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > now, Shift.starts_at <= horizon,
                       ShiftSignup.status == SignupStatus.BOOKED, Member.erased_at.is_(None))
                .order_by(Shift.starts_at, ShiftSignup.id))).all()
            queued = 0
            for row in rows:
                queued += await outbox.enqueue(
                    session, member_id=row.member_id, kind="shift_reminder", now=now,
                    payload={"shift_id": row.shift_id, "signup_id": row.id, "starts_at": _iso(row.starts_at)},
                    dedupe_key=f"reminder:{row.id}:{int(row.starts_at.timestamp())}")
            return queued

    # ------------------------------------------------------------------ helpers

    def _local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.config.tz).astimezone(timezone.utc)

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.config.tz).date()

    async def _dbs_valid(self, session: AsyncSession, member_id: int, shift: Shift) -> bool:
        return await dbs_valid_on(session, member_id, self._local_date(shift.starts_at),
                                  valid_years=self.config.shifts.dbs_valid_years)

    async def _waitlists_and_mine(self, session: AsyncSession, shift_ids: list[int],
                                  member_id: int) -> tuple[dict[int, int], dict[int, SignupStatus]]:
        if not shift_ids:
            return {}, {}
        waitlists = dict((await session.execute(
            select(ShiftSignup.shift_id, func.count())
            .where(ShiftSignup.shift_id.in_(shift_ids), ShiftSignup.status == SignupStatus.WAITLISTED)
            .group_by(ShiftSignup.shift_id))).all())
        mine = dict((await session.execute(
            select(ShiftSignup.shift_id, ShiftSignup.status)
            .where(ShiftSignup.member_id == member_id, ShiftSignup.shift_id.in_(shift_ids),
                   ShiftSignup.status.in_(_LIVE)))).all())
        return waitlists, mine

    async def _waitlist_positions(self, session: AsyncSession, member_id: int,
                                  shift_ids: list[int]) -> dict[int, int]:
        """{shift_id: 1-based position} of the member's waitlisted sign-ups on these shifts."""
        mine = ShiftSignup.__table__.alias("mine")
        ahead = ShiftSignup.__table__.alias("ahead")
        rows = await session.execute(
            select(mine.c.shift_id, func.count(ahead.c.id))
            .join(ahead, and_(ahead.c.shift_id == mine.c.shift_id, ahead.c.id <= mine.c.id,
                              ahead.c.status == SignupStatus.WAITLISTED))
            .where(mine.c.member_id == member_id, mine.c.shift_id.in_(shift_ids),
                   mine.c.status == SignupStatus.WAITLISTED)
            .group_by(mine.c.shift_id))
        return dict(rows.all())


# ----------------------------------------------------------------------------- module helpers


@functools.cache
def _listing_statements(by_activity: bool, by_neighbourhood: bool, date_from: bool,
                        date_to: bool) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements of `list_upcoming` for one combination of filters,
    built once with bound parameters: building and hashing a statement of this size
    costs more Python time than the database takes to run it."""
    conditions = [Shift.status == ShiftStatus.OPEN, Shift.starts_at > bindparam("now")]
    if by_activity:
        conditions.append(Shift.activity_type_id == bindparam("activity_type_id"))
    if by_neighbourhood:
        conditions.append(Shift.neighbourhood_id == bindparam("neighbourhood_id"))
    if date_from:
        conditions.append(Shift.starts_at >= bindparam("from"))
    if date_to:
        conditions.append(Shift.starts_at < bindparam("to"))
    page_rows = (select(Shift.id, Shift.starts_at, Shift.ends_at, Shift.venue, Shift.capacity, Shift.booked_count,
                        Shift.requires_dbs, Shift.activity_type_id, Shift.neighbourhood_id, Shift.organisation_id)
                 .where(*conditions).order_by(Shift.starts_at, Shift.id)
                 .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
                 .subquery("page"))
    waitlist_length = (select(func.count()).select_from(ShiftSignup)
                       .where(ShiftSignup.shift_id == page_rows.c.id, ShiftSignup.status == SignupStatus.WAITLISTED)
                       .scalar_subquery())
    my_status = (select(ShiftSignup.status)
                 .where(ShiftSignup.shift_id == page_rows.c.id, ShiftSignup.member_id == bindparam("member_id"),
                        ShiftSignup.status.in_(_LIVE))
                 .limit(1).scalar_subquery())
    page_query = (select(page_rows, waitlist_length.label("waitlist_length"), my_status.label("my_status"),
                         *_name_columns(ActivityType, "activity"), *_name_columns(Neighbourhood, "neighbourhood"),
                         *_name_columns(Organisation, "organisation"))
                  .join(ActivityType, ActivityType.id == page_rows.c.activity_type_id)
                  .join(Neighbourhood, Neighbourhood.id == page_rows.c.neighbourhood_id)
                  .join(Organisation, Organisation.id == page_rows.c.organisation_id)
                  .order_by(page_rows.c.starts_at, page_rows.c.id))
    count_query = select(func.count()).select_from(Shift).where(*conditions)
    return page_query, count_query


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


def _was_promoted(signup: ShiftSignup) -> bool:
    # A direct booking is booked the instant it is made (booked_at == created_at); a
    # promotion is booked later (_promote makes sure of it).
    return signup.booked_at is not None and signup.booked_at > signup.created_at


async def _lock_shift(session: AsyncSession, shift_id: int) -> Shift | None:
    """The shift, re-read and row-locked until the transaction ends (PostgreSQL's FOR NO
    KEY UPDATE, which still lets others insert rows referencing the shift; on SQLite
    the whole database is already locked by BEGIN IMMEDIATE)."""
    return await session.scalar(select(Shift).where(Shift.id == shift_id).with_for_update(key_share=True)
                                .execution_options(populate_existing=True))


async def _take_place(session: AsyncSession, shift_id: int) -> bool:
    """The guarded increment: True if a place was free and is now taken."""
    result = await session.execute(
        update(Shift)
        .where(Shift.id == shift_id, Shift.booked_count < Shift.capacity, Shift.status == ShiftStatus.OPEN)
        .values(booked_count=Shift.booked_count + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


async def _own_live_signup(session: AsyncSession, member_id: int, shift_id: int,
                           now: datetime) -> tuple[Shift, ShiftSignup] | str:
    """The locked shift and the member's live sign-up on it, or why there is none to give
    up: "not_found", "shift_cancelled", "signup_closed" or "not_signed_up" (the values
    LeaveOutcome and DeclineOutcome share)."""
    shift = await _lock_shift(session, shift_id)
    if shift is None:
        return "not_found"
    if shift.status is ShiftStatus.CANCELLED:
        return "shift_cancelled"
    if now >= shift.starts_at:
        return "signup_closed"
    signup = await _live_signup(session, member_id, shift_id)
    if signup is None:
        return "not_signed_up"
    return shift, signup


async def _live_signup(session: AsyncSession, member_id: int, shift_id: int) -> ShiftSignup | None:
    return await session.scalar(select(ShiftSignup).where(
        ShiftSignup.shift_id == shift_id, ShiftSignup.member_id == member_id, ShiftSignup.status.in_(_LIVE)))


async def _collides(session: AsyncSession, member_id: int, starts_at: datetime, ends_at: datetime,
                    shift_id: int) -> bool:
    """Whether the member is booked on another open shift overlapping [starts_at, ends_at)."""
    return await session.scalar(
        select(ShiftSignup.id).join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.member_id == member_id, ShiftSignup.status == SignupStatus.BOOKED,
               Shift.status == ShiftStatus.OPEN, Shift.id != shift_id,
               Shift.starts_at < ends_at, Shift.ends_at > starts_at)
        .limit(1)) is not None
