"""The double-entry ledger, case by case, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.db.models import Account, AccountKind, AuditEvent, LedgerEntry, LedgerTransaction, MemberKind, TransactionKind
from bot.services.accounts import member_account
from bot.services.ledger import (
    IdempotencyConflict,
    InsufficientCredit,
    InvalidPosting,
    Ledger,
    ReversalRefusal,
    ReversalRefused,
    UnknownAccount,
    recomputed_balance,
)
from bot.services.ledger_audit import ViolationKind, audit_ledger
from bot.services.ledger_statement import statement
from ledger_helpers import World, account_of, assert_ledger_sound, count, key, with_floors, world  # noqa: F401


async def post(world: World, kind: TransactionKind, legs, idempotency_key: str | None = None, ledger=None):
    async with world.db.transaction() as session:
        return await (ledger or world.ledger).post(session, kind=kind, legs=legs,
                                                   idempotency_key=idempotency_key or key("post"),
                                                   now=world.clock.now())


# ----------------------------------------------------------------------------- earning and posting


async def test_earning_issues_credits_from_the_scheme(world: World) -> None:
    transaction_id = await world.earn(world.volunteer, 90)
    scheme = await account_of(world.db, scheme=True)
    assert await world.balance(world.volunteer) == 90
    async with world.db.transaction() as session:
        assert await world.ledger.balance(session, scheme) == -90
        assert await recomputed_balance(session, scheme) == -90
        kind = await session.scalar(select(LedgerTransaction.kind).where(LedgerTransaction.id == transaction_id))
    assert kind is TransactionKind.EARN
    await world.sound()


async def test_the_same_idempotency_key_posts_once(world: World) -> None:
    volunteer = await account_of(world.db, member_id=world.volunteer)
    scheme = await account_of(world.db, scheme=True)
    first = await post(world, TransactionKind.EARN, [(scheme, -60), (volunteer, 60)], "double-tap")
    second = await post(world, TransactionKind.EARN, [(volunteer, 60), (scheme, -60)], "double-tap")
    assert first.created and not second.created
    assert first.transaction_id == second.transaction_id
    assert second.balances_after == ()
    assert await world.balance(world.volunteer) == 60
    assert await count(world.db, LedgerTransaction) == 1
    assert await count(world.db, LedgerEntry) == 2


async def test_earn_is_idempotent_too(world: World) -> None:
    async with world.db.transaction() as session:
        first = await world.ledger.earn(session, member_id=world.volunteer, minutes=30, idempotency_key="time-entry:1",
                                        now=world.clock.now())
    async with world.db.transaction() as session:
        again = await world.ledger.earn(session, member_id=world.volunteer, minutes=30, idempotency_key="time-entry:1",
                                        now=world.clock.now())
    assert (first.created, again.created) == (True, False)
    assert await world.balance(world.volunteer) == 30


async def test_a_key_reused_for_a_different_posting_is_refused(world: World) -> None:
    volunteer = await account_of(world.db, member_id=world.volunteer)
    scheme = await account_of(world.db, scheme=True)
    await post(world, TransactionKind.EARN, [(scheme, -60), (volunteer, 60)], "same-key")
    with pytest.raises(IdempotencyConflict):
        await post(world, TransactionKind.EARN, [(scheme, -61), (volunteer, 61)], "same-key")
    assert await world.balance(world.volunteer) == 60


@pytest.mark.parametrize("legs", [
    [],
    [(1, 0)],
    [(1, 10)],
    [(1, 10), (2, -9)],
    [(1, 10), (2, 0), (3, -10)],
    [(1, 10), (1, -10)],
    [(1, True), (2, -1)],
    [(1, 1.5), (2, -1.5)],
])
async def test_malformed_legs_are_refused(world: World, legs) -> None:
    with pytest.raises(InvalidPosting):
        await post(world, TransactionKind.TRANSFER, legs)
    assert await count(world.db, LedgerTransaction) == 0


async def test_an_unknown_account_posts_nothing(world: World) -> None:
    volunteer = await account_of(world.db, member_id=world.volunteer)
    with pytest.raises(UnknownAccount):
        await post(world, TransactionKind.TRANSFER, [(volunteer, 10), (999_999, -10)])
    assert await count(world.db, LedgerTransaction) == 0
    assert await world.balance(world.volunteer) == 0


async def test_a_debit_beyond_the_balance_is_refused_and_leaves_nothing(world: World) -> None:
    await world.earn(world.volunteer, 50)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    neighbour = await account_of(world.db, member_id=world.neighbour)
    with pytest.raises(InsufficientCredit) as refused:
        await post(world, TransactionKind.TRANSFER, [(volunteer, -60), (neighbour, 60)])
    assert (refused.value.account_id, refused.value.balance_minutes, refused.value.floor_minutes,
            refused.value.needed_minutes, refused.value.available_minutes) == (volunteer, 50, 0, 60, 50)
    assert await count(world.db, LedgerTransaction) == 1  # only the earn
    assert (await world.balance(world.volunteer), await world.balance(world.neighbour)) == (50, 0)
    await world.sound()


async def test_a_refused_posting_leaves_the_callers_transaction_usable(world: World) -> None:
    """post() runs in a savepoint: a service may turn the refusal into an answer and go on."""
    await world.earn(world.volunteer, 50)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    neighbour = await account_of(world.db, member_id=world.neighbour)
    async with world.db.transaction() as session:
        with pytest.raises(InsufficientCredit):
            # The neighbour's credit leg (the lower id) is applied before the debit fails.
            await world.ledger.post(session, kind=TransactionKind.TRANSFER, legs=[(neighbour, 80), (volunteer, -80)],
                                    idempotency_key="too-much", now=world.clock.now())
        posted = await world.ledger.post(session, kind=TransactionKind.TRANSFER,
                                         legs=[(volunteer, -20), (neighbour, 20)],
                                         idempotency_key="fits", now=world.clock.now())
    assert posted.created
    assert (await world.balance(world.volunteer), await world.balance(world.neighbour)) == (30, 20)
    await world.sound()


async def test_floors_follow_the_kind_of_account(world: World) -> None:
    ledger = Ledger(with_floors(world.config, member=-30, group=-120, organisation=-10).ledger)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    group = await account_of(world.db, member_id=world.group)
    hub = await account_of(world.db, organisation_id=world.reference["ely-hub"])
    scheme = await account_of(world.db, scheme=True)
    neighbour = await account_of(world.db, member_id=world.neighbour)

    await post(world, TransactionKind.TRANSFER, [(volunteer, -30), (neighbour, 30)], ledger=ledger)
    with pytest.raises(InsufficientCredit) as refused:
        await post(world, TransactionKind.TRANSFER, [(volunteer, -1), (neighbour, 1)], ledger=ledger)
    assert refused.value.floor_minutes == -30

    await post(world, TransactionKind.TRANSFER, [(group, -120), (neighbour, 120)], ledger=ledger)
    with pytest.raises(InsufficientCredit):
        await post(world, TransactionKind.TRANSFER, [(group, -1), (neighbour, 1)], ledger=ledger)

    await post(world, TransactionKind.REFUND, [(hub, -10), (neighbour, 10)], ledger=ledger)
    with pytest.raises(InsufficientCredit):
        await post(world, TransactionKind.REFUND, [(hub, -1), (neighbour, 1)], ledger=ledger)

    # The scheme has no floor at all.
    await post(world, TransactionKind.EARN, [(scheme, -1_000_000), (neighbour, 1_000_000)], ledger=ledger)
    await assert_ledger_sound(world.db, ledger)
    # With the default (stricter) floors the same ledger now breaks the rules, and check says so.
    async with world.db.transaction() as session:
        below = {v.account_id for v in await audit_ledger(session, world.ledger.config) if v.kind is ViolationKind.BELOW_FLOOR}
    assert below == {volunteer, group, hub}


async def test_a_credit_is_accepted_even_below_the_floor(world: World) -> None:
    """Floors only guard debits: a stricter floor later must not block paying someone back."""
    loose = Ledger(with_floors(world.config, member=-60).ledger)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    neighbour = await account_of(world.db, member_id=world.neighbour)
    await post(world, TransactionKind.TRANSFER, [(volunteer, -60), (neighbour, 60)], ledger=loose)
    posted = await post(world, TransactionKind.TRANSFER, [(volunteer, 10), (neighbour, -10)])  # default floor 0
    assert posted.balance_after(volunteer) == -50


async def test_loaded_account_objects_stay_in_step(world: World) -> None:
    async with world.db.transaction() as session:
        account = await member_account(session, world.volunteer)
        assert account.balance_minutes == 0
        await world.ledger.earn(session, member_id=world.volunteer, minutes=45, idempotency_key="in-step",
                                now=world.clock.now())
        assert account.balance_minutes == 45


async def test_earning_for_someone_who_does_not_exist_fails(world: World) -> None:
    async with world.db.transaction() as session:
        with pytest.raises(LookupError):
            await world.ledger.earn(session, member_id=987_654, minutes=10, idempotency_key="ghost",
                                    now=world.clock.now())
        with pytest.raises(InvalidPosting):
            await world.ledger.earn(session, member_id=world.volunteer, minutes=0, idempotency_key="nothing",
                                    now=world.clock.now())


# ----------------------------------------------------------------------------- reversals


async def reverse(world: World, transaction_id: int, idempotency_key: str | None = None, ledger=None):
    async with world.db.transaction() as session:
        return await (ledger or world.ledger).reverse(
            session, transaction_id=transaction_id, reason="entered twice by mistake",
            idempotency_key=idempotency_key or key("reverse"), now=world.clock.now(),
            actor_member_id=world.splott_coordinator)


async def test_a_reversal_mirrors_the_original_and_is_audited(world: World) -> None:
    earned = await world.earn(world.volunteer, 120)
    reversal = await reverse(world, earned, "undo-1")
    assert reversal.created
    assert await world.balance(world.volunteer) == 0
    async with world.db.transaction() as session:
        row = (await session.execute(select(LedgerTransaction).where(
            LedgerTransaction.id == reversal.transaction_id))).scalar_one()
        assert (row.kind, row.reverses_transaction_id, row.memo) == (
            TransactionKind.REVERSAL, earned, "entered twice by mistake")
        audit = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.reverse"))).one()
        assert audit.actor_member_id == world.splott_coordinator
        assert audit.details["transaction_id"] == earned
        movements = await statement(session, await world.ledger.member_account_id(
            session, world.volunteer))
    assert movements[0].reverses_transaction_id == earned
    assert movements[1].reversed_by_transaction_id == reversal.transaction_id
    await world.sound()


async def test_reversing_twice_is_refused_but_a_repeated_request_is_not(world: World) -> None:
    earned = await world.earn(world.volunteer, 60)
    first = await reverse(world, earned, "undo")
    repeated = await reverse(world, earned, "undo")
    assert repeated == type(first)(first.transaction_id, created=False)
    with pytest.raises(ReversalRefused) as refused:
        await reverse(world, earned, "undo-again")
    assert refused.value.reason is ReversalRefusal.ALREADY_REVERSED
    with pytest.raises(ReversalRefused) as refused:
        await reverse(world, first.transaction_id)
    assert refused.value.reason is ReversalRefusal.IS_REVERSAL
    with pytest.raises(ReversalRefused) as refused:
        await reverse(world, 424_242)
    assert refused.value.reason is ReversalRefusal.NOT_FOUND
    assert await count(world.db, LedgerTransaction) == 2
    await world.sound()


async def test_a_reversal_may_not_overdraw_a_member(world: World) -> None:
    earned = await world.earn(world.volunteer, 60)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    neighbour = await account_of(world.db, member_id=world.neighbour)
    await post(world, TransactionKind.TRANSFER, [(volunteer, -45), (neighbour, 45)])
    with pytest.raises(InsufficientCredit) as refused:
        await reverse(world, earned)
    assert (refused.value.account_id, refused.value.balance_minutes) == (volunteer, 15)
    assert await count(world.db, LedgerTransaction) == 2
    await world.sound()


async def test_a_reversal_may_take_the_scheme_negative(world: World) -> None:
    """Reversing a member's gift back to the scheme moves the scheme however the mirror says."""
    scheme = await account_of(world.db, scheme=True)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    await world.earn(world.volunteer, 100)
    returned = await post(world, TransactionKind.TRANSFER, [(volunteer, -100), (scheme, 100)])
    assert returned.balance_after(scheme) == 0
    reversal = await reverse(world, returned.transaction_id)
    assert reversal.balance_after(scheme) == -100
    await world.sound()


