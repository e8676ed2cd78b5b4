"""The double-entry ledger of time credits: the one place that moves minutes.

Every movement is a `ledger_transaction` with two or more `ledger_entry` legs that sum
to zero (TimeOverflow's Transfer and Movements). Credits are issued by the scheme
account (whose balance is therefore minus everything in circulation), held by member
accounts (individuals and groups) and received by organisation accounts when spent.

Rules this module keeps, on SQLite and PostgreSQL alike:

* Rows are facts. Entries and transactions are only inserted (database triggers refuse
  UPDATE and DELETE); a correction is a new REVERSAL transaction that mirrors the legs
  of the one it corrects and names it in `reverses_transaction_id`, at most once.
* One operation, one transaction. `idempotency_key` is unique; posting with a key that
  was used already posts nothing and answers `Posted(existing_id, created=False)`
  (INSERT ... ON CONFLICT DO NOTHING, so two racing requests cannot both post). Reusing
  a key for a *different* posting is a programming error: `IdempotencyConflict`.
* No overdraft, without races. `account.balance_minutes` caches the sum of the account's
  entries and changes only here, in the same database transaction as the entries, through
  a guarded UPDATE (`... WHERE balance_minutes + :amount >= :floor`). On PostgreSQL the
  UPDATE takes the row lock and re-checks the guard against the committed row, so two
  concurrent spends cannot both pass; on SQLite BEGIN IMMEDIATE serialises writers.
  Accounts are updated in ascending id order so two postings never deadlock.
  Floors come from `LedgerConfig` by account kind: individuals `member_floor_minutes`,
  group members `group_floor_minutes`, organisations `organisation_floor_minutes`; the
  scheme has none. Only debits are guarded: a credit is always accepted, even into an
  account that sits below a floor that was made stricter later.
* `post` is atomic on its own: it runs inside a SAVEPOINT, so when it raises
  (InsufficientCredit, IdempotencyConflict, ...) nothing of it remains and the caller's
  transaction can still be used (for instance to return a refusal).

Callers pass the session of their own `db.transaction()`, so a posting commits or
rolls back together with the change it belongs to (an approval, a voucher).

This module sends no notifications; the services that call it do.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.config import LedgerConfig
from bot.db.models import (
    Account,
    AccountKind,
    AuditEvent,
    LedgerEntry,
    LedgerTransaction,
    Member,
    MemberKind,
    TransactionKind,
)
from bot.services import accounts

IDEMPOTENCY_KEY_MAX = 120  # the column's length
IN_LIST_CHUNK = 500  # ids per IN (...) list

_account = Account.__table__
_transaction = LedgerTransaction.__table__
_entry = LedgerEntry.__table__


# --------------------------------------------------------------------------- errors


class LedgerError(Exception):
    """Base of everything the ledger raises on purpose."""


class InvalidPosting(LedgerError, ValueError):
    """The legs or arguments cannot form a transaction (a bug in the caller)."""


class UnknownAccount(LedgerError, LookupError):
    def __init__(self, account_ids: Iterable[int] | int) -> None:
        ids = (account_ids,) if isinstance(account_ids, int) else tuple(sorted(account_ids))
        self.account_ids = ids
        super().__init__(f"no such account: {', '.join(map(str, ids))}")


class IdempotencyConflict(LedgerError):
    """The key was used before for a different posting."""

    def __init__(self, idempotency_key: str, transaction_id: int) -> None:
        self.idempotency_key = idempotency_key
        self.transaction_id = transaction_id
        super().__init__(f"idempotency key {idempotency_key!r} already names transaction "
                         f"{transaction_id}, which has different legs")


class InsufficientCredit(LedgerError):
    """A debit would take the account below its floor. Nothing was posted."""

    def __init__(self, account_id: int, balance_minutes: int, floor_minutes: int, needed_minutes: int) -> None:
        self.account_id = account_id
        self.balance_minutes = balance_minutes
        self.floor_minutes = floor_minutes
        self.needed_minutes = needed_minutes
        super().__init__(f"account {account_id}: balance {balance_minutes}, floor {floor_minutes}, "
                         f"needs {needed_minutes}")

    @property
    def available_minutes(self) -> int:
        """How much could have been debited."""
        return max(0, self.balance_minutes - self.floor_minutes)


class ReversalRefusal(enum.StrEnum):
    NOT_FOUND = "not_found"  # no transaction with that id
    IS_REVERSAL = "is_reversal"  # a reversal is never reversed; post a new transaction instead
    ALREADY_REVERSED = "already_reversed"


class ReversalRefused(LedgerError):
    def __init__(self, reason: ReversalRefusal, transaction_id: int) -> None:
        self.reason = reason
        self.transaction_id = transaction_id
        super().__init__(f"transaction {transaction_id} cannot be reversed: {reason.value}")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Posted:
    transaction_id: int
    # False: the idempotency key was used already; nothing was posted this time.
    created: bool
    # (account_id, balance after this posting) for every leg; empty when created is False.
    balances_after: tuple[tuple[int, int], ...] = ()

    def balance_after(self, account_id: int) -> int | None:
        return dict(self.balances_after).get(account_id)


# --------------------------------------------------------------------------- the ledger


class Ledger:
    def __init__(self, config: LedgerConfig) -> None:
        self.config = config

    # ------------------------------------------------------------------ floors

    def floor_for(self, account_kind: AccountKind, member_kind: MemberKind | None = None) -> int | None:
        """The lowest balance the account may reach; None for the scheme (no floor)."""
        if account_kind is AccountKind.SCHEME:
            return None
        if account_kind is AccountKind.ORGANISATION:
            return self.config.organisation_floor_minutes
        if member_kind is MemberKind.GROUP:
            return self.config.group_floor_minutes
        return self.config.member_floor_minutes

    def _floor_sql(self) -> ColumnElement[int]:
        """The floor of the account row being updated, as SQL (the scheme's case is handled apart)."""
        member_kind = select(Member.kind).where(Member.id == _account.c.member_id).scalar_subquery()
        return case((_account.c.kind == AccountKind.ORGANISATION, self.config.organisation_floor_minutes),
                    (member_kind == MemberKind.GROUP, self.config.group_floor_minutes),
                    else_=self.config.member_floor_minutes)

    async def _why_not(self, session: AsyncSession, account_id: int, amount: int) -> LedgerError:
        """The error for a leg whose UPDATE matched no row: no such account, or the guard."""
        row = (await session.execute(
            select(_account.c.kind, _account.c.balance_minutes, Member.kind)
            .select_from(_account.outerjoin(Member.__table__, Member.id == _account.c.member_id))
            .where(_account.c.id == account_id))).one_or_none()
        if row is None:
            return UnknownAccount(account_id)
        account_kind, balance, member_kind = row
        floor = self.floor_for(AccountKind(account_kind), MemberKind(member_kind) if member_kind else None)
        return InsufficientCredit(account_id, int(balance), int(floor or 0), -amount)

    # ------------------------------------------------------------------ posting

    async def post(self, session: AsyncSession, *, kind: TransactionKind, legs: Sequence[tuple[int, int]],
                   idempotency_key: str, now: datetime, memo: str | None = None,
                   actor_member_id: int | None = None, reverses_transaction_id: int | None = None) -> Posted:
        """Post one balanced transaction, or nothing if the key was used already.

        Raises InsufficientCredit when a debit would cross its account's floor,
        InvalidPosting for malformed legs, UnknownAccount, IdempotencyConflict.
        """
        ordered = _validated_legs(legs)
        kind = TransactionKind(kind)
        if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
            raise InvalidPosting(f"idempotency_key must be 1..{IDEMPOTENCY_KEY_MAX} characters")
        if now.tzinfo is None:
            raise InvalidPosting("now must be an aware datetime")
        if (kind is TransactionKind.REVERSAL) != (reverses_transaction_id is not None):
            raise InvalidPosting("a REVERSAL, and only a reversal, names the transaction it reverses")

        async with session.begin_nested():
            connection = await session.connection()  # Core statements: no ORM overhead per round trip
            transaction_id = await self._insert_transaction(
                connection, kind=kind, idempotency_key=idempotency_key, now=now, memo=memo,
                actor_member_id=actor_member_id, reverses_transaction_id=reverses_transaction_id)
            if transaction_id is None:
                existing = await self._same_posting(session, idempotency_key, kind, ordered, reverses_transaction_id)
                return Posted(existing, created=False)

            balances: list[tuple[int, int]] = []
            for account_id, amount in ordered:  # ascending account id: no deadlocks
                statement = (update(_account).where(_account.c.id == account_id)
                             .values(balance_minutes=_account.c.balance_minutes + amount)
                             .returning(_account.c.balance_minutes))
                if amount < 0:  # the guard; its floor is worked out in SQL from the account's kind
                    statement = statement.where(or_(_account.c.kind == AccountKind.SCHEME,
                                                    _account.c.balance_minutes + amount >= self._floor_sql()))
                balance = (await connection.execute(statement)).scalar_one_or_none()
                if balance is None:
                    raise await self._why_not(session, account_id, amount)
                balances.append((account_id, int(balance)))

            await connection.execute(insert(_entry), [
                {"transaction_id": transaction_id, "account_id": account_id, "amount_minutes": amount}
                for account_id, amount in ordered])

        self._refresh_loaded_accounts(session, balances)
        return Posted(transaction_id, created=True, balances_after=tuple(balances))

    async def _insert_transaction(self, connection: AsyncConnection, *, kind: TransactionKind,
                                  idempotency_key: str, now: datetime, memo: str | None,
                                  actor_member_id: int | None, reverses_transaction_id: int | None) -> int | None:
        dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        statement = (dialect_insert(_transaction).values(
            kind=kind, idempotency_key=idempotency_key, reverses_transaction_id=reverses_transaction_id,
            memo=memo, created_at=now, created_by_member_id=actor_member_id)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_transaction.c.id))
        transaction_id: int | None = (await connection.execute(statement)).scalar_one_or_none()
        return transaction_id

    async def _same_posting(self, session: AsyncSession, idempotency_key: str, kind: TransactionKind,
                            legs: list[tuple[int, int]], reverses_transaction_id: int | None) -> int:
        row = (await session.execute(
            select(_transaction.c.id, _transaction.c.kind, _transaction.c.reverses_transaction_id)
            .where(_transaction.c.idempotency_key == idempotency_key))).one()
        existing_legs = sorted((await session.execute(
            select(_entry.c.account_id, _entry.c.amount_minutes)
            .where(_entry.c.transaction_id == row.id))).all())
        if (TransactionKind(row.kind) is not kind or row.reverses_transaction_id != reverses_transaction_id
                or [(a, int(m)) for a, m in existing_legs] != legs):
            raise IdempotencyConflict(idempotency_key, row.id)
        return int(row.id)

    @staticmethod
    def _refresh_loaded_accounts(session: AsyncSession, balances: list[tuple[int, int]]) -> None:
        """Keep Account objects already loaded in this session in step with the database."""
        identity_map = session.sync_session.identity_map
        for account_id, balance in balances:
            loaded = identity_map.get(identity_key(Account, account_id))
            if loaded is not None:
                set_committed_value(loaded, "balance_minutes", balance)

    # ------------------------------------------------------------------ conveniences

    async def earn(self, session: AsyncSession, *, member_id: int, minutes: int, idempotency_key: str,
                   now: datetime, memo: str | None = None, actor_member_id: int | None = None) -> Posted:
        """Issue `minutes` new credits from the scheme to the member (hours approved)."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise InvalidPosting("earn needs a positive whole number of minutes")
        scheme = await self.scheme_account_id(session)
        member = await self.member_account_id(session, member_id)
        return await self.post(session, kind=TransactionKind.EARN, legs=[(scheme, -minutes), (member, minutes)],
                               idempotency_key=idempotency_key, now=now, memo=memo,
                               actor_member_id=actor_member_id)

    async def reverse(self, session: AsyncSession, *, transaction_id: int, reason: str, idempotency_key: str,
                      now: datetime, actor_member_id: int | None) -> Posted:
        """Post the mirror image of a transaction. Raises ReversalRefused.

        A reversal is itself guarded: it cannot take a member or organisation below its
        floor (InsufficientCredit, e.g. when the earned credits were spent already);
        only the scheme may go wherever the mirror takes it. Recorded in audit_event.
        """
        if not reason or not reason.strip():
            raise InvalidPosting("a reversal needs a reason")
        used = (await session.execute(
            select(_transaction.c.id, _transaction.c.reverses_transaction_id)
            .where(_transaction.c.idempotency_key == idempotency_key))).one_or_none()
        if used is not None:
            if used.reverses_transaction_id != transaction_id:
                raise IdempotencyConflict(idempotency_key, used.id)
            return Posted(int(used.id), created=False)

        refusal = await self.reversal_refusal(session, transaction_id)
        if refusal is not None:
            raise ReversalRefused(refusal, transaction_id)
        legs = (await session.execute(
            select(_entry.c.account_id, _entry.c.amount_minutes)
            .where(_entry.c.transaction_id == transaction_id))).all()
        try:
            posted = await self.post(
                session, kind=TransactionKind.REVERSAL,
                legs=[(account_id, -int(amount)) for account_id, amount in legs],
                idempotency_key=idempotency_key, now=now, memo=reason.strip(), actor_member_id=actor_member_id,
                reverses_transaction_id=transaction_id)
        except IntegrityError as error:
            # Another reversal of the same transaction committed between our check and
            # our insert (PostgreSQL); the unique reverses_transaction_id caught it.
            if "reverses_transaction_id" in str(error.orig):
                raise ReversalRefused(ReversalRefusal.ALREADY_REVERSED, transaction_id) from None
            raise
        if posted.created:
            await session.execute(insert(AuditEvent.__table__).values(
                at=now, actor_member_id=actor_member_id, action="ledger.reverse",
                details={"transaction_id": transaction_id, "reversal_transaction_id": posted.transaction_id,
                         "reason": reason.strip()}))
        return posted

    async def reversal_refusal(self, session: AsyncSession, transaction_id: int) -> ReversalRefusal | None:
        """The one rule deciding whether a transaction may be reversed (None: it may)."""
        original = (await session.execute(
            select(_transaction.c.kind, _transaction.c.reverses_transaction_id)
            .where(_transaction.c.id == transaction_id))).one_or_none()
        if original is None:
            return ReversalRefusal.NOT_FOUND
        if TransactionKind(original.kind) is TransactionKind.REVERSAL or original.reverses_transaction_id is not None:
            return ReversalRefusal.IS_REVERSAL
        if await session.scalar(select(_transaction.c.id).where(
                _transaction.c.reverses_transaction_id == transaction_id)) is not None:
            return ReversalRefusal.ALREADY_REVERSED
        return None

    # ------------------------------------------------------------------ accounts

    async def lock_accounts(self, session: AsyncSession, account_ids: Iterable[int]) -> None:
        """Lock accounts in ascending id order before posting several transactions.

        A service that posts more than once in one database transaction (approve all,
        a group activity) calls this first, so its row locks are taken in the same
        global order as a single posting's and cannot deadlock with them (PostgreSQL;
        on SQLite the write lock is already exclusive and this is a plain read).
        """
        ids = sorted(set(account_ids))
        for start in range(0, len(ids), IN_LIST_CHUNK):
            await session.execute(select(_account.c.id).where(_account.c.id.in_(ids[start:start + IN_LIST_CHUNK]))
                                  .order_by(_account.c.id).with_for_update(key_share=True))

    async def scheme_account_id(self, session: AsyncSession) -> int:
        account_id = await session.scalar(
            select(_account.c.id).where(_account.c.kind == AccountKind.SCHEME).order_by(_account.c.id).limit(1))
        return int(account_id) if account_id is not None else (await accounts.scheme_account(session)).id

    async def member_account_id(self, session: AsyncSession, member_id: int) -> int:
        account_id = await session.scalar(select(_account.c.id).where(_account.c.member_id == member_id))
        if account_id is not None:
            return int(account_id)
        if await session.scalar(select(Member.id).where(Member.id == member_id)) is None:
            raise LookupError(f"no member {member_id}")
        return (await accounts.member_account(session, member_id)).id

    async def organisation_account_id(self, session: AsyncSession, organisation_id: int) -> int:
        account_id = await session.scalar(select(_account.c.id).where(_account.c.organisation_id == organisation_id))
        if account_id is not None:
            return int(account_id)
        return (await accounts.organisation_account(session, organisation_id)).id

    # ------------------------------------------------------------------ reading

    async def balance(self, session: AsyncSession, account_id: int) -> int:
        """The cached balance (what the overdraft guard compares against)."""
        balance = await session.scalar(select(_account.c.balance_minutes).where(_account.c.id == account_id))
        if balance is None:
            raise UnknownAccount(account_id)
        return int(balance)

# --------------------------------------------------------------------------- helpers


def _validated_legs(legs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Legs as a list sorted by account id, or InvalidPosting."""
    if len(legs) < 2:
        raise InvalidPosting("a transaction needs at least two legs")
    seen: set[int] = set()
    ordered = []
    for leg in legs:
        account_id, amount = leg
        for value in (account_id, amount):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidPosting(f"legs are (account_id, minutes) integer pairs, not {leg!r}")
        if amount == 0:
            raise InvalidPosting(f"account {account_id}: a leg of zero minutes")
        if account_id in seen:
            raise InvalidPosting(f"account {account_id} appears twice")
        seen.add(account_id)
        ordered.append((account_id, amount))
    if sum(amount for _, amount in ordered) != 0:
        raise InvalidPosting("legs must sum to zero")
    return sorted(ordered)


async def recomputed_balance(session: AsyncSession, account_id: int) -> int:
    """The balance as the sum of the account's entries (slow path; for audits and statements)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(_entry.c.amount_minutes), 0)).where(_entry.c.account_id == account_id))
    return int(total or 0)
