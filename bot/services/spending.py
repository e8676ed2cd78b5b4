"""Spending time credits: the directory of spend opportunities, and vouchers.

A member redeems credits for an opportunity (a council swimming session, a community
cafe meal): the credits move at once from the member to the opportunity's organisation
(a SPEND transaction) and the member gets a voucher: a short code plus a QR code,
valid for `spending.voucher_valid_days`. Partner staff at the venue confirm it with
`/redeem CODE` (bot/services/voucher_desk.py). A voucher that is cancelled by its
owner, or expires unused, is refunded (bot/services/voucher_closing.py).

Voucher codes are 8 characters from an alphabet without 0/O, 1/I/L (so they can be
read aloud at a counter and typed back without confusion), drawn with `secrets`.
Staff may type them in any case, with spaces or dashes.

Every state change of a voucher is a guarded UPDATE ... WHERE status='issued', so a
voucher is redeemed, cancelled or expired exactly once even when two staff, two taps
or two expiry runs race; refunds use the idempotency key "voucher-refund:{voucher_id}".

Notifications (outbox kinds) written by the desk and the expiry, with their payload keys:

* "voucher_redeemed" to the voucher's owner, dedupe key "voucher_redeemed:{voucher_id}":
    voucher_id (int), code (str), spend_opportunity_id (int), cost_minutes (int),
    redeemed_at (ISO 8601 UTC)
* "voucher_expired" to the voucher's owner, dedupe key "voucher_expired:{voucher_id}":
    voucher_id (int), code (str), spend_opportunity_id (int), cost_minutes (int, refunded),
    expires_at (ISO 8601 UTC), balance_minutes (int, after the refund)

They are only recorded for members who can receive them (a Telegram account, not erased).
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import (
    LedgerTransaction,
    Neighbourhood,
    Organisation,
    SpendKind,
    SpendOpportunity,
    TransactionKind,
    Voucher,
    VoucherStatus,
)
from bot.db.session import Database, referenced
from bot.services import roles
from bot.services.crediting import CreditingService
from bot.services.dialogue_completion import DialogueCompletion, close
from bot.services.ledger import InsufficientCredit, Ledger
from bot.services.member_facts import is_registered
from bot.services.reference import Named
from bot.services.spend_limits import weekly_limit_reached
from bot.services.voucher_closing import VoucherExpiry, close_voucher, refund_voucher
from bot.services.vouchers_qr import voucher_qr_png

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, no 1/I/L
CODE_LENGTH = 8
IDEMPOTENCY_KEY_MAX = 100  # leaves room for the "voucher:" prefix in a 120-character key

_voucher = Voucher.__table__


# --------------------------------------------------------------------------- codes


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """What staff typed, as a stored code; None when it cannot be one."""
    code = "".join(ch for ch in (text or "").upper() if not ch.isspace() and ch not in "-_.")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def format_code(code: str) -> str:
    """Two groups of four, easier to read aloud: 'ABCD-EFGH'."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Opportunity:
    id: int
    slug: str
    kind: SpendKind
    name_en: str
    name_cy: str
    description_en: str
    description_cy: str
    venue: str
    organisation: Named
    neighbourhood: Named | None
    cost_minutes: int
    active: bool
    weekly_limit: int | None = None
    paused: bool = False
    managed_in_bot: bool = False

    @property
    def on_offer(self) -> bool:
        """Members may see it and take vouchers: not withdrawn, not paused by staff."""
        return self.active and not self.paused

    def name(self, language: str) -> str:
        return self.name_cy if language == "cy" else self.name_en

    def description(self, language: str) -> str:
        return self.description_cy if language == "cy" else self.description_en


@dataclass(frozen=True)
class OpportunitySeed:
    """One opportunity as seed data (demo TOML): organisation and neighbourhood by slug."""

    slug: str
    organisation: str
    kind: SpendKind | str
    name_en: str
    name_cy: str
    venue: str
    cost_minutes: int
    description_en: str = ""
    description_cy: str = ""
    neighbourhood: str | None = None
    active: bool = True


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int


