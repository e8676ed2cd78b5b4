"""Spend opportunities managed in the bot (`/offers`): TSO staff and admins list, add,
edit, pause and resume the offers members spend credits on.

Who: an admin manages every organisation's offers; staff manage their own
organisations' offers. Every call asks the database (`may_manage`), so a forged or old
button is refused before anything is asked or changed.

Offers and the configuration: `[[spend_opportunities]]` seeds offers and keeps them in
step at each start (`bot.services.reference`). An offer added here, or a configured one
edited here, is `managed_in_bot`: the sync leaves it alone from then on, so staff's
wording and price are not undone by a restart. Pausing (`paused_at`) is staff's own
state; the sync never touches it, so pausing does not take an offer over.

Each public call is one transaction; every change is recorded as an audit event.
"""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import AuditEvent, Organisation, Role, SpendKind, SpendOpportunity
from bot.db.session import Database
from bot.services import roles
from bot.services.accounts import organisation_account
from bot.services.reference import Named
from bot.services.spending import Opportunity, opportunity_view

NAME_MAX = 160
VENUE_MAX = 160
DESCRIPTION_MAX = 1000
PRICE_MAX_MINUTES = 100 * 60  # what the configuration allows too
WEEKLY_LIMIT_MAX = 100


class OfferRefusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # not staff of the organisation, not an admin
    NOT_FOUND = "not_found"
    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    VENUE_MISSING = "venue_missing"
    VENUE_TOO_LONG = "venue_too_long"
    DESCRIPTION_TOO_LONG = "description_too_long"
    PRICE_OUT_OF_RANGE = "price_out_of_range"
    WEEKLY_LIMIT_OUT_OF_RANGE = "weekly_limit_out_of_range"


@dataclass(frozen=True)
class OfferDraft:
    organisation_id: int
    kind: SpendKind
    name_en: str
    name_cy: str
    venue: str
    cost_minutes: int
    description_en: str = ""
    description_cy: str = ""
    weekly_limit: int | None = None


@dataclass(frozen=True)
class OfferChanges:
    """Only the fields given change; `weekly_limit=0` removes the limit."""

    name_en: str | None = None
    name_cy: str | None = None
    description_en: str | None = None
    description_cy: str | None = None
    venue: str | None = None
    cost_minutes: int | None = None
    weekly_limit: int | None = None


@dataclass(frozen=True)
class OfferPage:
    items: tuple[Opportunity, ...]
    page: int
    pages: int
    total: int


# --------------------------------------------------------------------------- the rules


def text_refusal(value: str, *, maximum: int, required: bool, missing: OfferRefusal,
                 too_long: OfferRefusal) -> OfferRefusal | None:
    stripped = value.strip()
    if required and not stripped:
        return missing
    if len(stripped) > maximum:
        return too_long
    return None


def price_refusal(cost_minutes: int) -> OfferRefusal | None:
    return None if 1 <= cost_minutes <= PRICE_MAX_MINUTES else OfferRefusal.PRICE_OUT_OF_RANGE


def weekly_limit_refusal(weekly_limit: int | None) -> OfferRefusal | None:
    if weekly_limit is None or 1 <= weekly_limit <= WEEKLY_LIMIT_MAX:
        return None
    return OfferRefusal.WEEKLY_LIMIT_OUT_OF_RANGE


def field_refusal(name: str, value: Any) -> OfferRefusal | None:
    """The one rule per field, shared by adding and editing (and by the dialogue, which
    checks each answer as it is typed)."""
    if name in ("name_en", "name_cy"):
        return text_refusal(value, maximum=NAME_MAX, required=True, missing=OfferRefusal.NAME_MISSING,
                            too_long=OfferRefusal.NAME_TOO_LONG)
    if name == "venue":
        return text_refusal(value, maximum=VENUE_MAX, required=True, missing=OfferRefusal.VENUE_MISSING,
                            too_long=OfferRefusal.VENUE_TOO_LONG)
    if name in ("description_en", "description_cy"):
        return text_refusal(value, maximum=DESCRIPTION_MAX, required=False,
                            missing=OfferRefusal.DESCRIPTION_TOO_LONG, too_long=OfferRefusal.DESCRIPTION_TOO_LONG)
    if name == "cost_minutes":
        return price_refusal(value)
    if name == "weekly_limit":
        return weekly_limit_refusal(value or None)
    return None


def _draft_refusal(values: dict[str, Any]) -> OfferRefusal | None:
    for name, value in values.items():
        refusal = field_refusal(name, value)
        if refusal is not None:
            return refusal
    return None


def new_slug(name_en: str) -> str:
    """A slug for an offer added in the bot: from its English name, with a random tail so
    it never collides with one the configuration will add later."""
    ascii_name = unicodedata.normalize("NFKD", name_en).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:28].strip("-") or "offer"
    return f"{stem}-{secrets.token_hex(3)}"


# --------------------------------------------------------------------------- the service


