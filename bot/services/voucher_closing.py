"""How a voucher leaves "issued" other than at the counter: cancelled by its owner or
expired unused, and refunded either way (a REFUND transaction, organisation -> member,
idempotency key "voucher-refund:{voucher_id}").

Every transition is a guarded UPDATE ... WHERE status='issued', so a voucher is closed
once even when two expiry runs, or an expiry and its owner, race.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import SpendOpportunity, TransactionKind, Voucher, VoucherStatus
from bot.db.session import Database, referenced, rows_changed
from bot.services.ledger import InsufficientCredit, Ledger
from bot.services.member_facts import is_reachable
from bot.services.outbox import enqueue
from bot.services.outbox_payloads import VoucherExpired

log = logging.getLogger(__name__)

EXPIRY_BATCH = 200
_voucher = Voucher.__table__


@dataclass(frozen=True)
class ExpiryRun:
    expired: int  # vouchers this run expired and refunded
    refunded_minutes: int
    # Vouchers whose refund the organisation's account could not cover (its credits went
    # elsewhere): left issued, logged, tried again next run. Should stay empty.
    failed_voucher_ids: tuple[int, ...] = ()


async def close_voucher(session: AsyncSession, voucher_id: int, status: VoucherStatus, *,
                        expired_by: datetime | None = None) -> bool:
    """Guarded transition out of ISSUED; False when the voucher had left it already."""
    statement = update(_voucher).where(_voucher.c.id == voucher_id, _voucher.c.status == VoucherStatus.ISSUED)
    if expired_by is not None:
        statement = statement.where(_voucher.c.expires_at <= expired_by)
    return await rows_changed(session, statement.values(status=status)) == 1


async def refund_voucher(session: AsyncSession, ledger: Ledger, voucher: Voucher, now: datetime, *,
                         actor_member_id: int | None) -> tuple[int, int]:
    """Gives a closed voucher's credits back to its owner; (refund transaction, owner's balance)."""
    organisation_id = (await referenced(session, SpendOpportunity, voucher.spend_opportunity_id)).organisation_id
    organisation_account = await ledger.organisation_account_id(session, organisation_id)
    member_account = await ledger.member_account_id(session, voucher.member_id)
    posted = await ledger.post(
        session, kind=TransactionKind.REFUND,
        legs=[(organisation_account, -voucher.cost_minutes), (member_account, voucher.cost_minutes)],
        idempotency_key=f"voucher-refund:{voucher.id}", now=now, memo=voucher.code,
        actor_member_id=actor_member_id)
    await session.execute(update(_voucher).where(_voucher.c.id == voucher.id)
                          .values(refund_transaction_id=posted.transaction_id))
    return posted.transaction_id, await ledger.balance(session, member_account)



class VoucherExpiry:
    def __init__(self, db: Database, clock: Clock, ledger: Ledger) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger

    async def expire_vouchers(self) -> ExpiryRun:
        """Expire and refund every issued voucher past its expiry.

        Each voucher is its own transaction (one failure does not hold back the rest);
        running this from two processes at once expires and refunds each voucher once.
        """
        expired = refunded = 0
        failed: list[int] = []
        now = self.clock.now()
        after_id = 0
        while True:
            async with self.db.transaction() as session:
                due = list(await session.scalars(
                    select(_voucher.c.id).where(_voucher.c.status == VoucherStatus.ISSUED,
                                                _voucher.c.expires_at <= now, _voucher.c.id > after_id)
                    .order_by(_voucher.c.id).limit(EXPIRY_BATCH)))
            if not due:
                return ExpiryRun(expired, refunded, tuple(failed))
            after_id = due[-1]
            for voucher_id in due:
                try:
                    minutes = await self._expire_one(voucher_id, now)
                except InsufficientCredit as error:
                    log.warning("voucher %s: cannot refund on expiry (%s); left issued", voucher_id, error)
                    failed.append(voucher_id)
                    continue
                if minutes is not None:
                    expired += 1
                    refunded += minutes

    async def _expire_one(self, voucher_id: int, now: datetime) -> int | None:
        async with self.db.transaction() as session:
            if not await close_voucher(session, voucher_id, VoucherStatus.EXPIRED, expired_by=now):
                return None  # redeemed, cancelled or expired by someone else meanwhile
            voucher = (await session.execute(select(Voucher).where(Voucher.id == voucher_id))).scalar_one()
            _, balance = await refund_voucher(session, self.ledger, voucher, now, actor_member_id=None)
            if await is_reachable(session, voucher.member_id):
                await enqueue(session, member_id=voucher.member_id, payload=VoucherExpired(
                    voucher_id=voucher.id, code=voucher.code,
                    spend_opportunity_id=voucher.spend_opportunity_id, cost_minutes=voucher.cost_minutes,
                    expires_at=voucher.expires_at, balance_minutes=balance,
                ), dedupe_key=f"voucher_expired:{voucher.id}", now=now)
            return voucher.cost_minutes