# ----------------------------------------------------------------------------- reading


async def test_the_statement_is_newest_first_with_running_balances(world: World) -> None:
    volunteer = await account_of(world.db, member_id=world.volunteer)
    neighbour = await account_of(world.db, member_id=world.neighbour)
    scheme = await account_of(world.db, scheme=True)
    earned = await world.earn(world.volunteer, 120)
    world.clock.advance(hours=1)
    async with world.db.transaction() as session:
        gave = await world.ledger.post(session, kind=TransactionKind.TRANSFER, legs=[(volunteer, -45), (neighbour, 45)],
                                       idempotency_key="gift", now=world.clock.now(), memo="diolch",
                                       actor_member_id=world.volunteer)
        movements = await statement(session, volunteer)
        latest = await statement(session, volunteer, limit=1)
    assert [(m.transaction_id, m.kind, m.amount_minutes, m.balance_after_minutes) for m in movements] == [
        (gave.transaction_id, TransactionKind.TRANSFER, -45, 75), (earned, TransactionKind.EARN, 120, 120)]
    assert movements[0].counterparty.account_id == neighbour
    assert movements[0].counterparty.member_id == world.neighbour
    assert (movements[0].memo, movements[0].actor_member_id) == ("diolch", world.volunteer)
    assert movements[1].counterparty.account_id == scheme and movements[1].counterparty.member_id is None
    assert movements[0].created_at - movements[1].created_at == timedelta(hours=1)
    assert latest == movements[:1]


