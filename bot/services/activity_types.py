"""The two flags of an activity type that TSO staff own.

`requires_dbs` is the default for new shifts of the type; `replaces_reduced_service`
marks work that stands in for a public service that was cut back, which the weekly
summary reports as a share of hours. Staff of a TSO (or an admin) set them; nobody else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import ActivityType, AuditEvent, Role
from bot.db.session import Database
from bot.services import roles
from bot.services.reference import Named


class FlagOutcome(enum.StrEnum):
    CHANGED = "changed"
    NOT_STAFF = "not_staff"
    NOT_FOUND = "not_found"


class Flag(enum.StrEnum):
    REQUIRES_DBS = "requires_dbs"
    REPLACES_REDUCED_SERVICE = "replaces_reduced_service"


@dataclass(frozen=True)
class ActivityFlags(Named):
    """An activity type's name, with the two settings TSO staff switch in the bot."""

    requires_dbs: bool
    replaces_reduced_service: bool


class ActivityTypeService:
    def __init__(self, db: Database, config: Config, clock: Clock,
                 on_change: Callable[[], None] | None = None) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        # Told after a flag changes, so cached reference data is read afresh.
        self._on_change = on_change or (lambda: None)

    async def listing(self) -> list[ActivityFlags]:
        async with self.db.read() as session:
            rows = (await session.scalars(select(ActivityType).order_by(ActivityType.id))).all()
            return [_flags(row) for row in rows]

    async def may_set_flags(self, member_id: int) -> bool:
        async with self.db.transaction() as session:
            return await self._may(session, member_id)

    async def _may(self, session: AsyncSession, member_id: int) -> bool:
        if await roles.is_admin(session, member_id, self.config.admins.telegram_user_ids):
            return True
        return bool(await roles.organisations_with_role(session, member_id, Role.STAFF))

    async def set_flag(self, member_id: int, activity_type_id: int, flag: Flag, value: bool) -> FlagOutcome:
        """Sets (never toggles) a flag, so a double tap or an old message cannot flip it back."""
        outcome = await self._set_flag(member_id, activity_type_id, flag, value)
        if outcome is FlagOutcome.CHANGED:
            self._on_change()
        return outcome

    async def _set_flag(self, member_id: int, activity_type_id: int, flag: Flag, value: bool) -> FlagOutcome:
        async with self.db.transaction() as session:
            if not await self._may(session, member_id):
                return FlagOutcome.NOT_STAFF
            row = await session.get(ActivityType, activity_type_id)
            if row is None:
                return FlagOutcome.NOT_FOUND
            if getattr(row, flag.value) == value:
                return FlagOutcome.CHANGED
            setattr(row, flag.value, value)
            session.add(AuditEvent(at=self.clock.now(), actor_member_id=member_id, action="activity_flag_set",
                                   details={"activity_type": row.slug, "flag": flag.value, "value": value}))
            return FlagOutcome.CHANGED


def _flags(row: ActivityType) -> ActivityFlags:
    return ActivityFlags(row.id, row.slug, row.name_en, row.name_cy, row.requires_dbs, row.replaces_reduced_service)
