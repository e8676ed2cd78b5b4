"""Shared set-up for the shift, DBS, attendance and calendar tests.

Imported by the test modules (pytest puts this directory on sys.path), fixtures
included: a module that does `from shift_helpers import *` gets `world`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.config import Config
from bot.db.models import DbsCheck, OutboxMessage, Role, RoleGrant, Shift, ShiftSignup
from bot.db.session import Database
from bot.services.shift_authoring import ShiftDraft
from bot.services.shifts import ShiftService

LONDON = ZoneInfo("Europe/London")
_telegram_ids = itertools.count(10_000)

__all__ = ["LONDON", "World", "london", "world"]


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A London wall time as an aware UTC datetime (the first one, if repeated)."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(timezone.utc)


@dataclass
class World:
    db: Database
    config: Config
    clock: FrozenClock
    ref: dict[str, int]
    shifts: ShiftService
    make_member: Any
    coordinator: int  # coordinator of splott-community
    ely_coordinator: int  # coordinator of ely-hub only

    async def grant(self, member_id: int, role: Role, organisation: str | None) -> None:
        async with self.db.transaction() as session:
            session.add(RoleGrant(member_id=member_id, role=role,
                                  organisation_id=self.ref[organisation] if organisation else None))

    def draft(self, *, starts_at: datetime | None = None, hours: float = 2, capacity: int = 3,
              activity: str = "community-hub", organisation: str = "splott-community",
              neighbourhood: str = "splott", **changes: Any) -> ShiftDraft:
        starts_at = starts_at or self.clock.now() + timedelta(days=3)
        values: dict[str, Any] = dict(
            organisation_id=self.ref[organisation], activity_type_id=self.ref[activity],
            neighbourhood_id=self.ref[neighbourhood], venue="Splott Community Centre",
            address="Muirton Road, Cardiff", starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
            capacity=capacity, description_en="Help at the hub", description_cy="Helpu yn yr hyb")
        values.update(changes)
        return ShiftDraft(**values)

    async def shift(self, **kwargs: Any) -> int:
        """Create one shift as the Splott coordinator (or `coordinator=`) and return its id."""
        coordinator = kwargs.pop("coordinator", self.coordinator)
        created = await self.shifts.create_shifts(coordinator, self.draft(**kwargs))
        assert not isinstance(created, Enum), created
        return created.shift_ids[0]

    async def member(self, name: str = "Member", **kwargs: Any) -> int:
        """A registered member with a Telegram account (as anyone booking shifts has)."""
        kwargs.setdefault("telegram_user_id", next(_telegram_ids))
        return await self.make_member(name, **kwargs)

    async def dbs(self, member_id: int, checked_on: date) -> None:
        async with self.db.transaction() as session:
            session.add(DbsCheck(member_id=member_id, checked_on=checked_on,
                                 organisation_id=self.ref["splott-community"],
                                 recorded_by_member_id=self.coordinator, recorded_at=self.clock.now()))

    async def outbox(self, kind: str | None = None) -> list[OutboxMessage]:
        async with self.db.transaction() as session:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            if kind is not None:
                query = query.where(OutboxMessage.kind == kind)
            return list((await session.scalars(query)).all())

    async def get_shift(self, shift_id: int) -> Shift:
        async with self.db.transaction() as session:
            shift = await session.get(Shift, shift_id)
            assert shift is not None
            return shift

    async def signups(self, shift_id: int) -> list[ShiftSignup]:
        async with self.db.transaction() as session:
            return list((await session.scalars(select(ShiftSignup).where(ShiftSignup.shift_id == shift_id)
                                               .order_by(ShiftSignup.id))).all())


@pytest.fixture
async def world(db: Database, config: Config, clock: FrozenClock, reference: dict[str, int],
                make_member: Any) -> World:
    coordinator = await make_member("Cerys Coordinator", telegram_user_id=501, language="cy")
    ely_coordinator = await make_member("Eli Coordinator", telegram_user_id=502, neighbourhood="ely")
    w = World(db=db, config=config, clock=clock, ref=reference, shifts=ShiftService(db, config, clock),
              make_member=make_member, coordinator=coordinator, ely_coordinator=ely_coordinator)
    await w.grant(coordinator, Role.COORDINATOR, "splott-community")
    await w.grant(ely_coordinator, Role.COORDINATOR, "ely-hub")
    return w
