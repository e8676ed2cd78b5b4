"""Shared by the ledger, hours, spending and transfer tests: a small world of members,
roles and services over the `db` fixture, and an independent audit of the ledger.

`assert_ledger_sound` recomputes the invariants with its own SQL rather than trusting
`Ledger.check`, and also asserts that `check` agrees, so a bug in one is caught by the other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.clock import FrozenClock
from bot.config import Config, LedgerConfig
from bot.db.models import (
    Account,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    Member,
    MemberKind,
    OutboxMessage,
    Role,
    RoleGrant,
    SpendKind,
)
from bot.db.session import Database
from bot.services.group_credit import GroupCreditService
from bot.services.hours import HoursService
from bot.services.people import PeopleService
from bot.services.ledger import Ledger
from bot.services.ledger_audit import audit_ledger
from bot.services.spending import OpportunitySeed, SpendingService
from bot.services.transfers import TransferService

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    """A fresh idempotency key."""
    return f"{prefix}-{next(_keys)}"


async def grant(db: Database, member_id: int, role: Role, organisation_id: int | None) -> None:
    async with db.transaction() as session:
        await session.execute(insert(RoleGrant.__table__).values(
            member_id=member_id, role=role, organisation_id=organisation_id))


async def earn(db: Database, ledger: Ledger, member_id: int, minutes: int, *, clock: FrozenClock) -> int:
    async with db.transaction() as session:
        return (await ledger.earn(session, member_id=member_id, minutes=minutes, idempotency_key=key("earn"),
                                  now=clock.now())).transaction_id


async def account_of(db: Database, *, member_id: int | None = None, organisation_id: int | None = None,
                     scheme: bool = False) -> int:
    async with db.transaction() as session:
        query = select(Account.id)
        if scheme:
            query = query.where(Account.kind == AccountKind.SCHEME)
        elif member_id is not None:
            query = query.where(Account.member_id == member_id)
        else:
            query = query.where(Account.organisation_id == organisation_id)
        return (await session.scalars(query)).one()


async def balance_of(db: Database, member_id: int) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(Account.balance_minutes).where(Account.member_id == member_id)))


async def outbox(db: Database, kind: str | None = None) -> list[OutboxMessage]:
    async with db.transaction() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list((await session.scalars(query)).all())


async def count(db: Database, model: type, *where: Any) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def assert_ledger_sound(db: Database, ledger: Ledger) -> None:
    """Every invariant, recomputed independently, and `Ledger.check` agreeing."""
    async with db.transaction() as session:
        entries = (await session.execute(select(LedgerEntry.transaction_id, LedgerEntry.account_id,
                                                LedgerEntry.amount_minutes))).all()
        transactions = (await session.execute(select(LedgerTransaction.id, LedgerTransaction.kind,
                                                     LedgerTransaction.reverses_transaction_id))).all()
        accounts = (await session.execute(select(Account.id, Account.kind, Account.balance_minutes, Member.kind)
                                          .outerjoin(Member, Member.id == Account.member_id))).all()
        violations = await audit_ledger(session, ledger.config)

    per_transaction: dict[int, list[int]] = {}
    per_account: dict[int, int] = {}
    for transaction_id, account_id, amount in entries:
        per_transaction.setdefault(transaction_id, []).append(amount)
        per_account[account_id] = per_account.get(account_id, 0) + amount
    assert sum(amount for _, _, amount in entries) == 0, "the ledger does not sum to zero"
    for transaction_id, _, _ in transactions:
        legs = per_transaction.get(transaction_id, [])
        assert len(legs) >= 2 and sum(legs) == 0, f"transaction {transaction_id}: legs {legs}"
    reversed_ids = [reverses for _, _, reverses in transactions if reverses is not None]
    assert len(reversed_ids) == len(set(reversed_ids)), "a transaction reversed twice"
    for account_id, kind, balance, member_kind in accounts:
        assert balance == per_account.get(account_id, 0), f"account {account_id}: cached {balance}"
        floor = ledger.floor_for(AccountKind(kind), MemberKind(member_kind) if member_kind else None)
        if floor is not None:
            assert balance >= floor, f"account {account_id} at {balance}, below its floor {floor}"
    assert violations == [], violations


OPPORTUNITIES = [
    OpportunitySeed(slug="splott-pool", organisation="cardiff-council", kind=SpendKind.CORPORATE,
                    name_en="Swim at Splott Pool", name_cy="Nofio ym Mhwll Sblot", venue="Splott Pool",
                    cost_minutes=60, neighbourhood="splott", description_en="One swim",
                    description_cy="Un sesiwn nofio"),
    OpportunitySeed(slug="ely-cafe", organisation="ely-hub", kind=SpendKind.COMMUNITY,
                    name_en="Lunch at the hub cafe", name_cy="Cinio yng nghaffi'r hyb", venue="Ely Hub",
                    cost_minutes=30, neighbourhood="ely"),
    OpportunitySeed(slug="old-trip", organisation="splott-community", kind=SpendKind.COMMUNITY,
                    name_en="A trip that ended", name_cy="Taith a ddaeth i ben", venue="Splott",
                    cost_minutes=120, neighbourhood="splott", active=False),
]


@dataclass
class World:
    """Members with roles, and every service of this area, over one database."""

    db: Database
    config: Config
    clock: FrozenClock
    reference: dict[str, int]
    ledger: Ledger
    hours: HoursService
    group_credit: GroupCreditService
    people: PeopleService
    spending: SpendingService
    transfers: TransferService
    volunteer: int  # Telegram user, Splott
    neighbour: int  # Telegram user, Splott
    offline: int  # no Telegram account
    group: int  # a group member
    splott_coordinator: int
    ely_coordinator: int
    partner: int  # partner staff of Cardiff Council
    opportunities: dict[str, int]

    async def earn(self, member_id: int, minutes: int) -> int:
        return await earn(self.db, self.ledger, member_id, minutes, clock=self.clock)

    async def balance(self, member_id: int) -> int:
        return await balance_of(self.db, member_id)

    async def sound(self) -> None:
        await assert_ledger_sound(self.db, self.ledger)


@pytest.fixture
async def world(db: Database, config: Config, clock: FrozenClock, reference: dict[str, int], make_member) -> World:
    ledger = Ledger(config.ledger)
    volunteer = await make_member("Siân Volunteer", telegram_user_id=1001, language="cy")
    neighbour = await make_member("Neighbour Ned", telegram_user_id=1002)
    offline = await make_member("Offline Olwen", telegram_user_id=None)
    group = await make_member("Splott Knitters", telegram_user_id=None, kind=MemberKind.GROUP)
    splott_coordinator = await make_member("Splott Coordinator", telegram_user_id=2001)
    ely_coordinator = await make_member("Ely Coordinator", telegram_user_id=2002, neighbourhood="ely")
    partner = await make_member("Pool Staff", telegram_user_id=3001, neighbourhood=None)
    await grant(db, splott_coordinator, Role.COORDINATOR, reference["splott-community"])
    await grant(db, ely_coordinator, Role.COORDINATOR, reference["ely-hub"])
    await grant(db, partner, Role.PARTNER, reference["cardiff-council"])
    spending = SpendingService(db, config, clock, ledger)
    await spending.upsert_opportunities(OPPORTUNITIES)
    opportunities = {item.slug: item.id for item in await spending.directory()}
    async with db.transaction() as session:
        from bot.db.models import SpendOpportunity
        opportunities |= {slug: id_ for id_, slug in (await session.execute(
            select(SpendOpportunity.id, SpendOpportunity.slug)))}
    return World(db=db, config=config, clock=clock, reference=reference, ledger=ledger,
                 hours=HoursService(db, config, clock, ledger),
                 group_credit=GroupCreditService(db, config, clock, ledger), people=PeopleService(db, clock),
                 spending=spending,
                 transfers=TransferService(db, config, clock, ledger), volunteer=volunteer, neighbour=neighbour,
                 offline=offline, group=group, splott_coordinator=splott_coordinator,
                 ely_coordinator=ely_coordinator, partner=partner, opportunities=opportunities)


def with_floors(config: Config, *, member: int = 0, group: int = 0, organisation: int = 0) -> Config:
    return config.model_copy(update={"ledger": LedgerConfig(
        member_floor_minutes=member, group_floor_minutes=group, organisation_floor_minutes=organisation)})


# --------------------------------------------------------------------------- for tests that drive their own event loop


async def prepare_database(url: str, config: Config) -> None:
    """Make `url` a migrated, empty database with reference data (for sync tests that
    run a fresh event loop per Hypothesis example instead of using the `db` fixture)."""
    from sqlalchemy import text

    from bot.db.migrate import upgrade
    from bot.db.models import Base
    from bot.services.reference import sync_reference_data

    database = Database.from_url(url)
    try:
        if database.dialect == "postgresql":
            async with database.engine.begin() as connection:
                migrated = await connection.scalar(text("SELECT to_regclass('public.ledger_entry') IS NOT NULL"))
            if not migrated:
                await upgrade(database)
            tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
            async with database.engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await sync_reference_data(database, config)
    finally:
        await database.dispose()


async def new_member(db: Database, name: str, *, kind: MemberKind = MemberKind.INDIVIDUAL,
                     telegram_user_id: int | None = None, registered: bool = True, now=None) -> int:
    from datetime import datetime, timezone

    from bot.services.accounts import member_account

    now = now or datetime.now(timezone.utc)
    async with db.transaction() as session:
        member = Member(kind=kind, display_name=name, telegram_user_id=telegram_user_id,
                        registered_at=now if registered else None, consented_at=now if registered else None)
        session.add(member)
        await session.flush()
        await member_account(session, member.id)
        return member.id