@dataclass(frozen=True)
class IssuedVoucher:
    voucher_id: int
    code: str
    expires_at: datetime
    cost_minutes: int
    opportunity: Opportunity
    balance_after_minutes: int
    qr_png: bytes = field(repr=False)
    created: bool  # False: the idempotency key was used already; this is that voucher


class RedeemRefusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # redeem_for: not a coordinator, or the member has Telegram of their own
    NOT_REGISTERED = "not_registered"
    NOT_FOUND = "not_found"
    INACTIVE = "inactive"  # withdrawn or paused
    WEEKLY_LIMIT = "weekly_limit"  # weekly_limit says how many a week
    INSUFFICIENT_CREDIT = "insufficient_credit"  # balance_minutes and cost_minutes say by how much


@dataclass(frozen=True)
class RedeemRefused:
    reason: RedeemRefusal
    balance_minutes: int | None = None
    cost_minutes: int | None = None
    weekly_limit: int | None = None


class CancelOutcome(enum.StrEnum):
    CANCELLED = "cancelled"
    UNKNOWN_CODE = "unknown_code"  # no such code, or not this member's
    ALREADY_REDEEMED = "already_redeemed"
    ALREADY_CANCELLED = "already_cancelled"
    EXPIRED = "expired"  # expired already (and refunded then)


@dataclass(frozen=True)
class Cancellation:
    outcome: CancelOutcome
    voucher_id: int | None = None
    refunded_minutes: int | None = None
    transaction_id: int | None = None
    balance_after_minutes: int | None = None


@dataclass(frozen=True)
class VoucherView:
    voucher_id: int
    code: str
    status: VoucherStatus  # ISSUED past its expiry shows as EXPIRED (the refund follows shortly)
    opportunity: Opportunity
    cost_minutes: int
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


_CANCEL_REFUSAL = {VoucherStatus.REDEEMED: CancelOutcome.ALREADY_REDEEMED,
                   VoucherStatus.CANCELLED: CancelOutcome.ALREADY_CANCELLED,
                   VoucherStatus.EXPIRED: CancelOutcome.EXPIRED}


# --------------------------------------------------------------------------- the service


