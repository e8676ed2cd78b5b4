"""DBS checks: recorded by a coordinator, consulted when a member signs up.

Work with children or vulnerable adults needs a check by the Disclosure and Barring
Service. The scheme records the date a check was made, by which organisation, and
who recorded it; a check counts as valid from that date until its anniversary
`shifts.dbs_valid_years` later (exclusive). Whether a shift needs one is judged on
the shift's own date in Europe/London, not on the day of signing up.

Recording a check is privileged (a coordinator or TSO staff of an organisation) and
leaves an AuditEvent ("dbs_check_recorded"); nobody records their own check (another
coordinator or staff member must), as nobody decides their own hours or attendance.
Whether a check recorded by one organisation counts for another organisation's shifts
is the scheme's setting `shifts.dbs_counts_across_organisations` (default: it does).
No notification is sent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import AuditEvent, DbsCheck, Member, Role
from bot.db.session import Database
from bot.services import roles
from bot.services.shift_rules import add_years, dbs_check_valid_on


class DbsRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"  # of no organisation, or not of the one named
    OWN_CHECK = "own_check"  # nobody records their own DBS check
    MEMBER_NOT_FOUND = "member_not_found"  # no such member, or erased
    IN_FUTURE = "in_future"  # checked_on after today (London)


@dataclass(frozen=True)
class DbsStatus:
    """A member's DBS check as a coordinator sees it: the latest one made by today, and
    which organisation recorded it (whose shifts it counts for, when the scheme counts
    each organisation's checks only for its own shifts)."""

    member_id: int
    display_name: str | None
    checked_on: date | None  # None: no check recorded
    organisation_id: int | None  # the organisation that recorded it
    expires_on: date | None  # the first day on which it is no longer valid
    valid_today: bool
    counts_across_organisations: bool  # the scheme's setting


@dataclass(frozen=True)
class DbsRecorded:
    check_id: int
    member_id: int
    checked_on: date
    organisation_id: int
    expires_on: date  # the first day on which this check is no longer valid


async def latest_dbs_check(session: AsyncSession, member_id: int, on: date, *,
                           organisation_id: int | None = None) -> date | None:
    """The most recent check made on or before `on` (recorded by `organisation_id`, if given)."""
    query = select(func.max(DbsCheck.checked_on)).where(DbsCheck.member_id == member_id, DbsCheck.checked_on <= on)
    if organisation_id is not None:
        query = query.where(DbsCheck.organisation_id == organisation_id)
    return await session.scalar(query)


def counting_organisation(config: Config, shift_organisation_id: int) -> int | None:
    """Whose checks count for a shift of this organisation: anyone's (None), or only its
    own, as the scheme decides."""
    return None if config.shifts.dbs_counts_across_organisations else shift_organisation_id


async def dbs_valid_on(session: AsyncSession, member_id: int, on: date, *, valid_years: int,
                       organisation_id: int | None = None) -> bool:
    """Whether the member has a check valid on `on` (a local date); with
    `organisation_id`, one recorded by that organisation."""
    checked_on = await latest_dbs_check(session, member_id, on, organisation_id=organisation_id)
    return checked_on is not None and dbs_check_valid_on(checked_on, on, valid_years)


class DbsService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    @property
    def valid_years(self) -> int:
        return self.config.shifts.dbs_valid_years

    async def dbs_valid_on(self, session: AsyncSession, member_id: int, on: date) -> bool:
        return await dbs_valid_on(session, member_id, on, valid_years=self.valid_years)

    async def dbs_status(self, viewer_member_id: int, member_id: int) -> DbsStatus | DbsRefusal:
        """The member's latest DBS check, for a coordinator or TSO staff (who may record one)."""
        today = self.clock.now().astimezone(self.config.tz).date()
        async with self.db.read() as session:
            if not await _records_checks(session, viewer_member_id):
                return DbsRefusal.NOT_COORDINATOR
            member = await session.get(Member, member_id)
            if member is None or member.erased_at is not None:
                return DbsRefusal.MEMBER_NOT_FOUND
            check = await session.scalar(select(DbsCheck).where(
                DbsCheck.member_id == member_id, DbsCheck.checked_on <= today)
                .order_by(DbsCheck.checked_on.desc(), DbsCheck.id.desc()).limit(1))
            across = self.config.shifts.dbs_counts_across_organisations
            if check is None:
                return DbsStatus(member_id, member.display_name, None, None, None, False, across)
            return DbsStatus(member_id, member.display_name, check.checked_on, check.organisation_id,
                             add_years(check.checked_on, self.valid_years),
                             dbs_check_valid_on(check.checked_on, today, self.valid_years), across)

    async def record_dbs_check(self, coordinator_member_id: int, member_id: int, checked_on: date, *,
                               organisation_id: int | None = None) -> DbsRecorded | DbsRefusal:
        """Record that `member_id` had a DBS check on `checked_on`.

        The check is recorded as the organisation's: `organisation_id` when given (the
        coordinator must coordinate it), otherwise the lowest-numbered organisation the
        coordinator coordinates.
        """
        now = self.clock.now()
        today = now.astimezone(self.config.tz).date()
        async with self.db.transaction() as session:
            coordinated = await _records_checks(session, coordinator_member_id)
            if not coordinated or (organisation_id is not None and organisation_id not in coordinated):
                return DbsRefusal.NOT_COORDINATOR
            if member_id == coordinator_member_id:
                return DbsRefusal.OWN_CHECK
            organisation_id = organisation_id if organisation_id is not None else min(coordinated)
            member = await session.get(Member, member_id)
            if member is None or member.erased_at is not None:
                return DbsRefusal.MEMBER_NOT_FOUND
            if checked_on > today:
                return DbsRefusal.IN_FUTURE
            check = DbsCheck(member_id=member_id, checked_on=checked_on, organisation_id=organisation_id,
                             recorded_by_member_id=coordinator_member_id, recorded_at=now)
            session.add(check)
            await session.flush()
            session.add(AuditEvent(at=now, actor_member_id=coordinator_member_id, action="dbs_check_recorded",
                                   details={"check_id": check.id, "member_id": member_id,
                                            "checked_on": checked_on.isoformat(),
                                            "organisation_id": organisation_id}))
            return DbsRecorded(check.id, member_id, checked_on, organisation_id,
                               add_years(checked_on, self.valid_years))


async def _records_checks(session: AsyncSession, member_id: int) -> set[int]:
    """The organisations for which the member records DBS checks (coordinator or staff)."""
    return (set(await roles.organisations_with_role(session, member_id, Role.COORDINATOR))
            | set(await roles.organisations_with_role(session, member_id, Role.STAFF)))