class OfferService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def managed_organisations(self, member_id: int) -> list[Named]:
        """The organisations whose offers the member may manage (every one, for an admin)."""
        async with self.db.read() as session:
            return await self._managed(session, member_id)

    async def _managed(self, session: AsyncSession, member_id: int) -> list[Named]:
        query = select(Organisation).order_by(Organisation.id)
        if not await roles.is_admin(session, member_id, self.config.admins.telegram_user_ids):
            mine = await roles.organisations_with_role(session, member_id, Role.STAFF)
            if not mine:
                return []
            query = query.where(Organisation.id.in_(sorted(mine)))
        return [Named(row.id, row.slug, row.name_en, row.name_cy) for row in (await session.scalars(query)).all()]

    async def may_manage(self, member_id: int, organisation_id: int | None = None) -> bool:
        """May manage offers at all (no organisation given), or this organisation's."""
        async with self.db.read() as session:
            return await self._may(session, member_id, organisation_id)

    async def _may(self, session: AsyncSession, member_id: int, organisation_id: int | None) -> bool:
        managed = {item.id for item in await self._managed(session, member_id)}
        return bool(managed) if organisation_id is None else organisation_id in managed

    async def listing(self, member_id: int, *, page: int = 0, page_size: int = 8) -> OfferPage | OfferRefusal:
        """Offers of the organisations the member manages: on offer and paused ones (withdrawn
        ones are the configuration's business), by organisation and English name."""
        async with self.db.read() as session:
            managed = [item.id for item in await self._managed(session, member_id)]
            if not managed:
                return OfferRefusal.NOT_ALLOWED
            rows = (await session.scalars(
                select(SpendOpportunity).where(SpendOpportunity.organisation_id.in_(managed),
                                               SpendOpportunity.active.is_(True))
                .order_by(SpendOpportunity.organisation_id, SpendOpportunity.name_en, SpendOpportunity.id))).all()
            pages = max((len(rows) + page_size - 1) // page_size, 1)
            page = min(max(page, 0), pages - 1)
            items = [await opportunity_view(session, row) for row in rows[page * page_size:(page + 1) * page_size]]
            return OfferPage(tuple(items), page, pages, len(rows))

    async def offer(self, member_id: int, offer_id: int) -> Opportunity | OfferRefusal:
        async with self.db.read() as session:
            row = await session.get(SpendOpportunity, offer_id)
            if row is None:
                return OfferRefusal.NOT_FOUND
            if not await self._may(session, member_id, row.organisation_id):
                return OfferRefusal.NOT_ALLOWED
            return await opportunity_view(session, row)

    async def add(self, member_id: int, draft: OfferDraft) -> Opportunity | OfferRefusal:
        values = {field.name: getattr(draft, field.name) for field in fields(draft)}
        refusal = _draft_refusal(values)
        if refusal is not None:
            return refusal
        async with self.db.transaction() as session:
            if not await self._may(session, member_id, draft.organisation_id):
                return OfferRefusal.NOT_ALLOWED
            row = SpendOpportunity(
                slug=new_slug(draft.name_en), organisation_id=draft.organisation_id, kind=SpendKind(draft.kind),
                name_en=draft.name_en.strip(), name_cy=draft.name_cy.strip(), venue=draft.venue.strip(),
                description_en=draft.description_en.strip(), description_cy=draft.description_cy.strip(),
                cost_minutes=draft.cost_minutes, weekly_limit=draft.weekly_limit or None, active=True,
                managed_in_bot=True)
            session.add(row)
            await session.flush()
            await organisation_account(session, draft.organisation_id)
            self._audit(session, member_id, "offer_added", row)
            return await opportunity_view(session, row)

    async def edit(self, member_id: int, offer_id: int, changes: OfferChanges) -> Opportunity | OfferRefusal:
        given = {field.name: getattr(changes, field.name) for field in fields(changes)
                 if getattr(changes, field.name) is not None}
        refusal = _draft_refusal(given)
        if refusal is not None:
            return refusal
        async with self.db.transaction() as session:
            row, refusal = await self._mine(session, member_id, offer_id)
            if row is None:
                return refusal
            for name, value in given.items():
                if name == "weekly_limit":
                    row.weekly_limit = value or None
                else:
                    setattr(row, name, value.strip() if isinstance(value, str) else value)
            row.managed_in_bot = True  # from now on, the configuration no longer overwrites it
            self._audit(session, member_id, "offer_edited", row, changed=sorted(given))
            return await opportunity_view(session, row)

    async def pause(self, member_id: int, offer_id: int) -> Opportunity | OfferRefusal:
        """Hide an offer from members (their vouchers stay valid). Pausing twice is once."""
        return await self._set_paused(member_id, offer_id, paused=True)

    async def resume(self, member_id: int, offer_id: int) -> Opportunity | OfferRefusal:
        return await self._set_paused(member_id, offer_id, paused=False)

    async def _set_paused(self, member_id: int, offer_id: int, *, paused: bool) -> Opportunity | OfferRefusal:
        async with self.db.transaction() as session:
            row, refusal = await self._mine(session, member_id, offer_id)
            if row is None:
                return refusal
            if (row.paused_at is not None) != paused:
                row.paused_at = self.clock.now() if paused else None
                self._audit(session, member_id, "offer_paused" if paused else "offer_resumed", row)
            return await opportunity_view(session, row)

    async def _mine(self, session: AsyncSession, member_id: int,
                    offer_id: int) -> tuple[SpendOpportunity | None, OfferRefusal]:
        row = await session.scalar(select(SpendOpportunity).where(SpendOpportunity.id == offer_id)
                                   .with_for_update())
        if row is None or not row.active:
            return None, OfferRefusal.NOT_FOUND
        if not await self._may(session, member_id, row.organisation_id):
            return None, OfferRefusal.NOT_ALLOWED
        return row, OfferRefusal.NOT_FOUND

    def _audit(self, session: AsyncSession, member_id: int, action: str, row: SpendOpportunity,
               **details: Any) -> None:
        session.add(AuditEvent(at=self.clock.now(), actor_member_id=member_id, action=action,
                               details={"spend_opportunity_id": row.id, "slug": row.slug, **details}))
