"""An account's statement: its movements, newest first, each with the balance after it
and the other side of the transaction (as data; the handler turns it into words)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import Account, AccountKind, LedgerEntry, LedgerTransaction, TransactionKind
from bot.services.ledger import IN_LIST_CHUNK, UnknownAccount, recomputed_balance


@dataclass(frozen=True)
class Party:
    """The other side of a movement, as data; the handler turns it into words."""

    account_id: int
    kind: AccountKind
    member_id: int | None
    organisation_id: int | None


@dataclass(frozen=True)
class Movement:
    """One transaction as seen from one account."""

    transaction_id: int
    created_at: datetime
    kind: TransactionKind
    amount_minutes: int  # signed, for this account
    balance_after_minutes: int  # the account's balance (sum of its entries) after this movement
    counterparties: tuple[Party, ...]
    memo: str | None
    actor_member_id: int | None
    reverses_transaction_id: int | None
    reversed_by_transaction_id: int | None

    @property
    def counterparty(self) -> Party | None:
        """The other account when there is exactly one (every posting this bot makes)."""
        return self.counterparties[0] if len(self.counterparties) == 1 else None


async def statement(session: AsyncSession, account_id: int, *, limit: int | None = None,
                    balance_now: int | None = None) -> list[Movement]:
    """The account's movements, newest first. `balance_now`: the account's balance the
    caller read in this transaction (so the account exists), the starting point of the
    running balances; without it the balance is summed from every entry, which for the
    last few movements of a long history is the whole history read again."""
    if balance_now is None and await session.scalar(select(Account.id).where(Account.id == account_id)) is None:
        raise UnknownAccount(account_id)
    reversal = aliased(LedgerTransaction)
    query = (select(LedgerEntry.transaction_id, LedgerEntry.amount_minutes, LedgerTransaction.created_at,
                    LedgerTransaction.kind, LedgerTransaction.memo, LedgerTransaction.created_by_member_id,
                    LedgerTransaction.reverses_transaction_id, reversal.id)
             .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
             .outerjoin(reversal, reversal.reverses_transaction_id == LedgerTransaction.id)
             .where(LedgerEntry.account_id == account_id)
             .order_by(LedgerEntry.transaction_id.desc(), LedgerEntry.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    balance = await recomputed_balance(session, account_id) if balance_now is None else balance_now

    parties: dict[int, list[Party]] = {}
    transaction_ids = sorted({row[0] for row in rows})
    for start in range(0, len(transaction_ids), IN_LIST_CHUNK):
        chunk = transaction_ids[start:start + IN_LIST_CHUNK]
        others = await session.execute(
            select(LedgerEntry.transaction_id, Account.id, Account.kind, Account.member_id, Account.organisation_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(LedgerEntry.transaction_id.in_(chunk), LedgerEntry.account_id != account_id)
            .order_by(LedgerEntry.id))
        for transaction_id, other_id, kind, member_id, organisation_id in others:
            parties.setdefault(transaction_id, []).append(
                Party(other_id, AccountKind(kind), member_id, organisation_id))

    movements = []
    for transaction_id, amount, created_at, transaction_kind, memo, actor, reverses, reversed_by in rows:
        movements.append(Movement(
            transaction_id=transaction_id, created_at=created_at, kind=TransactionKind(transaction_kind),
            amount_minutes=int(amount), balance_after_minutes=balance,
            counterparties=tuple(parties.get(transaction_id, ())), memo=memo, actor_member_id=actor,
            reverses_transaction_id=reverses, reversed_by_transaction_id=reversed_by))
        balance -= int(amount)
    return movements
