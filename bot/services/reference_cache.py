"""Reference data for handlers, held in the process: neighbourhoods, organisations and
activity types are read on nearly every screen and change rarely.

The cache is dropped explicitly when this process changes them (the start-up sync, an
activity type's flags set in /activities) and lives at most `ttl` otherwise, so a
change made by another process shows within seconds. The reading itself stays in
`bot.services.reference`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.db.session import Database
from bot.services import reference
from bot.services.reference import Named, ReferenceNames

DEFAULT_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class _Snapshot:
    neighbourhoods: tuple[Named, ...]
    organisations: tuple[Named, ...]
    volunteering_organisations: tuple[Named, ...]
    activity_types: tuple[Named, ...]
    names: ReferenceNames
    loaded_at: float


class ReferenceCache:
    def __init__(self, db: Database, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._ttl = ttl_seconds
        # Wall-clock age, not the scheme's (possibly frozen) domain clock.
        self._monotonic = monotonic
        self._snapshot: _Snapshot | None = None

    def invalidate(self) -> None:
        """Forget what is held: the next read goes to the database."""
        self._snapshot = None

    async def neighbourhoods(self) -> list[Named]:
        return list((await self._current()).neighbourhoods)

    async def organisations(self) -> list[Named]:
        return list((await self._current()).organisations)

    async def volunteering_organisations(self) -> list[Named]:
        """Organisations volunteers give time to: every kind but corporate partners."""
        return list((await self._current()).volunteering_organisations)

    async def activity_types(self) -> list[Named]:
        return list((await self._current()).activity_types)

    async def names(self) -> ReferenceNames:
        """All names by id, for rendering lists and notifications."""
        return (await self._current()).names

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._monotonic() - snapshot.loaded_at < self._ttl:
            return snapshot
        neighbourhoods = tuple(await reference.neighbourhoods(self._db))
        organisations = tuple(await reference.organisations(self._db))
        activity_types = tuple(await reference.activity_types(self._db))
        snapshot = _Snapshot(
            neighbourhoods=neighbourhoods, organisations=organisations,
            volunteering_organisations=tuple(await reference.volunteering_organisations(self._db)),
            activity_types=activity_types,
            names=ReferenceNames(neighbourhoods={item.id: item for item in neighbourhoods},
                                 organisations={item.id: item for item in organisations},
                                 activity_types={item.id: item for item in activity_types}),
            loaded_at=self._monotonic())
        self._snapshot = snapshot
        return snapshot
