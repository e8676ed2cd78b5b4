"""Finding cover for a shift short of people.

When a booked place is given up within 48 hours of the start and the shift is then
below its capacity, the shift's coordinators are told ("cover_needed", in the
transaction of the cancellation; a late cancellation's own alert carries the same
button instead). The same alert goes out 48 hours before a shift still below its
minimum (bot/services/reminders.py). From it, one tap on "Find cover" sends the shift's
card with a Sign up button to every eligible volunteer, through the outbox:

- a registered individual member on Telegram, reachable, with broadcasts on;
- never signed up to this shift (booked, waiting, or having given a place up) and not
  booked on another open shift at an overlapping time;
- with a DBS check valid on the shift's day where the shift needs one;
- living in the shift's neighbourhood, or opted into its activity type (/settings).

Who may press it is decided here against the database at the press: a coordinator of
the shift's organisation. Each volunteer is sent the card once per shift and start time
(dedupe key), however often the button is pressed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.config import Config
from bot.db.models import Member, MemberKind, Role, Shift, ShiftSignup, ShiftStatus, SignupStatus
from bot.db.session import Database
from bot.services import outbox, roles
from bot.services.dbs import counting_organisation, dbs_valid_on
from bot.services.member_settings import accepts_broadcasts, interested_in
from bot.services.outbox import Priority
from bot.services.outbox_payloads import CoverNeeded, CoverReason, CoverWanted
from bot.services.roles import Unchangeable

COVER_WINDOW = timedelta(hours=48)  # how close to its start a shift short of people alerts its coordinators


class CoverRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"  # of this shift's organisation
    NOT_FOUND = "not_found"
    SHIFT_CANCELLED = "shift_cancelled"
    STARTED = "started"
    FULL = "full"  # no place free: nobody to find


_COVER_REFUSAL = {Unchangeable.NOT_FOUND: CoverRefusal.NOT_FOUND,
                  Unchangeable.NOT_COORDINATOR: CoverRefusal.NOT_COORDINATOR,
                  Unchangeable.CANCELLED: CoverRefusal.SHIFT_CANCELLED,
                  Unchangeable.STARTED: CoverRefusal.STARTED}


@dataclass(frozen=True)
class CoverSent:
    recipients: int  # eligible volunteers now, each sent the card once
    newly_queued: int  # of them, not sent it by an earlier press


async def alert_if_short(session: AsyncSession, shift: Shift, signup_id: int, now: datetime) -> int:
    """After a booked place on `shift` was given up (in that transaction, the waiting list
    already promoted): "cover_needed" to its coordinators if it starts within 48 hours
    and is now below its capacity. Returns how many were recorded."""
    booked = await session.scalar(select(Shift.booked_count).where(Shift.id == shift.id)) or 0
    if not (now < shift.starts_at <= now + COVER_WINDOW) or booked >= shift.capacity:
        return 0
    payload = CoverNeeded(shift_id=shift.id, starts_at=shift.starts_at, reason=CoverReason.DROPPED_OUT,
                          booked_count=booked, capacity=shift.capacity, minimum=shift.minimum)
    queued = 0
    for coordinator_id in await roles.members_with_role(session, Role.COORDINATOR, shift.organisation_id):
        queued += await outbox.enqueue(session, member_id=coordinator_id, payload=payload, now=now,
                                       dedupe_key=f"cover_needed:{signup_id}:{coordinator_id}")
    return queued


class FindCover:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def may_find_cover(self, member_id: int, shift_id: int) -> CoverRefusal | None:
        """Whether this member may press Find cover on this shift now (None: yes)."""
        async with self.db.read() as session:
            refusal = await self._refusal(session, member_id, shift_id, self.clock.now())
            return refusal if isinstance(refusal, CoverRefusal) else None

    async def find_cover(self, member_id: int, shift_id: int) -> CoverSent | CoverRefusal:
        """Send the shift's card to every eligible volunteer (see the module's rules)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            shift = await self._refusal(session, member_id, shift_id, now)
            if isinstance(shift, CoverRefusal):
                return shift
            volunteers = await self.eligible_volunteers(session, shift, exclude=member_id)
            queued = 0
            for volunteer_id in volunteers:
                queued += await outbox.enqueue(
                    session, member_id=volunteer_id, now=now, priority=Priority.BULK,
                    payload=CoverWanted(shift_id=shift.id, starts_at=shift.starts_at),
                    dedupe_key=f"cover:{shift.id}:{int(shift.starts_at.timestamp())}:{volunteer_id}")
            return CoverSent(len(volunteers), queued)

    async def eligible_volunteers(self, session: AsyncSession, shift: Shift, *, exclude: int | None = None
                                  ) -> list[int]:
        """The member ids Find cover reaches for this shift, in member order."""
        other = aliased(Shift)
        # Any sign-up to it, cancelled too: whoever has just said "I can't come" is not asked.
        signed_up = exists().where(ShiftSignup.shift_id == shift.id, ShiftSignup.member_id == Member.id)
        busy = (exists().where(ShiftSignup.member_id == Member.id, ShiftSignup.status == SignupStatus.BOOKED,
                               ShiftSignup.shift_id == other.id)
                .where(other.status == ShiftStatus.OPEN, other.id != shift.id,
                       other.starts_at < shift.ends_at, other.ends_at > shift.starts_at))
        query = (select(Member.id)
                 .where(Member.kind == MemberKind.INDIVIDUAL, Member.registered_at.is_not(None),
                        Member.erased_at.is_(None), Member.telegram_user_id.is_not(None),
                        Member.unreachable_at.is_(None), accepts_broadcasts(Member.id),
                        or_(Member.neighbourhood_id == shift.neighbourhood_id,
                            interested_in(Member.id, shift.activity_type_id)),
                        ~signed_up, ~busy)
                 .order_by(Member.id))
        if exclude is not None:
            query = query.where(Member.id != exclude)
        candidates = list(await session.scalars(query))
        if not shift.requires_dbs:
            return candidates
        day = shift.starts_at.astimezone(self.config.tz).date()
        organisation = counting_organisation(self.config, shift.organisation_id)
        return [candidate for candidate in candidates
                if await dbs_valid_on(session, candidate, day, valid_years=self.config.shifts.dbs_valid_years,
                                      organisation_id=organisation)]

    async def _refusal(self, session: AsyncSession, member_id: int, shift_id: int, now: datetime
                       ) -> Shift | CoverRefusal:
        shift = await roles.changeable_shift(session, member_id, await session.get(Shift, shift_id), now)
        if isinstance(shift, Unchangeable):
            return _COVER_REFUSAL[shift]
        if shift.booked_count >= shift.capacity:
            return CoverRefusal.FULL
        return shift
