"""A member's preferences (/settings): reminders, quiet hours, broadcasts, the activity
types they want to hear about. Their neighbourhood is `member.neighbourhood_id`
(`MemberService.set_neighbourhood`).

A member with no `member_settings` row has the defaults (reminders 24 h and 2 h
before, quiet 21:00-08:00, broadcasts on), so nobody needs a row written at
registration and a default changed here reaches everyone who never chose.

For choosing audiences in bulk (broadcasts, Find cover), `accepts_broadcasts` and
`interested_in` are SQL conditions on a member id, so a selection of thousands stays one
query; `preferences`, `broadcasts_enabled` and `interests` read one member.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.clock import Clock
from bot.db.enums import ReminderOffset
from bot.db.member_settings_models import MemberInterest, MemberSettings
from bot.db.models import ActivityType, Member
from bot.db.session import Database
from bot.services.reminder_rules import DEFAULT_OFFSETS, DEFAULT_QUIET, MAX_OFFSETS, QuietHours, longest_first

__all__ = ["MemberPreferences", "MemberSettingsService", "SettingsRefusal", "accepts_broadcasts",
           "export_preferences", "forget_preferences", "interested_in", "preferences_from_row"]


@dataclass(frozen=True)
class MemberPreferences:
    reminder_offsets: tuple[ReminderOffset, ...]  # longest first; empty: no reminders
    quiet: QuietHours
    broadcasts: bool
    interests: frozenset[int]  # activity type ids
    neighbourhood_id: int | None

    @property
    def reminders_on(self) -> bool:
        return bool(self.reminder_offsets)


class SettingsRefusal(enum.Enum):
    TOO_MANY_REMINDERS = "too_many_reminders"  # at most two
    UNKNOWN_ACTIVITY = "unknown_activity"
    NOT_A_MEMBER = "not_a_member"


def _wall(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _text(wall: time) -> str:
    return f"{wall.hour:02d}:{wall.minute:02d}"


def _offsets(values: Iterable[str] | None) -> tuple[ReminderOffset, ...]:
    known = {offset.value for offset in ReminderOffset}
    return longest_first(ReminderOffset(value) for value in values or () if value in known)


def preferences_from_row(row: MemberSettings | None, *, interests: frozenset[int] = frozenset(),
                         neighbourhood_id: int | None = None) -> MemberPreferences:
    """A row's preferences, or the defaults for a member without one."""
    if row is None:
        return MemberPreferences(DEFAULT_OFFSETS, QuietHours(*DEFAULT_QUIET), True, interests, neighbourhood_id)
    return MemberPreferences(_offsets(row.reminder_offsets), QuietHours(_wall(row.quiet_start), _wall(row.quiet_end)),
                             row.broadcasts, interests, neighbourhood_id)


# A member id column (Member.id, ShiftSignup.member_id...) in a bulk selection.
MemberId = ColumnElement[int] | InstrumentedAttribute[int]


def accepts_broadcasts(member_id: MemberId) -> ColumnElement[bool]:
    """A member who has not switched broadcasts off (no row: on)."""
    return ~exists().where(MemberSettings.member_id == member_id, MemberSettings.broadcasts.is_(False))


def interested_in(member_id: MemberId, activity_type_id: int | MemberId) -> ColumnElement[bool]:
    """A member who opted into hearing about this activity type."""
    return exists().where(MemberInterest.member_id == member_id, MemberInterest.activity_type_id == activity_type_id)


async def forget_preferences(session: AsyncSession, member_id: int) -> None:
    """Erasure (/forget), in its transaction: the choices go with the person."""
    await session.execute(delete(MemberInterest).where(MemberInterest.member_id == member_id))
    await session.execute(delete(MemberSettings).where(MemberSettings.member_id == member_id))


async def export_preferences(session: AsyncSession, member_id: int) -> dict[str, object]:
    """What /export shows of them."""
    row = await session.get(MemberSettings, member_id)
    preferences = preferences_from_row(row, interests=frozenset(await session.scalars(
        select(MemberInterest.activity_type_id).where(MemberInterest.member_id == member_id))))
    slugs = dict((await session.execute(select(ActivityType.id, ActivityType.slug))).tuples().all())
    return {"reminders": [offset.value for offset in preferences.reminder_offsets],
            "quiet_hours": None if preferences.quiet.none
            else f"{_text(preferences.quiet.start)}-{_text(preferences.quiet.end)}",
            "broadcasts": preferences.broadcasts,
            "activity_interests": sorted(slugs[type_id] for type_id in preferences.interests if type_id in slugs)}


