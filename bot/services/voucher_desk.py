"""The counter: partner staff at a venue accept a voucher with `/redeem CODE`, once.

The role comes first: someone who is not partner staff of any organisation is told so
and learns nothing about the code (whether it exists, whose it is).

The same answer twice: the person at the desk who accepted a voucher and then types the
code again (no answer came because the bot died before replying, or the update is
handled again after a crash) is told "Accepted" with the original details, not "already
used". That holds for the partner who accepted it, within REPEAT_WINDOW of accepting.
Another partner, or the same one later than that (a second purchase with a code that
was already spent), is told it has already been used. Ten minutes is how long staff
reasonably try again for one customer at the counter; a second purchase with the same
code takes longer than that to come round.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Member, Role, SpendOpportunity, Voucher, VoucherStatus
from bot.db.session import Database, referenced, rows_changed
from bot.services import roles
from bot.services.member_facts import is_reachable
from bot.services.outbox import enqueue
from bot.services.outbox_payloads import VoucherRedeemed
from bot.services.spending import Opportunity, normalise_code, opportunity_view

REPEAT_WINDOW = timedelta(minutes=10)
_voucher = Voucher.__table__


class RedemptionOutcome(enum.StrEnum):
    REDEEMED = "redeemed"
    ALREADY_REDEEMED = "already_redeemed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNKNOWN_CODE = "unknown_code"
    NOT_PARTNER = "not_partner"  # no partner role, or none for the opportunity's organisation


@dataclass(frozen=True)
class Redemption:
    outcome: RedemptionOutcome
    code: str | None = None
    voucher_id: int | None = None
    member_id: int | None = None
    member_display_name: str | None = None
    opportunity: Opportunity | None = None
    cost_minutes: int | None = None
    redeemed_at: datetime | None = None
    repeated: bool = False  # REDEEMED: the same partner's acceptance, told again


def redemption_refusal(*, is_partner: bool, status: VoucherStatus, expires_at: datetime,
                       now: datetime) -> RedemptionOutcome | None:
    """The one rule for confirming a voucher at the counter (the code is known); None: it may."""
    if not is_partner:
        return RedemptionOutcome.NOT_PARTNER
    if status is VoucherStatus.REDEEMED:
        return RedemptionOutcome.ALREADY_REDEEMED
    if status is VoucherStatus.CANCELLED:
        return RedemptionOutcome.CANCELLED
    if status is VoucherStatus.EXPIRED or expires_at <= now:
        return RedemptionOutcome.EXPIRED
    return None


def is_repeat_of_acceptance(voucher: Voucher, partner_member_id: int, now: datetime) -> bool:
    """The partner who accepted this voucher, asking again soon after: the same acceptance."""
    return (VoucherStatus(voucher.status) is VoucherStatus.REDEEMED
            and voucher.redeemed_by_member_id == partner_member_id
            and voucher.redeemed_at is not None and now - voucher.redeemed_at <= REPEAT_WINDOW)


class VoucherDesk:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def confirm_redemption(self, partner_member_id: int, code: str) -> Redemption:
        """Partner staff at the venue accept a voucher, once."""
        async with self.db.transaction() as session:
            if not await roles.organisations_with_role(session, partner_member_id, Role.PARTNER):
                return Redemption(RedemptionOutcome.NOT_PARTNER)
            normalised = normalise_code(code)
            if normalised is None:
                return Redemption(RedemptionOutcome.UNKNOWN_CODE)
            voucher = await session.scalar(select(Voucher).where(Voucher.code == normalised))
            if voucher is None:
                return Redemption(RedemptionOutcome.UNKNOWN_CODE, code=normalised)
            row = await referenced(session, SpendOpportunity, voucher.spend_opportunity_id)
            now = self.clock.now()
            is_partner = await roles.has_role(session, partner_member_id, Role.PARTNER, row.organisation_id)
            if is_partner and is_repeat_of_acceptance(voucher, partner_member_id, now):
                return await self._accepted(session, voucher, row, normalised, voucher.redeemed_at, repeated=True)
            refusal = redemption_refusal(is_partner=is_partner, status=VoucherStatus(voucher.status),
                                         expires_at=voucher.expires_at, now=now)
            if refusal is None:
                changed = await rows_changed(session,
                    update(_voucher).where(_voucher.c.id == voucher.id, _voucher.c.status == VoucherStatus.ISSUED,
                                           _voucher.c.expires_at > now)
                    .values(status=VoucherStatus.REDEEMED, redeemed_at=now, redeemed_by_member_id=partner_member_id))
                if changed != 1:  # someone changed it first: say what it is now
                    await session.refresh(voucher)
                    if is_repeat_of_acceptance(voucher, partner_member_id, now):  # this desk, a moment ago
                        return await self._accepted(session, voucher, row, normalised, voucher.redeemed_at,
                                                    repeated=True)
                    refusal = redemption_refusal(is_partner=True, status=VoucherStatus(voucher.status),
                                                 expires_at=voucher.expires_at, now=now) \
                        or RedemptionOutcome.ALREADY_REDEEMED
            if refusal is RedemptionOutcome.NOT_PARTNER:
                return Redemption(refusal, code=normalised)
            if refusal is not None:
                member_name = await session.scalar(select(Member.display_name).where(Member.id == voucher.member_id))
                return Redemption(refusal, code=normalised, voucher_id=voucher.id, member_id=voucher.member_id,
                                  member_display_name=member_name, opportunity=await opportunity_view(session, row),
                                  cost_minutes=voucher.cost_minutes)
            if await is_reachable(session, voucher.member_id):
                await enqueue(session, member_id=voucher.member_id, payload=VoucherRedeemed(
                    voucher_id=voucher.id, code=voucher.code, spend_opportunity_id=row.id,
                    cost_minutes=voucher.cost_minutes, redeemed_at=now,
                ), dedupe_key=f"voucher_redeemed:{voucher.id}", now=now)
            return await self._accepted(session, voucher, row, normalised, now, repeated=False)

    async def _accepted(self, session: AsyncSession, voucher: Voucher, row: SpendOpportunity, code: str,
                        redeemed_at: datetime | None, *, repeated: bool) -> Redemption:
        member_name = await session.scalar(select(Member.display_name).where(Member.id == voucher.member_id))
        return Redemption(RedemptionOutcome.REDEEMED, code=code, voucher_id=voucher.id, member_id=voucher.member_id,
                          member_display_name=member_name, opportunity=await opportunity_view(session, row),
                          cost_minutes=voucher.cost_minutes, redeemed_at=redeemed_at, repeated=repeated)
