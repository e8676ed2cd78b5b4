"""Many requests at once against the same accounts, each in its own session and
database transaction (asyncio.gather). On PostgreSQL this exercises real row locks
and READ COMMITTED re-checks of the guarded UPDATE; on SQLite, BEGIN IMMEDIATE."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.db.models import LedgerTransaction, TransactionKind
from bot.services.ledger import InsufficientCredit, Ledger, ReversalRefusal, ReversalRefused
from ledger_helpers import World, account_of, count, with_floors, world  # noqa: F401


async def attempt(world: World, kind: TransactionKind, legs, idempotency_key: str, ledger: Ledger | None = None
                  ) -> bool:
    try:
        async with world.db.transaction() as session:
            await (ledger or world.ledger).post(session, kind=kind, legs=legs, idempotency_key=idempotency_key,
                                                now=world.clock.now())
        return True
    except InsufficientCredit:
        return False


async def test_concurrent_spends_never_overdraw(world: World) -> None:
    await world.earn(world.volunteer, 100)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    pool = await account_of(world.db, organisation_id=world.reference["cardiff-council"])
    results = await asyncio.gather(*(
        attempt(world, TransactionKind.SPEND, [(volunteer, -10), (pool, 10)], f"spend-{i}") for i in range(30)))
    assert sum(results) == 10
    assert await world.balance(world.volunteer) == 0
    assert await count(world.db, LedgerTransaction, LedgerTransaction.kind == TransactionKind.SPEND) == 10
    await world.sound()


async def test_concurrent_transfers_both_ways_and_spends_keep_every_invariant(world: World) -> None:
    """Transfers A->B and B->A at once would deadlock without the ascending lock order."""
    ledger = Ledger(with_floors(world.config, member=-20, group=-60).ledger)
    members = [world.volunteer, world.neighbour, world.offline, world.group]
    accounts = [await account_of(world.db, member_id=m) for m in members]
    organisations = [await account_of(world.db, organisation_id=world.reference[slug])
                     for slug in ("cardiff-council", "ely-hub")]
    for member_id in members:
        await world.earn(member_id, 60)
    rng = random.Random(7)
    jobs = []
    for i in range(60):
        amount = rng.randint(5, 40)
        if i % 3 == 2:
            legs = [(rng.choice(accounts), -amount), (rng.choice(organisations), amount)]
            kind = TransactionKind.SPEND
        else:
            source, target = rng.sample(accounts, 2)
            legs, kind = [(source, -amount), (target, amount)], TransactionKind.TRANSFER
        jobs.append(attempt(world, kind, legs, f"mixed-{i}", ledger))
    results = await asyncio.gather(*jobs)
    assert any(results) and not all(results)  # some had to be refused
    # In circulation: earned minus what reached the organisations.
    total = sum([await world.balance(m) for m in members])
    async with world.db.transaction() as session:
        at_organisations = sum([await ledger.balance(session, a) for a in organisations])
    assert total + at_organisations == 4 * 60
    for member_id, floor in zip(members, (-20, -20, -20, -60), strict=True):
        assert await world.balance(member_id) >= floor
    from ledger_helpers import assert_ledger_sound
    await assert_ledger_sound(world.db, ledger)


async def test_concurrent_requests_with_one_key_post_once(world: World) -> None:
    volunteer = await account_of(world.db, member_id=world.volunteer)
    scheme = await account_of(world.db, scheme=True)

    async def earn_once() -> bool:
        async with world.db.transaction() as session:
            posted = await world.ledger.post(session, kind=TransactionKind.EARN, legs=[(scheme, -60), (volunteer, 60)],
                                             idempotency_key="redelivered-update", now=world.clock.now())
            return posted.created

    created = await asyncio.gather(*(earn_once() for _ in range(12)))
    assert sorted(created) == [False] * 11 + [True]
    assert await world.balance(world.volunteer) == 60
    await world.sound()


async def test_concurrent_reversals_of_one_transaction_reverse_it_once(world: World) -> None:
    earned = await world.earn(world.volunteer, 60)

    async def reverse(i: int) -> str:
        try:
            async with world.db.transaction() as session:
                await world.ledger.reverse(session, transaction_id=earned, reason="duplicate",
                                           idempotency_key=f"undo-{i}", now=world.clock.now(), actor_member_id=None)
            return "reversed"
        except ReversalRefused as refused:
            assert refused.reason is ReversalRefusal.ALREADY_REVERSED
            return "refused"

    outcomes = await asyncio.gather(*(reverse(i) for i in range(8)))
    assert sorted(outcomes) == ["refused"] * 7 + ["reversed"]
    assert await world.balance(world.volunteer) == 0
    await world.sound()


@pytest.mark.parametrize("tasks", [16])
async def test_concurrent_earns_into_one_account_all_land(world: World, tasks: int) -> None:
    """The scheme's row is the hottest in the ledger: every earn debits it."""
    results = await asyncio.gather(*(world.earn(world.volunteer, 15) for _ in range(tasks)))
    assert len(set(results)) == tasks
    assert await world.balance(world.volunteer) == 15 * tasks
    await world.sound()
