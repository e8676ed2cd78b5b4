"""The reconciliation line: the summary's credits earned, spent and transferred, each
set beside the ledger's own movements for the week, read from ledger entries only.

The summary works its credits out from the domain's records (time entries and their
earn, vouchers issued, members' gifts); this reads the double-entry ledger by
transaction kind instead. Equal, the line says so; a difference is stated with its size,
so a figure that disagrees between two screens (TimeOverflow #701) is seen the week it
happens.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, LedgerEntry, LedgerTransaction, Member, TimeEntry, TransactionKind
from bot.services.summary.model import Check, Credits, Figure, LedgerWeek, Reconciliation, Scope, ScopeKind
from bot.services.summary.weeks import IsoWeek


class LedgerMovements:
    """The ledger's side, for one scope and week."""

    def __init__(self, session: AsyncSession, scope: Scope, tz: ZoneInfo) -> None:
        self.session = session
        self.scope = scope
        self.tz = tz

    def _legs(self, kind: TransactionKind, week: IsoWeek) -> list[ColumnElement[bool]]:
        return [LedgerTransaction.kind == kind, LedgerTransaction.created_at >= week.starts_at(self.tz),
                LedgerTransaction.created_at < week.ends_at(self.tz)]

    def _in_scope(self) -> list[ColumnElement[bool]]:
        """Member accounts of the scope (the neighbourhood's residents, or everyone's)."""
        where: list[ColumnElement[bool]] = [Account.member_id.is_not(None)]
        if self.scope.kind is ScopeKind.NEIGHBOURHOOD:
            where.append(Account.member_id.in_(select(Member.id).where(Member.neighbourhood_id == self.scope.id)))
        return where

    async def _sum(self, kind: TransactionKind, week: IsoWeek, *where: ColumnElement[bool],
                   negate: bool = False) -> int:
        amount = func.sum(LedgerEntry.amount_minutes)
        total = await self.session.scalar(
            select(func.coalesce(-amount if negate else amount, 0)).select_from(LedgerEntry)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(*self._legs(kind, week), *where))
        return int(total or 0)

    async def earned(self, week: IsoWeek) -> int:
        """Credits the earn transactions put into members' accounts."""
        if self.scope.kind is ScopeKind.ORGANISATION:  # the ledger does not know organisations' hours:
            # the earns the organisation's time entries point at, by their own legs
            of_organisation = (select(TimeEntry.ledger_transaction_id)
                               .join(LedgerTransaction, LedgerTransaction.id == TimeEntry.ledger_transaction_id)
                               .where(*self._legs(TransactionKind.EARN, week),
                                      TimeEntry.organisation_id == self.scope.id))
            return await self._sum(TransactionKind.EARN, week, Account.member_id.is_not(None),
                                   LedgerTransaction.id.in_(of_organisation))
        return await self._sum(TransactionKind.EARN, week, *self._in_scope())

    async def spent(self, week: IsoWeek) -> int:
        """Credits spend transactions took out of members' accounts (or paid into the
        organisation's, for one organisation)."""
        if self.scope.kind is ScopeKind.ORGANISATION:
            return await self._sum(TransactionKind.SPEND, week, Account.organisation_id == self.scope.id)
        return await self._sum(TransactionKind.SPEND, week, *self._in_scope(), negate=True)

    async def transferred(self, week: IsoWeek) -> int:
        """Credits received in the transfers whose giver is in the scope."""
        # Bounded by the week like the outer query, so history does not slow it down.
        giver = (select(LedgerEntry.transaction_id).join(Account, Account.id == LedgerEntry.account_id)
                 .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                 .where(*self._legs(TransactionKind.TRANSFER, week), LedgerEntry.amount_minutes < 0,
                        *self._in_scope()))
        return await self._sum(TransactionKind.TRANSFER, week, LedgerEntry.amount_minutes > 0,
                               LedgerEntry.transaction_id.in_(giver))


    async def week(self, week: IsoWeek) -> LedgerWeek:
        return LedgerWeek(earned=await self.earned(week), spent=await self.spent(week),
                          transferred=None if self.scope.kind is ScopeKind.ORGANISATION
                          else await self.transferred(week))


def reconcile(credits: Credits, ledger: LedgerWeek) -> Reconciliation:
    """The summary's credits beside the ledger's movements (read, or stored with the week)."""
    checks = [Check(figure=Figure.EARNED, summary=credits.earned, ledger=ledger.earned),
              Check(figure=Figure.SPENT, summary=credits.spent, ledger=ledger.spent)]
    if credits.transferred is not None:
        checks.append(Check(figure=Figure.TRANSFERRED, summary=credits.transferred, ledger=ledger.transferred or 0))
    return Reconciliation(checks=tuple(checks))


def checked_against(reconciliation: Reconciliation, credits: Credits) -> Reconciliation:
    """The same ledger figures beside other summary figures (a test breaking one on purpose)."""
    summary = {Figure.EARNED: credits.earned, Figure.SPENT: credits.spent,
               Figure.TRANSFERRED: credits.transferred or 0}
    return Reconciliation(checks=tuple(check.model_copy(update={"summary": summary[check.figure]})
                                       for check in reconciliation.checks))