async def test_balance_of_an_unknown_account_is_an_error(world: World) -> None:
    async with world.db.transaction() as session:
        with pytest.raises(UnknownAccount):
            await world.ledger.balance(session, 123_456)
        with pytest.raises(UnknownAccount):
            await statement(session, 123_456)


# ----------------------------------------------------------------------------- auditing


async def test_check_finds_nothing_wrong_in_a_sound_ledger(world: World) -> None:
    earned = await world.earn(world.volunteer, 60)
    await world.earn(world.neighbour, 30)
    await reverse(world, earned)
    async with world.db.transaction() as session:
        assert await audit_ledger(session, world.ledger.config) == []


async def test_check_finds_a_stale_cached_balance(world: World) -> None:
    await world.earn(world.volunteer, 60)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    async with world.db.transaction() as session:
        await session.execute(update(Account).where(Account.id == volunteer).values(balance_minutes=600))
    async with world.db.transaction() as session:
        violations = await audit_ledger(session, world.ledger.config)
    kinds = {(v.kind, v.account_id) for v in violations}
    assert (ViolationKind.STALE_BALANCE, volunteer) in kinds
    assert (ViolationKind.BALANCES_NOT_ZERO, None) in kinds
    stale = next(v for v in violations if v.kind is ViolationKind.STALE_BALANCE)
    assert (stale.expected, stale.actual) == (60, 600)


