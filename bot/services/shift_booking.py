"""Booking: the sign-up and waiting-list core, where concurrent presses meet.

Every public method is one database transaction (or runs in the caller's, where it
says so); a refusal writes nothing. Times in and out are aware UTC.

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

Notifications (in the transaction of the change): ``waitlist_promoted`` to a member
given a place, ``late_cancellation`` to the organisation's coordinators when a booking
is given up within `shifts.late_cancellation_hours` of the start, otherwise
``cover_needed`` when it is given up within 48 hours and leaves the shift below its
capacity (bot/services/cover.py).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import Member, Role, Shift, ShiftSignup, ShiftStatus, SignupStatus
from bot.db.session import Database, rows_changed
from bot.services import outbox, outbox_payloads as payloads, roles
from bot.services.cover import alert_if_short
from bot.services.dbs import counting_organisation, dbs_valid_on
from bot.services.outbox_payloads import ReleaseReason
from bot.services.shift_rules import LIVE_SIGNUP, SignupFacts, SignupOutcome, decide_signup

__all__ = ["DeclineOutcome", "LeaveOutcome", "ShiftBooking", "SignupOutcome"]

GivenUp = TypeVar("GivenUp", "LeaveOutcome", "DeclineOutcome")  # what giving up a place comes to


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


class NoLiveSignup(enum.Enum):
    """Why a member has no place on a shift to give up (leave or decline)."""

    SHIFT_NOT_FOUND = enum.auto()
    SHIFT_CANCELLED = enum.auto()
    SIGNUP_CLOSED = enum.auto()
    NOT_SIGNED_UP = enum.auto()


_LEAVE_WHEN = {NoLiveSignup.SHIFT_NOT_FOUND: LeaveOutcome.NOT_FOUND,
               NoLiveSignup.SHIFT_CANCELLED: LeaveOutcome.SHIFT_CANCELLED,
               NoLiveSignup.SIGNUP_CLOSED: LeaveOutcome.SIGNUP_CLOSED,
               NoLiveSignup.NOT_SIGNED_UP: LeaveOutcome.NOT_SIGNED_UP}
_DECLINE_WHEN = {NoLiveSignup.SHIFT_NOT_FOUND: DeclineOutcome.NOT_FOUND,
                 NoLiveSignup.SHIFT_CANCELLED: DeclineOutcome.SHIFT_CANCELLED,
                 NoLiveSignup.SIGNUP_CLOSED: DeclineOutcome.SIGNUP_CLOSED,
                 NoLiveSignup.NOT_SIGNED_UP: DeclineOutcome.NOT_SIGNED_UP}


def local_date(config: Config, at: datetime) -> date:
    return at.astimezone(config.tz).date()


async def dbs_valid_for(session: AsyncSession, config: Config, member_id: int, shift: Shift) -> bool:
    """Whether the member has a DBS check valid on the shift's (London) date."""
    return await dbs_valid_on(session, member_id, local_date(config, shift.starts_at),
                              valid_years=config.shifts.dbs_valid_years,
                              organisation_id=counting_organisation(config, shift.organisation_id))


