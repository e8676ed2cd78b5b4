"""Finding or opening the ledger account of a member, an organisation or the scheme.

Kept apart from the ledger's posting rules so that registration and reference-data
sync can open accounts without depending on how transactions are written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, AccountKind


async def scheme_account(session: AsyncSession) -> Account:
    account = await session.scalar(select(Account).where(Account.kind == AccountKind.SCHEME))
    if account is None:
        account = Account(kind=AccountKind.SCHEME, balance_minutes=0)
        session.add(account)
        await session.flush()
    return account


async def organisation_account(session: AsyncSession, organisation_id: int) -> Account:
    account = await session.scalar(select(Account).where(Account.organisation_id == organisation_id))
    if account is None:
        account = Account(kind=AccountKind.ORGANISATION, organisation_id=organisation_id, balance_minutes=0)
        session.add(account)
        await session.flush()
    return account


async def member_account(session: AsyncSession, member_id: int) -> Account:
    account = await session.scalar(select(Account).where(Account.member_id == member_id))
    if account is None:
        account = Account(kind=AccountKind.MEMBER, member_id=member_id, balance_minutes=0)
        session.add(account)
        await session.flush()
    return account