class SpendingService(CreditingService):
    def __init__(self, db: Database, config: Config, clock: Clock, ledger: Ledger | None = None) -> None:
        super().__init__(db, config, clock, ledger)
        self.expiry = VoucherExpiry(db, clock, self.ledger)
        self.expire_vouchers = self.expiry.expire_vouchers

    # ------------------------------------------------------------------ directory

    async def directory(self, *, kind: SpendKind | None = None, neighbourhood_id: int | None = None
                        ) -> list[Opportunity]:
        """Active opportunities, optionally of one kind or in one neighbourhood (exactly: city-wide
        ones have no neighbourhood). Community opportunities come first, then corporate, by English
        name; the handler may re-sort by the member's language."""
        async with self.db.read() as session:
            query = select(SpendOpportunity).where(SpendOpportunity.active.is_(True),
                                                   SpendOpportunity.paused_at.is_(None))
            if kind is not None:
                query = query.where(SpendOpportunity.kind == SpendKind(kind))
            if neighbourhood_id is not None:
                query = query.where(SpendOpportunity.neighbourhood_id == neighbourhood_id)
            community_first = case((SpendOpportunity.kind == SpendKind.COMMUNITY, 0), else_=1)
            rows = (await session.scalars(query.order_by(community_first, SpendOpportunity.name_en,
                                                         SpendOpportunity.id))).all()
            return [await _opportunity(session, row) for row in rows]

    async def opportunity(self, opportunity_id: int) -> Opportunity | None:
        async with self.db.read() as session:
            row = await session.get(SpendOpportunity, opportunity_id)
            return await _opportunity(session, row) if row is not None else None

    async def upsert_opportunities(self, seeds: Iterable[OpportunitySeed]) -> UpsertResult:
        """Create or update opportunities by slug (demo seeding). Raises ValueError on unknown slugs."""
        created = updated = 0
        async with self.db.transaction() as session:
            organisations = {slug: id_ for id_, slug in (await session.execute(
                select(Organisation.id, Organisation.slug)))}
            neighbourhoods = {slug: id_ for id_, slug in (await session.execute(
                select(Neighbourhood.id, Neighbourhood.slug)))}
            for seed in seeds:
                if seed.organisation not in organisations:
                    raise ValueError(f"spend opportunity {seed.slug!r}: unknown organisation {seed.organisation!r}")
                if seed.neighbourhood is not None and seed.neighbourhood not in neighbourhoods:
                    raise ValueError(f"spend opportunity {seed.slug!r}: unknown neighbourhood {seed.neighbourhood!r}")
                if seed.cost_minutes <= 0:
                    raise ValueError(f"spend opportunity {seed.slug!r}: cost_minutes must be positive")
                row = await session.scalar(select(SpendOpportunity).where(SpendOpportunity.slug == seed.slug))
                if row is None:
                    row = SpendOpportunity(slug=seed.slug)
                    session.add(row)
                    created += 1
                else:
                    updated += 1
                row.organisation_id = organisations[seed.organisation]
                row.kind = SpendKind(seed.kind)
                row.name_en, row.name_cy = seed.name_en, seed.name_cy
                row.description_en, row.description_cy = seed.description_en, seed.description_cy
                row.venue = seed.venue
                row.neighbourhood_id = neighbourhoods[seed.neighbourhood] if seed.neighbourhood else None
                row.cost_minutes = seed.cost_minutes
                row.active = seed.active
                # Seeded from code (demo, tests), not the file: the configuration sync leaves it alone.
                row.managed_in_bot = True
                await session.flush()
                await self.ledger.organisation_account_id(session, row.organisation_id)
        return UpsertResult(created, updated)

    # ------------------------------------------------------------------ vouchers

    async def redeem(self, member_id: int, opportunity_id: int, *, idempotency_key: str,
                     completion: DialogueCompletion | None = None) -> IssuedVoucher | RedeemRefused:
        """Spend credits on an opportunity and issue its voucher. With `completion`, the
        /spend dialogue ends in the same transaction; pressed again, the same voucher."""
        if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
            raise ValueError(f"idempotency_key must be 1..{IDEMPOTENCY_KEY_MAX} characters")
        ledger_key = f"voucher:{idempotency_key}"
        async with self.db.transaction() as session:
            result = await self._redeem(session, member_id, opportunity_id, ledger_key)
            if completion is not None and isinstance(result, IssuedVoucher):
                await close(session, completion, {"voucher_id": result.voucher_id}, now=self.clock.now())
            return result

    async def redeem_for(self, coordinator_member_id: int, member_id: int, opportunity_id: int, *,
                         idempotency_key: str, completion: DialogueCompletion | None = None
                         ) -> IssuedVoucher | RedeemRefused:
        """A coordinator spends for a member who has no Telegram account (they recorded
        them); the voucher code is handed over on paper or read out. With `completion`,
        the spending dialogue ends in the same transaction; pressed again, the same voucher."""
        if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
            raise ValueError(f"idempotency_key must be 1..{IDEMPOTENCY_KEY_MAX} characters")
        async with self.db.transaction() as session:
            if not await roles.may_act_for(session, coordinator_member_id, member_id):
                return RedeemRefused(RedeemRefusal.NOT_ALLOWED)
            result = await self._redeem(session, member_id, opportunity_id, f"voucher:{idempotency_key}")
            if completion is not None and isinstance(result, IssuedVoucher):
                await close(session, completion, {"voucher_id": result.voucher_id}, now=self.clock.now())
            return result

    async def _redeem(self, session: AsyncSession, member_id: int, opportunity_id: int, ledger_key: str
                      ) -> IssuedVoucher | RedeemRefused:
        existing = await self._issued_for_key(session, ledger_key)
        if existing is not None:
            return existing
        if not await is_registered(session, member_id):
            return RedeemRefused(RedeemRefusal.NOT_REGISTERED)
        row = await session.get(SpendOpportunity, opportunity_id)
        if row is None:
            return RedeemRefused(RedeemRefusal.NOT_FOUND)
        if not row.active or row.paused_at is not None:
            return RedeemRefused(RedeemRefusal.INACTIVE)
        now = self.clock.now()
        cost = row.cost_minutes
        opportunity = await _opportunity(session, row)
        member_account = await self.ledger.member_account_id(session, member_id)
        organisation_account = await self.ledger.organisation_account_id(session, row.organisation_id)
        if row.weekly_limit is not None:
            await self.ledger.lock_accounts(session, [member_account, organisation_account])
            if await weekly_limit_reached(session, member_id=member_id, opportunity_id=row.id,
                                          weekly_limit=row.weekly_limit, now=now, tz=self.config.tz):
                return RedeemRefused(RedeemRefusal.WEEKLY_LIMIT, weekly_limit=row.weekly_limit)
        code = await _unused_code(session)
        try:
            posted = await self.ledger.post(
                session, kind=TransactionKind.SPEND, legs=[(member_account, -cost), (organisation_account, cost)],
                idempotency_key=ledger_key, now=now, memo=code, actor_member_id=member_id)
        except InsufficientCredit as refused:
            return RedeemRefused(RedeemRefusal.INSUFFICIENT_CREDIT, balance_minutes=refused.balance_minutes,
                                 cost_minutes=cost)
        if not posted.created:  # a concurrent request with this key won
            existing = await self._issued_for_key(session, ledger_key)
            if existing is None:
                raise RuntimeError(f"ledger key {ledger_key!r} is used but has no voucher")
            return existing
        expires_at = now + timedelta(days=self.config.spending.voucher_valid_days)
        voucher_id = (await session.execute(insert(_voucher).values(
            code=code, member_id=member_id, spend_opportunity_id=opportunity.id, cost_minutes=cost,
            status=VoucherStatus.ISSUED, issued_at=now, expires_at=expires_at,
            spend_transaction_id=posted.transaction_id).returning(_voucher.c.id))).scalar_one()
        balance = posted.balance_after(member_account)
        return IssuedVoucher(voucher_id=voucher_id, code=code, expires_at=expires_at, cost_minutes=cost,
                             opportunity=opportunity, balance_after_minutes=int(balance or 0),
                             qr_png=voucher_qr_png(code), created=True)

    async def _issued_for_key(self, session: AsyncSession, ledger_key: str) -> IssuedVoucher | None:
        voucher = await session.scalar(
            select(Voucher).join(LedgerTransaction, LedgerTransaction.id == Voucher.spend_transaction_id)
            .where(LedgerTransaction.idempotency_key == ledger_key))
        if voucher is None:
            return None
        row = await referenced(session, SpendOpportunity, voucher.spend_opportunity_id)
        balance = await self.ledger.balance(session, await self.ledger.member_account_id(session, voucher.member_id))
        return IssuedVoucher(voucher_id=voucher.id, code=voucher.code, expires_at=voucher.expires_at,
                             cost_minutes=voucher.cost_minutes, opportunity=await _opportunity(session, row),
                             balance_after_minutes=balance, qr_png=voucher_qr_png(voucher.code), created=False)

    async def cancel_voucher(self, member_id: int, code: str) -> Cancellation:
        """The owner gives back an unused voucher and gets the credits back.

        Raises InsufficientCredit (and changes nothing) only if the organisation's account
        no longer holds the credits it was paid, which is an accounting fault, not a refusal.
        """
        normalised = normalise_code(code)
        if normalised is None:
            return Cancellation(CancelOutcome.UNKNOWN_CODE)
        async with self.db.transaction() as session:
            voucher = await session.scalar(select(Voucher).where(Voucher.code == normalised,
                                                                 Voucher.member_id == member_id))
            if voucher is None:
                return Cancellation(CancelOutcome.UNKNOWN_CODE)
            now = self.clock.now()
            if not await close_voucher(session, voucher.id, VoucherStatus.CANCELLED):
                status = (await session.execute(select(Voucher.status).where(Voucher.id == voucher.id))).scalar_one()
                return Cancellation(_CANCEL_REFUSAL[VoucherStatus(status)], voucher_id=voucher.id)
            transaction_id, balance = await refund_voucher(session, self.ledger, voucher, now,
                                                           actor_member_id=member_id)
            return Cancellation(CancelOutcome.CANCELLED, voucher_id=voucher.id,
                                refunded_minutes=voucher.cost_minutes, transaction_id=transaction_id,
                                balance_after_minutes=balance)

    async def my_vouchers(self, member_id: int, *, include_closed: bool = True) -> list[VoucherView]:
        """The member's vouchers: usable ones first (soonest expiry first), then the rest, newest first."""
        async with self.db.transaction() as session:
            query = select(Voucher).where(Voucher.member_id == member_id)
            if not include_closed:
                query = query.where(Voucher.status == VoucherStatus.ISSUED)
            rows = (await session.scalars(query.order_by(Voucher.id.desc()))).all()
            now = self.clock.now()
            opportunities: dict[int, Opportunity] = {}
            views = []
            for voucher in rows:
                if voucher.spend_opportunity_id not in opportunities:
                    opportunities[voucher.spend_opportunity_id] = await _opportunity(
                        session, await referenced(session, SpendOpportunity, voucher.spend_opportunity_id))
                status = VoucherStatus(voucher.status)
                if status is VoucherStatus.ISSUED and voucher.expires_at <= now:
                    status = VoucherStatus.EXPIRED
                views.append(VoucherView(voucher.id, voucher.code, status,
                                         opportunities[voucher.spend_opportunity_id], voucher.cost_minutes,
                                         voucher.issued_at, voucher.expires_at, voucher.redeemed_at))
        usable = sorted((v for v in views if v.status is VoucherStatus.ISSUED),
                        key=lambda v: (v.expires_at, v.voucher_id))
        return usable + [v for v in views if v.status is not VoucherStatus.ISSUED]

    async def voucher_qr(self, member_id: int, code: str) -> bytes | None:
        """The QR of one of the member's own issued vouchers, to show it again."""
        normalised = normalise_code(code)
        if normalised is None:
            return None
        async with self.db.transaction() as session:
            found = await session.scalar(select(_voucher.c.id).where(
                _voucher.c.code == normalised, _voucher.c.member_id == member_id,
                _voucher.c.status == VoucherStatus.ISSUED))
        return voucher_qr_png(normalised) if found is not None else None