class ShiftBooking:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

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
            ShiftSignup.status.in_(LIVE_SIGNUP)))
        facts = SignupFacts(
            member_registered=True, shift_found=True, shift_status=shift.status, starts_at=shift.starts_at,
            ends_at=shift.ends_at, existing=existing, requires_dbs=shift.requires_dbs,
            dbs_valid=shift.requires_dbs and await dbs_valid_for(session, self.config, member_id, shift),
            collides=await collides(session, member_id, shift.starts_at, shift.ends_at, shift_id),
            has_free_place=shift.booked_count < shift.capacity)
        outcome = decide_signup(facts, now, waitlist=waitlist)
        if outcome is SignupOutcome.WAITLISTED:
            # Decide again with the shift row locked, so a place freed by a concurrent
            # cancellation is either seen here or offered to this sign-up by its promotion.
            locked = await lock_shift(session, shift_id)
            assert locked is not None
            outcome = decide_signup(replace(facts, shift_status=locked.status,
                                            has_free_place=locked.booked_count < locked.capacity),
                                    now, waitlist=True)
        if outcome is SignupOutcome.BOOKED:
            if await take_place(session, shift_id):
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

    async def _give_up(self, member_id: int, shift_id: int, refused: Mapping[NoLiveSignup, GivenUp],
                       act: Callable[[AsyncSession, Shift, ShiftSignup, datetime], Awaitable[GivenUp]]) -> GivenUp:
        """`act` on the member's live sign-up to the shift, in one transaction; or, through
        `refused`, why they have none to give up."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            found = await _own_live_signup(session, member_id, shift_id, now)
            if isinstance(found, NoLiveSignup):
                return refused[found]
            return await act(session, *found, now)

    async def leave(self, member_id: int, shift_id: int) -> LeaveOutcome:
        """Cancel one's booking (freeing the place for the waitlist) or leave the waitlist."""
        async def leave_it(session: AsyncSession, shift: Shift, signup: ShiftSignup, now: datetime) -> LeaveOutcome:
            if signup.status is SignupStatus.WAITLISTED:
                signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
                await session.flush()
                return LeaveOutcome.LEFT_WAITLIST
            late = await self._release(session, shift, signup, now, reason=ReleaseReason.CANCELLED)
            return LeaveOutcome.CANCELLED_LATE if late else LeaveOutcome.CANCELLED
        return await self._give_up(member_id, shift_id, _LEAVE_WHEN, leave_it)

    async def decline_promotion(self, member_id: int, shift_id: int) -> DeclineOutcome:
        """Give up a place that came from the waitlist; it is offered to the next in line."""
        async def decline(session: AsyncSession, shift: Shift, signup: ShiftSignup, now: datetime) -> DeclineOutcome:
            if not _was_promoted(signup):
                return DeclineOutcome.NOT_PROMOTED
            await self._release(session, shift, signup, now, reason=ReleaseReason.DECLINED_PROMOTION)
            return DeclineOutcome.DECLINED
        return await self._give_up(member_id, shift_id, _DECLINE_WHEN, decline)

    async def withdraw_member(self, session: AsyncSession, member_id: int, *,
                              now: datetime | None = None) -> int:
        """Cancel all of a member's sign-ups on shifts not yet started, in the caller's
        transaction; for erasure (/forget), so an erased member holds no place and is
        never promoted. Places freed go to the waitlist as usual. Returns how many."""
        now = now or self.clock.now()
        shift_ids = (await session.scalars(
            select(ShiftSignup.shift_id).join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(ShiftSignup.member_id == member_id, ShiftSignup.status.in_(LIVE_SIGNUP),
                   Shift.status == ShiftStatus.OPEN, Shift.starts_at > now)
            .order_by(ShiftSignup.shift_id))).all()
        for shift_id in shift_ids:  # ascending, so two withdrawals lock shifts in the same order
            shift = await lock_shift(session, shift_id)
            signup = await live_signup(session, member_id, shift_id)
            if shift is None or signup is None:
                continue
            if signup.status is SignupStatus.WAITLISTED:
                signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
                await session.flush()
            else:
                await self._release(session, shift, signup, now, reason=ReleaseReason.MEMBER_WITHDRAWN)
        return len(shift_ids)

    async def _release(self, session: AsyncSession, shift: Shift, signup: ShiftSignup, now: datetime, *,
                       reason: ReleaseReason) -> bool:
        """Cancel a booking, free its place, promote from the waitlist; True if it was late."""
        signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
        await session.flush()
        await session.execute(update(Shift).where(Shift.id == shift.id, Shift.booked_count > 0)
                              .values(booked_count=Shift.booked_count - 1)
                              .execution_options(synchronize_session=False))
        promoted = await self.promote(session, shift, now)
        hours = self.config.shifts.late_cancellation_hours
        late = hours > 0 and shift.starts_at - now <= timedelta(hours=hours)
        if late:
            booked_count = await session.scalar(select(Shift.booked_count).where(Shift.id == shift.id))
            payload = payloads.LateCancellation(
                shift_id=shift.id, signup_id=signup.id, member_id=signup.member_id, reason=reason,
                starts_at=shift.starts_at, promoted_member_ids=tuple(promoted), booked_count=booked_count or 0,
                capacity=shift.capacity, minimum=shift.minimum)
            for coordinator_id in await roles.members_with_role(session, Role.COORDINATOR, shift.organisation_id):
                await outbox.enqueue(session, member_id=coordinator_id, payload=payload, now=now,
                                     dedupe_key=f"late_cancellation:{signup.id}:{coordinator_id}")
        else:  # the late alert carries Find cover itself (handlers/reminders.py)
            await alert_if_short(session, shift, signup.id, now)
        return late

    async def promote(self, session: AsyncSession, shift: Shift, now: datetime) -> list[int]:
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
            if shift.requires_dbs and not await dbs_valid_for(session, self.config, signup.member_id, shift):
                continue
            if await collides(session, signup.member_id, shift.starts_at, shift.ends_at, shift.id):
                continue
            if not await take_place(session, shift.id):
                break  # no place left
            # Strictly after joining, even on a clock that stands still: that is what
            # tells a promotion from a direct booking (see _was_promoted).
            signup.status = SignupStatus.BOOKED
            signup.booked_at = max(now, signup.created_at + timedelta(microseconds=1))
            await session.flush()
            await outbox.enqueue(session, member_id=signup.member_id, now=now,
                                 payload=payloads.WaitlistPromoted(shift_id=shift.id, signup_id=signup.id,
                                                                   starts_at=shift.starts_at),
                                 dedupe_key=f"waitlist_promoted:{signup.id}")
            promoted.append(signup.member_id)
        return promoted