class MemberSettingsService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- reading --------------------------------------------------------------------

    async def preferences(self, member_id: int) -> MemberPreferences:
        async with self.db.transaction() as session:
            return await self.preferences_in(session, member_id)

    async def preferences_in(self, session: AsyncSession, member_id: int) -> MemberPreferences:
        row = await session.get(MemberSettings, member_id)
        interests = frozenset(await session.scalars(
            select(MemberInterest.activity_type_id).where(MemberInterest.member_id == member_id)))
        neighbourhood_id = await session.scalar(select(Member.neighbourhood_id).where(Member.id == member_id))
        return preferences_from_row(row, interests=interests, neighbourhood_id=neighbourhood_id)

    async def broadcasts_enabled(self, member_id: int) -> bool:
        async with self.db.transaction() as session:
            found = await session.scalar(select(Member.id).where(Member.id == member_id, accepts_broadcasts(Member.id)))
            return found is not None

    async def interests(self, member_id: int) -> frozenset[int]:
        return (await self.preferences(member_id)).interests

    # -- changing (each one transaction; the new preferences back) --------------------

    async def toggle_reminder(self, member_id: int, offset: ReminderOffset) -> MemberPreferences | SettingsRefusal:
        """Add the offset, or take it away if chosen; a third is refused (at most two)."""
        async with self.db.transaction() as session:
            row = await self._row(session, member_id)
            if row is None:
                return SettingsRefusal.NOT_A_MEMBER
            chosen = set(_offsets(row.reminder_offsets))
            if offset in chosen:
                chosen.discard(offset)
            elif len(chosen) >= MAX_OFFSETS:
                return SettingsRefusal.TOO_MANY_REMINDERS
            else:
                chosen.add(offset)
            row.reminder_offsets = [value.value for value in longest_first(chosen)]
            return await self._saved(session, row)

    async def reminders_off(self, member_id: int) -> MemberPreferences | SettingsRefusal:
        async with self.db.transaction() as session:
            row = await self._row(session, member_id)
            if row is None:
                return SettingsRefusal.NOT_A_MEMBER
            row.reminder_offsets = []
            return await self._saved(session, row)

    async def set_quiet_hours(self, member_id: int, start: time, end: time) -> MemberPreferences | SettingsRefusal:
        """Local wall times; start == end for no quiet hours."""
        async with self.db.transaction() as session:
            row = await self._row(session, member_id)
            if row is None:
                return SettingsRefusal.NOT_A_MEMBER
            row.quiet_start, row.quiet_end = _text(start), _text(end)
            return await self._saved(session, row)

    async def set_broadcasts(self, member_id: int, on: bool) -> MemberPreferences | SettingsRefusal:
        async with self.db.transaction() as session:
            row = await self._row(session, member_id)
            if row is None:
                return SettingsRefusal.NOT_A_MEMBER
            row.broadcasts = on
            return await self._saved(session, row)

    async def toggle_interest(self, member_id: int, activity_type_id: int) -> MemberPreferences | SettingsRefusal:
        """Hear about this activity type, or stop hearing about it."""
        async with self.db.transaction() as session:
            if await self._member(session, member_id) is None:
                return SettingsRefusal.NOT_A_MEMBER
            if await session.get(ActivityType, activity_type_id) is None:
                return SettingsRefusal.UNKNOWN_ACTIVITY
            existing = await session.get(MemberInterest, (member_id, activity_type_id))
            if existing is None:
                session.add(MemberInterest(member_id=member_id, activity_type_id=activity_type_id))
            else:
                await session.delete(existing)
            await session.flush()
            return await self.preferences_in(session, member_id)

    # -- inside ----------------------------------------------------------------------

    async def _member(self, session: AsyncSession, member_id: int) -> Member | None:
        member = await session.get(Member, member_id)
        return member if member is not None and member.erased_at is None else None

    async def _row(self, session: AsyncSession, member_id: int) -> MemberSettings | None:
        """The member's row, written with the defaults the first time they change one."""
        if await self._member(session, member_id) is None:
            return None
        row = await session.get(MemberSettings, member_id, with_for_update=True)
        if row is None:
            start, end = DEFAULT_QUIET
            row = MemberSettings(member_id=member_id, reminder_offsets=[value.value for value in DEFAULT_OFFSETS],
                                 quiet_start=_text(start), quiet_end=_text(end), broadcasts=True,
                                 updated_at=self.clock.now())
            session.add(row)
        return row

    async def _saved(self, session: AsyncSession, row: MemberSettings) -> MemberPreferences:
        row.updated_at = self.clock.now()
        await session.flush()
        return await self.preferences_in(session, row.member_id)