# --------------------------------------------------------------------------- helpers


async def _unused_code(session: AsyncSession) -> str:
    for _ in range(20):
        code = new_code()
        if await session.scalar(select(_voucher.c.id).where(_voucher.c.code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused voucher code in 20 tries")


async def _opportunity(session: AsyncSession, row: SpendOpportunity) -> Opportunity:
    organisation = await referenced(session, Organisation, row.organisation_id)
    neighbourhood = await session.get(Neighbourhood, row.neighbourhood_id) if row.neighbourhood_id else None
    return Opportunity(
        id=row.id, slug=row.slug, kind=SpendKind(row.kind), name_en=row.name_en, name_cy=row.name_cy,
        description_en=row.description_en or "", description_cy=row.description_cy or "", venue=row.venue,
        organisation=Named(organisation.id, organisation.slug, organisation.name_en, organisation.name_cy),
        neighbourhood=(Named(neighbourhood.id, neighbourhood.slug, neighbourhood.name_en, neighbourhood.name_cy)
                       if neighbourhood is not None else None),
        cost_minutes=row.cost_minutes, active=row.active, weekly_limit=row.weekly_limit,
        paused=row.paused_at is not None, managed_in_bot=row.managed_in_bot)


# Other services' read models (the offers staff manage) show opportunities the same way.
opportunity_view = _opportunity
