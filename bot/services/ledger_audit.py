"""Auditing the ledger: every invariant over the whole database (`coprod-bot ledger
check`, and the tests after every story). Reads only; [] when the ledger is sound."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.config import LedgerConfig
from bot.db.models import Account, AccountKind, LedgerEntry, LedgerTransaction, Member, MemberKind, TransactionKind
from bot.services.ledger import IN_LIST_CHUNK

_account = Account.__table__
_transaction = LedgerTransaction.__table__
_entry = LedgerEntry.__table__


class ViolationKind(enum.StrEnum):
    UNBALANCED_TRANSACTION = "unbalanced_transaction"  # legs do not sum to zero
    TOO_FEW_LEGS = "too_few_legs"  # fewer than two entries
    STALE_BALANCE = "stale_balance"  # cached balance differs from the sum of entries
    BELOW_FLOOR = "below_floor"  # a non-scheme account below its floor
    LEDGER_NOT_ZERO = "ledger_not_zero"  # all entries together do not sum to zero
    BALANCES_NOT_ZERO = "balances_not_zero"  # all cached balances together do not sum to zero
    REVERSAL_UNLINKED = "reversal_unlinked"  # kind and reverses_transaction_id disagree
    REVERSAL_OF_MISSING = "reversal_of_missing"
    REVERSAL_OF_REVERSAL = "reversal_of_reversal"
    REVERSED_TWICE = "reversed_twice"
    REVERSAL_MISMATCH = "reversal_mismatch"  # legs are not the mirror of the original's


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    transaction_id: int | None = None
    account_id: int | None = None
    expected: int | None = None
    actual: int | None = None


async def audit_ledger(session: AsyncSession, config: LedgerConfig) -> list[Violation]:
    """Every invariant of the ledger over the whole database; [] when sound."""
    violations: list[Violation] = []
    e, t, a = _entry.c, _transaction.c, _account.c

    legs = (select(t.id, func.count(e.id).label("legs"),
                   func.coalesce(func.sum(e.amount_minutes), 0).label("total"))
            .select_from(_transaction.outerjoin(_entry, e.transaction_id == t.id))
            .group_by(t.id)
            .having((func.count(e.id) < 2) | (func.coalesce(func.sum(e.amount_minutes), 0) != 0))
            .order_by(t.id))
    for transaction_id, count, total in (await session.execute(legs)):
        if count < 2:
            violations.append(Violation(ViolationKind.TOO_FEW_LEGS, transaction_id=transaction_id,
                                        expected=2, actual=int(count)))
        if total != 0:
            violations.append(Violation(ViolationKind.UNBALANCED_TRANSACTION, transaction_id=transaction_id,
                                        expected=0, actual=int(total)))

    sums = (select(e.account_id, func.sum(e.amount_minutes).label("total"))
            .group_by(e.account_id).subquery())
    stale = (select(a.id, a.balance_minutes, func.coalesce(sums.c.total, 0))
             .select_from(_account.outerjoin(sums, sums.c.account_id == a.id))
             .where(a.balance_minutes != func.coalesce(sums.c.total, 0))
             .order_by(a.id))
    for account_id, cached, total in (await session.execute(stale)):
        violations.append(Violation(ViolationKind.STALE_BALANCE, account_id=account_id,
                                    expected=int(total), actual=int(cached)))

    floor = case((a.kind == AccountKind.ORGANISATION.value, config.organisation_floor_minutes),
                 (Member.kind == MemberKind.GROUP.value, config.group_floor_minutes),
                 else_=config.member_floor_minutes)
    below = (select(a.id, a.balance_minutes, floor)
             .select_from(_account.outerjoin(Member.__table__, Member.id == a.member_id))
             .where(a.kind != AccountKind.SCHEME.value, a.balance_minutes < floor)
             .order_by(a.id))
    for account_id, balance, account_floor in (await session.execute(below)):
        violations.append(Violation(ViolationKind.BELOW_FLOOR, account_id=account_id,
                                    expected=int(account_floor), actual=int(balance)))

    entries_total = int(await session.scalar(select(func.coalesce(func.sum(e.amount_minutes), 0))) or 0)
    if entries_total != 0:
        violations.append(Violation(ViolationKind.LEDGER_NOT_ZERO, expected=0, actual=entries_total))
    balances_total = int(await session.scalar(select(func.coalesce(func.sum(a.balance_minutes), 0))) or 0)
    if balances_total != 0:
        violations.append(Violation(ViolationKind.BALANCES_NOT_ZERO, expected=0, actual=balances_total))

    violations.extend(await _check_reversals(session))
    return violations

async def _check_reversals(session: AsyncSession) -> list[Violation]:
    t = _transaction.c
    violations: list[Violation] = []
    unlinked = select(t.id).where(
        ((t.kind == TransactionKind.REVERSAL.value) & t.reverses_transaction_id.is_(None))
        | ((t.kind != TransactionKind.REVERSAL.value) & t.reverses_transaction_id.is_not(None))).order_by(t.id)
    for (transaction_id,) in (await session.execute(unlinked)):
        violations.append(Violation(ViolationKind.REVERSAL_UNLINKED, transaction_id=transaction_id))

    original = aliased(LedgerTransaction)
    pairs = (await session.execute(
        select(LedgerTransaction.id, LedgerTransaction.reverses_transaction_id, original.id, original.kind,
               original.reverses_transaction_id)
        .outerjoin(original, original.id == LedgerTransaction.reverses_transaction_id)
        .where(LedgerTransaction.reverses_transaction_id.is_not(None))
        .order_by(LedgerTransaction.id))).all()
    linked: list[tuple[int, int]] = []
    for reversal_id, target_id, found_id, found_kind, found_reverses in pairs:
        if found_id is None:
            violations.append(Violation(ViolationKind.REVERSAL_OF_MISSING, transaction_id=reversal_id,
                                        expected=target_id))
        elif TransactionKind(found_kind) is TransactionKind.REVERSAL or found_reverses is not None:
            violations.append(Violation(ViolationKind.REVERSAL_OF_REVERSAL, transaction_id=reversal_id,
                                        expected=target_id))
        elif target_id is not None:  # the WHERE clause makes it so
            linked.append((reversal_id, target_id))

    twice = (select(t.reverses_transaction_id, func.count()).where(t.reverses_transaction_id.is_not(None))
             .group_by(t.reverses_transaction_id).having(func.count() > 1))
    for target_id, count in (await session.execute(twice)):
        violations.append(Violation(ViolationKind.REVERSED_TWICE, transaction_id=target_id,
                                    expected=1, actual=int(count)))

    for start in range(0, len(linked), IN_LIST_CHUNK):
        chunk = linked[start:start + IN_LIST_CHUNK]
        ids = {i for pair in chunk for i in pair}
        legs: dict[int, dict[int, int]] = {}
        rows = await session.execute(select(_entry.c.transaction_id, _entry.c.account_id, _entry.c.amount_minutes)
                                     .where(_entry.c.transaction_id.in_(ids)))
        for transaction_id, account_id, amount in rows:
            per_account = legs.setdefault(transaction_id, {})
            per_account[account_id] = per_account.get(account_id, 0) + int(amount)
        for reversal_id, target_id in chunk:
            mirror = {account_id: -amount for account_id, amount in legs.get(target_id, {}).items()}
            if legs.get(reversal_id, {}) != mirror:
                violations.append(Violation(ViolationKind.REVERSAL_MISMATCH, transaction_id=reversal_id,
                                            expected=target_id))
    return violations