async def test_check_finds_unbalanced_and_one_legged_transactions(world: World) -> None:
    volunteer = await account_of(world.db, member_id=world.volunteer)
    async with world.db.transaction() as session:
        lonely = (await session.execute(insert(LedgerTransaction).values(
            kind=TransactionKind.EARN, idempotency_key="forged", created_at=world.clock.now())
            .returning(LedgerTransaction.id))).scalar_one()
        await session.execute(insert(LedgerEntry).values(transaction_id=lonely, account_id=volunteer,
                                                         amount_minutes=500))
        empty = (await session.execute(insert(LedgerTransaction).values(
            kind=TransactionKind.EARN, idempotency_key="empty", created_at=world.clock.now())
            .returning(LedgerTransaction.id))).scalar_one()
    async with world.db.transaction() as session:
        kinds = {(v.kind, v.transaction_id) for v in await audit_ledger(session, world.ledger.config)}
    assert {(ViolationKind.TOO_FEW_LEGS, lonely), (ViolationKind.UNBALANCED_TRANSACTION, lonely),
            (ViolationKind.TOO_FEW_LEGS, empty), (ViolationKind.LEDGER_NOT_ZERO, None)} <= kinds
    assert (ViolationKind.UNBALANCED_TRANSACTION, empty) not in kinds  # no legs sum to zero


