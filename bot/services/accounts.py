"""Finding or opening the ledger account of a member, an organisation or the scheme.

Kept apart from the ledger's posting rules so that registration and reference-data
sync can open accounts without depending on how transactions are written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, AccountKind


async def _account(session: AsyncSession, kind: AccountKind, *, member_id: int | None = None,
                   organisation_id: int | None = None) -> Account:
    account = await session.scalar(select(Account).where(
        Account.kind == kind,
        Account.member_id.is_(None) if member_id is None else Account.member_id == member_id,
        Account.organisation_id.is_(None) if organisation_id is None else Account.organisation_id == organisation_id))
    if account is None:
        account = Account(kind=kind, member_id=member_id, organisation_id=organisation_id, balance_minutes=0)
        session.add(account)
        await session.flush()
    return account


async def scheme_account(session: AsyncSession) -> Account:
    return await _account(session, AccountKind.SCHEME)


async def organisation_account(session: AsyncSession, organisation_id: int) -> Account:
    return await _account(session, AccountKind.ORGANISATION, organisation_id=organisation_id)


async def member_account(session: AsyncSession, member_id: int) -> Account:
    return await _account(session, AccountKind.MEMBER, member_id=member_id)