def _was_promoted(signup: ShiftSignup) -> bool:
    # A direct booking is booked the instant it is made (booked_at == created_at); a
    # promotion is booked later (promote makes sure of it).
    return signup.booked_at is not None and signup.booked_at > signup.created_at


async def lock_shift(session: AsyncSession, shift_id: int) -> Shift | None:
    """The shift, re-read and row-locked until the transaction ends (PostgreSQL's FOR NO
    KEY UPDATE, which still lets others insert rows referencing the shift; on SQLite
    the whole database is already locked by BEGIN IMMEDIATE)."""
    return await session.scalar(select(Shift).where(Shift.id == shift_id).with_for_update(key_share=True)
                                .execution_options(populate_existing=True))


async def take_place(session: AsyncSession, shift_id: int) -> bool:
    """The guarded increment: True if a place was free and is now taken."""
    return await rows_changed(session, update(Shift)
                              .where(Shift.id == shift_id, Shift.booked_count < Shift.capacity,
                                     Shift.status == ShiftStatus.OPEN)
                              .values(booked_count=Shift.booked_count + 1)
                              .execution_options(synchronize_session=False)) == 1


async def _own_live_signup(session: AsyncSession, member_id: int, shift_id: int,
                           now: datetime) -> tuple[Shift, ShiftSignup] | NoLiveSignup:
    """The locked shift and the member's live sign-up on it, or why there is none to give up."""
    shift = await lock_shift(session, shift_id)
    if shift is None:
        return NoLiveSignup.SHIFT_NOT_FOUND
    if shift.status is ShiftStatus.CANCELLED:
        return NoLiveSignup.SHIFT_CANCELLED
    if now >= shift.starts_at:
        return NoLiveSignup.SIGNUP_CLOSED
    signup = await live_signup(session, member_id, shift_id)
    if signup is None:
        return NoLiveSignup.NOT_SIGNED_UP
    return shift, signup


async def live_signup(session: AsyncSession, member_id: int, shift_id: int) -> ShiftSignup | None:
    return await session.scalar(select(ShiftSignup).where(
        ShiftSignup.shift_id == shift_id, ShiftSignup.member_id == member_id, ShiftSignup.status.in_(LIVE_SIGNUP)))


async def collides(session: AsyncSession, member_id: int, starts_at: datetime, ends_at: datetime,
                    shift_id: int) -> bool:
    """Whether the member is booked on another open shift overlapping [starts_at, ends_at)."""
    return await session.scalar(
        select(ShiftSignup.id).join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.member_id == member_id, ShiftSignup.status == SignupStatus.BOOKED,
               Shift.status == ShiftStatus.OPEN, Shift.id != shift_id,
               Shift.starts_at < ends_at, Shift.ends_at > starts_at)
        .limit(1)) is not None
