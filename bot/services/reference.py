"""Reference data (neighbourhoods, organisations, activity types) from configuration.

Configuration seeds these tables; the database then owns them. A start-up sync adds
what is new and keeps names in step, but never overwrites the flags TSO staff set in
the bot (`replaces_reduced_service`, `requires_dbs`), because those are their call.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.db.models import ActivityType, Neighbourhood, Organisation, OrganisationKind
from bot.db.session import Database
from bot.services.accounts import organisation_account, scheme_account


@dataclass(frozen=True)
class Named:
    """A bilingual name; `name(lang)` picks the member's language."""

    id: int
    slug: str
    name_en: str
    name_cy: str

    def name(self, language: str) -> str:
        return self.name_cy if language == "cy" else self.name_en


async def sync_reference_data(db: Database, config: Config) -> None:
    async with db.transaction() as session:
        neighbourhoods = await _by_slug(session, Neighbourhood)
        for item in config.neighbourhoods:
            row = neighbourhoods.get(item.slug) or Neighbourhood(slug=item.slug)
            row.name_en, row.name_cy = item.name_en, item.name_cy
            session.add(row)
        await session.flush()
        neighbourhoods = await _by_slug(session, Neighbourhood)

        organisations = await _by_slug(session, Organisation)
        for item in config.organisations:
            row = organisations.get(item.slug) or Organisation(slug=item.slug)
            row.kind, row.name_en, row.name_cy = item.kind, item.name_en, item.name_cy
            row.neighbourhood_id = neighbourhoods[item.neighbourhood].id if item.neighbourhood else None
            session.add(row)

        activity_types = await _by_slug(session, ActivityType)
        for item in config.activity_types:
            row = activity_types.get(item.slug)
            if row is None:
                row = ActivityType(slug=item.slug, requires_dbs=item.requires_dbs,
                                   replaces_reduced_service=item.replaces_reduced_service)
            row.name_en, row.name_cy = item.name_en, item.name_cy
            session.add(row)
        await session.flush()
        await scheme_account(session)
        for organisation in (await _by_slug(session, Organisation)).values():
            await organisation_account(session, organisation.id)


async def _by_slug(session: AsyncSession, model: type) -> dict:
    return {row.slug: row for row in (await session.scalars(select(model))).all()}


async def neighbourhoods(db: Database) -> list[Named]:
    return await _named(db, Neighbourhood)


async def activity_types(db: Database) -> list[Named]:
    return await _named(db, ActivityType)


async def organisations(db: Database) -> list[Named]:
    return await _named(db, Organisation)


async def volunteering_organisations(db: Database) -> list[Named]:
    """Organisations volunteers give time to: every kind but corporate partners."""
    async with db.read() as session:
        rows = (await session.scalars(select(Organisation).where(
            Organisation.kind != OrganisationKind.CORPORATE_PARTNER).order_by(Organisation.id))).all()
        return [Named(row.id, row.slug, row.name_en, row.name_cy) for row in rows]


async def by_id(db: Database) -> "ReferenceNames":
    """All reference names at once, for rendering lists and notifications."""
    return ReferenceNames(
        neighbourhoods={item.id: item for item in await neighbourhoods(db)},
        organisations={item.id: item for item in await organisations(db)},
        activity_types={item.id: item for item in await activity_types(db)},
    )


@dataclass(frozen=True)
class ReferenceNames:
    neighbourhoods: dict[int, Named]
    organisations: dict[int, Named]
    activity_types: dict[int, Named]


async def _named(db: Database, model: type) -> list[Named]:
    async with db.read() as session:
        rows = (await session.scalars(select(model).order_by(model.id))).all()
        return [Named(row.id, row.slug, row.name_en, row.name_cy) for row in rows]