async def test_check_finds_a_reversal_that_does_not_mirror(world: World) -> None:
    earned = await world.earn(world.volunteer, 60)
    volunteer = await account_of(world.db, member_id=world.volunteer)
    scheme = await account_of(world.db, scheme=True)
    async with world.db.transaction() as session:
        bad = (await session.execute(insert(LedgerTransaction).values(
            kind=TransactionKind.REVERSAL, idempotency_key="bad-reversal", created_at=world.clock.now(),
            reverses_transaction_id=earned).returning(LedgerTransaction.id))).scalar_one()
        await session.execute(insert(LedgerEntry), [
            {"transaction_id": bad, "account_id": volunteer, "amount_minutes": -50},
            {"transaction_id": bad, "account_id": scheme, "amount_minutes": 50}])
        unlinked = (await session.execute(insert(LedgerTransaction).values(
            kind=TransactionKind.REVERSAL, idempotency_key="unlinked", created_at=world.clock.now())
            .returning(LedgerTransaction.id))).scalar_one()
        await session.execute(insert(LedgerEntry), [
            {"transaction_id": unlinked, "account_id": volunteer, "amount_minutes": -1},
            {"transaction_id": unlinked, "account_id": scheme, "amount_minutes": 1}])
    async with world.db.transaction() as session:
        kinds = {(v.kind, v.transaction_id) for v in await audit_ledger(session, world.ledger.config)}
    assert (ViolationKind.REVERSAL_MISMATCH, bad) in kinds
    assert (ViolationKind.REVERSAL_UNLINKED, unlinked) in kinds


# ----------------------------------------------------------------------------- the database itself


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entry SET amount_minutes = amount_minutes + 1",
    "DELETE FROM ledger_entry",
    "UPDATE ledger_transaction SET memo = 'edited'",
    "DELETE FROM ledger_transaction",
])
async def test_the_database_refuses_to_edit_ledger_rows(world: World, statement: str) -> None:
    await world.earn(world.volunteer, 60)
    with pytest.raises((DBAPIError, IntegrityError)) as refused:
        async with world.db.transaction() as session:
            await session.execute(text(statement))
    assert "never edited or deleted" in str(refused.value)
    assert await count(world.db, LedgerEntry) == 2
    async with world.db.transaction() as session:
        assert await session.scalar(select(func.sum(LedgerEntry.amount_minutes))) == 0
    await world.sound()


def test_each_kind_of_account_has_its_floor() -> None:
    from bot.config import LedgerConfig
    ledger = Ledger(LedgerConfig(member_floor_minutes=-30, group_floor_minutes=-60, organisation_floor_minutes=-90))
    assert ledger.floor_for(AccountKind.MEMBER, MemberKind.INDIVIDUAL) == -30
    assert ledger.floor_for(AccountKind.MEMBER, MemberKind.GROUP) == -60
    assert ledger.floor_for(AccountKind.ORGANISATION) == -90
    assert ledger.floor_for(AccountKind.SCHEME) is None
