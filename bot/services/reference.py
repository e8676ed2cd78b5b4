"""Reference data (neighbourhoods, organisations, activity types, spend opportunities)
from configuration.

Configuration seeds these tables; the database then owns them. A start-up sync adds
what is new and keeps names in step, but never overwrites the flags TSO staff set in
the bot (`replaces_reduced_service`, `requires_dbs`), because those are their call.

Spend opportunities ("offers") follow the configuration while nobody has touched them in
the bot: each start brings names, price, venue, weekly limit and `active` in step, and an
offer dropped from the file is withdrawn (`active = False`), never deleted, because
vouchers refer to it. Once staff add or edit an offer in the bot (`/offers`) it is
`managed_in_bot` and the sync leaves it alone for good; pausing is staff's own state
(`paused_at`) and no sync touches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.db.models import ActivityType, Neighbourhood, Organisation, OrganisationKind, SpendKind, SpendOpportunity
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
            hood = neighbourhoods.get(item.slug) or Neighbourhood(slug=item.slug)
            hood.name_en, hood.name_cy = item.name_en, item.name_cy
            session.add(hood)
        await session.flush()
        neighbourhoods = await _by_slug(session, Neighbourhood)

        organisations = await _by_slug(session, Organisation)
        for configured_org in config.organisations:
            organisation = organisations.get(configured_org.slug) or Organisation(slug=configured_org.slug)
            organisation.kind = configured_org.kind
            organisation.name_en, organisation.name_cy = configured_org.name_en, configured_org.name_cy
            organisation.neighbourhood_id = (neighbourhoods[configured_org.neighbourhood].id
                                             if configured_org.neighbourhood else None)
            session.add(organisation)

        activity_types = await _by_slug(session, ActivityType)
        for configured_activity in config.activity_types:
            activity = activity_types.get(configured_activity.slug)
            if activity is None:
                activity = ActivityType(
                    slug=configured_activity.slug, requires_dbs=configured_activity.requires_dbs,
                    replaces_reduced_service=configured_activity.replaces_reduced_service)
            activity.name_en, activity.name_cy = configured_activity.name_en, configured_activity.name_cy
            session.add(activity)
        await session.flush()
        await _sync_spend_opportunities(session, config, neighbourhoods)
        await scheme_account(session)
        for organisation in (await _by_slug(session, Organisation)).values():
            await organisation_account(session, organisation.id)


async def _sync_spend_opportunities(session: AsyncSession, config: Config,
                                    neighbourhoods: dict[str, Neighbourhood]) -> None:
    organisations = await _by_slug(session, Organisation)
    offers = await _by_slug(session, SpendOpportunity)
    listed = {item.slug for item in config.spend_opportunities}
    for item in config.spend_opportunities:
        row = offers.get(item.slug)
        if row is not None and row.managed_in_bot:
            continue  # staff took it over in the bot; their version stands
        if row is None:
            row = SpendOpportunity(slug=item.slug, managed_in_bot=False)
        row.organisation_id = organisations[item.organisation].id
        row.kind = SpendKind(item.kind)
        row.name_en, row.name_cy = item.name_en, item.name_cy
        row.description_en, row.description_cy = item.description_en, item.description_cy
        row.venue = item.venue
        row.neighbourhood_id = neighbourhoods[item.neighbourhood].id if item.neighbourhood else None
        row.cost_minutes = item.cost_minutes
        row.weekly_limit = item.weekly_limit
        row.active = item.active
        session.add(row)
    for slug, row in offers.items():
        if slug not in listed and not row.managed_in_bot and row.active:
            row.active = False  # withdrawn from the file: hidden, kept for its vouchers
    await session.flush()


# The reference tables: each has a slug and names in both languages.
_Row = TypeVar("_Row", Neighbourhood, Organisation, ActivityType, SpendOpportunity)


async def _by_slug(session: AsyncSession, model: type[_Row]) -> dict[str, _Row]:
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


async def by_id(db: Database) -> ReferenceNames:
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


async def _named(db: Database, model: type[_Row]) -> list[Named]:
    async with db.read() as session:
        rows = (await session.scalars(select(model).order_by(model.id))).all()
        return [Named(row.id, row.slug, row.name_en, row.name_cy) for row in rows]
