"""Spending credits: the directory, vouchers issued, confirmed at the counter, cancelled,
expired; every refusal, and the races, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.db.models import LedgerTransaction, Member, Role, SpendKind, TransactionKind, Voucher, VoucherStatus
from bot.db.session import Database
from bot.services.spending import (
    CODE_ALPHABET,
    CancelOutcome,
    IssuedVoucher,
    OpportunitySeed,
    RedeemRefusal,
    RedeemRefused,
    SpendingService,
    format_code,
    new_code,
    normalise_code,
)
from bot.services.voucher_desk import RedemptionOutcome, VoucherDesk
from ledger_helpers import World, account_of, count, grant, key, new_member, outbox, world  # noqa: F401

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def issue(world: World, member_id: int | None = None, slug: str = "splott-pool",
                idempotency_key: str | None = None):
    return await world.spending.redeem(world.volunteer if member_id is None else member_id,
                                       world.opportunities[slug], idempotency_key=idempotency_key or key("redeem"))


async def voucher_row(world: World, voucher_id: int) -> Voucher:
    async with world.db.transaction() as session:
        return (await session.execute(select(Voucher).where(Voucher.id == voucher_id))).scalar_one()


# ----------------------------------------------------------------------------- codes


def test_codes_are_short_unambiguous_and_random() -> None:
    assert not set("0O1IL") & set(CODE_ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 8 and set(code) <= set(CODE_ALPHABET) for code in codes)


@pytest.mark.parametrize("typed, expected", [
    ("abcd-efgh", "ABCDEFGH"), (" AB CD EF GH ", "ABCDEFGH"), ("ABCD_EFGH", "ABCDEFGH"),
    ("ABCDEFG", None), ("ABCDEFGHJ", None), ("ABCD0FGH", None), ("", None),
])
def test_what_staff_type_is_normalised(typed: str, expected: str | None) -> None:
    assert normalise_code(typed) == expected


def test_codes_are_shown_in_two_groups() -> None:
    assert format_code("ABCDEFGH") == "ABCD-EFGH"


# ----------------------------------------------------------------------------- the directory


async def test_the_directory_lists_active_opportunities_in_both_languages(world: World) -> None:
    listed = await world.spending.directory()
    assert [o.slug for o in listed] == ["ely-cafe", "splott-pool"]  # community first; the ended trip is hidden
    pool = listed[1]
    assert (pool.kind, pool.cost_minutes, pool.venue, pool.organisation.slug, pool.neighbourhood.slug) == (
        SpendKind.CORPORATE, 60, "Splott Pool", "cardiff-council", "splott")
    assert (pool.name("cy"), pool.name("en"), pool.description("cy")) == (
        "Nofio ym Mhwll Sblot", "Swim at Splott Pool", "Un sesiwn nofio")
    assert [o.slug for o in await world.spending.directory(kind=SpendKind.COMMUNITY)] == ["ely-cafe"]
    assert [o.slug for o in await world.spending.directory(neighbourhood_id=world.reference["splott"])] == [
        "splott-pool"]


async def test_seeding_twice_updates_rather_than_duplicates(world: World) -> None:
    result = await world.spending.upsert_opportunities([OpportunitySeed(
        slug="splott-pool", organisation="cardiff-council", kind="corporate", name_en="Swim (Splott)",
        name_cy="Nofio (Sblot)", venue="Splott Pool", cost_minutes=45)])
    assert (result.created, result.updated) == (0, 1)
    pool = await world.spending.opportunity(world.opportunities["splott-pool"])
    assert (pool.name_en, pool.cost_minutes, pool.neighbourhood) == ("Swim (Splott)", 45, None)
    with pytest.raises(ValueError, match="unknown organisation"):
        await world.spending.upsert_opportunities([OpportunitySeed(
            slug="x", organisation="nobody", kind="community", name_en="x", name_cy="x", venue="x",
            cost_minutes=1)])


# ----------------------------------------------------------------------------- redeeming


async def test_redeeming_moves_credits_to_the_partner_and_issues_a_voucher(world: World) -> None:
    await world.earn(world.volunteer, 100)
    issued = await issue(world, idempotency_key="tap-1")
    assert isinstance(issued, IssuedVoucher) and issued.created
    assert (issued.cost_minutes, issued.balance_after_minutes) == (60, 40)
    assert issued.expires_at == world.clock.now() + timedelta(days=world.config.spending.voucher_valid_days)
    assert normalise_code(issued.code) == issued.code
    assert issued.qr_png.startswith(PNG_SIGNATURE)
    assert issued.opportunity.slug == "splott-pool"
    assert await world.balance(world.volunteer) == 40
    council = await account_of(world.db, organisation_id=world.reference["cardiff-council"])
    async with world.db.transaction() as session:
        assert await world.ledger.balance(session, council) == 60
        row = (await session.execute(select(Voucher))).scalar_one()
        spend = await session.get(LedgerTransaction, row.spend_transaction_id)
    assert (row.status, row.member_id, row.code) == (VoucherStatus.ISSUED, world.volunteer, issued.code)
    assert (spend.kind, spend.memo) == (TransactionKind.SPEND, issued.code)

    again = await issue(world, idempotency_key="tap-1")
    assert (again.voucher_id, again.code, again.created) == (issued.voucher_id, issued.code, False)
    assert await world.balance(world.volunteer) == 40
    assert await count(world.db, Voucher) == 1
    await world.sound()


async def test_concurrent_taps_with_one_key_issue_one_voucher(world: World) -> None:
    await world.earn(world.volunteer, 500)
    results = await asyncio.gather(*(issue(world, idempotency_key="same-tap") for _ in range(6)))
    assert len({r.voucher_id for r in results}) == 1 and sum(r.created for r in results) == 1
    assert await world.balance(world.volunteer) == 440
    await world.sound()


async def test_not_enough_credit_says_how_much_is_missing(world: World) -> None:
    await world.earn(world.volunteer, 50)
    refused = await issue(world)
    assert refused == RedeemRefused(RedeemRefusal.INSUFFICIENT_CREDIT, balance_minutes=50, cost_minutes=60)
    assert await count(world.db, Voucher) == 0
    assert await count(world.db, LedgerTransaction) == 1
    assert await world.balance(world.volunteer) == 50


async def test_redeem_refusals(world: World) -> None:
    await world.earn(world.volunteer, 500)
    assert await issue(world, slug="old-trip") == RedeemRefused(RedeemRefusal.INACTIVE)
    assert await world.spending.redeem(world.volunteer, 999_999, idempotency_key=key()) == RedeemRefused(
        RedeemRefusal.NOT_FOUND)
    stranger = await new_member(world.db, "Not registered", registered=False)
    assert await issue(world, stranger) == RedeemRefused(RedeemRefusal.NOT_REGISTERED)
    assert await world.spending.redeem(777_777, world.opportunities["ely-cafe"], idempotency_key=key()) == \
        RedeemRefused(RedeemRefusal.NOT_REGISTERED)
    assert await count(world.db, Voucher) == 0


async def test_concurrent_redemptions_never_overdraw(world: World) -> None:
    await world.earn(world.volunteer, 150)  # enough for five cafe lunches
    results = await asyncio.gather(*(issue(world, slug="ely-cafe") for _ in range(12)))
    assert sum(isinstance(r, IssuedVoucher) for r in results) == 5
    assert all(r.reason is RedeemRefusal.INSUFFICIENT_CREDIT for r in results if isinstance(r, RedeemRefused))
    assert await world.balance(world.volunteer) == 0
    assert len({r.code for r in results if isinstance(r, IssuedVoucher)}) == 5
    await world.sound()


# ----------------------------------------------------------------------------- cancelling and expiry


async def test_the_owner_cancels_an_unused_voucher_and_is_refunded(world: World) -> None:
    await world.earn(world.volunteer, 100)
    issued = await issue(world)
    assert (await world.spending.cancel_voucher(world.neighbour, issued.code)).outcome is CancelOutcome.UNKNOWN_CODE
    cancelled = await world.spending.cancel_voucher(world.volunteer, issued.code.lower())
    assert cancelled.outcome is CancelOutcome.CANCELLED
    assert (cancelled.refunded_minutes, cancelled.balance_after_minutes) == (60, 100)
    assert await world.balance(world.volunteer) == 100
    row = await voucher_row(world, issued.voucher_id)
    assert (row.status, row.refund_transaction_id) == (VoucherStatus.CANCELLED, cancelled.transaction_id)
    async with world.db.transaction() as session:
        refund = await session.get(LedgerTransaction, cancelled.transaction_id)
    assert (refund.kind, refund.idempotency_key) == (TransactionKind.REFUND, f"voucher-refund:{issued.voucher_id}")
    assert (await world.spending.cancel_voucher(world.volunteer, issued.code)).outcome is \
        CancelOutcome.ALREADY_CANCELLED
    assert (await VoucherDesk(world.db, world.clock).confirm_redemption(world.partner, issued.code)).outcome is \
        RedemptionOutcome.CANCELLED
    assert await world.balance(world.volunteer) == 100
    await world.sound()


async def test_a_redeemed_voucher_cannot_be_cancelled(world: World) -> None:
    await world.earn(world.volunteer, 60)
    issued = await issue(world)
    await VoucherDesk(world.db, world.clock).confirm_redemption(world.partner, issued.code)
    assert (await world.spending.cancel_voucher(world.volunteer, issued.code)).outcome is \
        CancelOutcome.ALREADY_REDEEMED
    assert await world.balance(world.volunteer) == 0


async def test_expiry_refunds_unused_vouchers_once_and_tells_the_member(world: World) -> None:
    await world.earn(world.volunteer, 200)
    await world.earn(world.offline, 60)
    old = await issue(world)
    used = await issue(world, slug="ely-cafe")
    offline = await issue(world, world.offline)
    await world.spending.cancel_voucher(world.volunteer, used.code)  # already refunded: not again
    world.clock.advance(days=10)
    fresh = await issue(world, slug="ely-cafe")
    world.clock.advance(days=world.config.spending.voucher_valid_days - 10, seconds=1)

    run = await world.spending.expire_vouchers()
    assert (run.expired, run.refunded_minutes) == (2, 120)
    assert await world.balance(world.volunteer) == 200 - 30  # the fresh voucher is still out
    assert await world.balance(world.offline) == 60
    assert (await voucher_row(world, old.voucher_id)).status is VoucherStatus.EXPIRED
    assert (await voucher_row(world, fresh.voucher_id)).status is VoucherStatus.ISSUED
    [message] = await outbox(world.db, "voucher_expired")  # Olwen has no Telegram
    assert message.member_id == world.volunteer
    assert message.payload == {"voucher_id": old.voucher_id, "code": old.code,
                               "spend_opportunity_id": world.opportunities["splott-pool"], "cost_minutes": 60,
                               "expires_at": old.expires_at.isoformat(), "balance_minutes": 170}
    assert (await world.spending.expire_vouchers()).expired == 0
    assert (await world.spending.cancel_voucher(world.volunteer, old.code)).outcome is CancelOutcome.EXPIRED
    assert (await VoucherDesk(world.db, world.clock).confirm_redemption(world.partner, old.code)).outcome is RedemptionOutcome.EXPIRED
    assert offline.voucher_id
    await world.sound()


async def test_two_processes_expiring_at_once_refund_each_voucher_once(world: World) -> None:
    await world.earn(world.volunteer, 600)
    issued = [await issue(world, slug="ely-cafe") for _ in range(8)]
    world.clock.advance(days=world.config.spending.voucher_valid_days + 1)
    other_db = Database.from_url(world.db.engine.url.render_as_string(hide_password=False))  # another process
    try:
        other = SpendingService(other_db, world.config, world.clock, world.ledger)
        runs = await asyncio.gather(world.spending.expire_vouchers(), other.expire_vouchers(),
                                    world.spending.expire_vouchers())
    finally:
        await other_db.dispose()
    assert sum(run.expired for run in runs) == len(issued)
    assert sum(run.refunded_minutes for run in runs) == 30 * len(issued)
    assert await world.balance(world.volunteer) == 600
    assert len(await outbox(world.db, "voucher_expired")) == len(issued)
    await world.sound()


# ----------------------------------------------------------------------------- the member's list


async def test_my_vouchers_lists_usable_ones_first(world: World) -> None:
    await world.earn(world.volunteer, 300)
    first = await issue(world)
    world.clock.advance(hours=1)
    second = await issue(world, slug="ely-cafe")
    third = await issue(world, slug="ely-cafe")
    await world.spending.cancel_voucher(world.volunteer, second.code)
    mine = await world.spending.my_vouchers(world.volunteer)
    assert [(v.voucher_id, v.status) for v in mine] == [
        (first.voucher_id, VoucherStatus.ISSUED), (third.voucher_id, VoucherStatus.ISSUED),
        (second.voucher_id, VoucherStatus.CANCELLED)]
    assert [v.voucher_id for v in await world.spending.my_vouchers(world.volunteer, include_closed=False)] == [
        first.voucher_id, third.voucher_id]
    assert (await world.spending.voucher_qr(world.volunteer, first.code)).startswith(PNG_SIGNATURE)
    assert await world.spending.voucher_qr(world.neighbour, first.code) is None
    world.clock.advance(days=60)
    assert {v.status for v in await world.spending.my_vouchers(world.volunteer, include_closed=False)} == {
        VoucherStatus.EXPIRED}


async def test_an_erased_member_cannot_redeem(world: World) -> None:
    await world.earn(world.volunteer, 60)
    async with world.db.transaction() as session:
        await session.execute(update(Member).where(Member.id == world.volunteer).values(erased_at=world.clock.now()))
    assert await issue(world) == RedeemRefused(RedeemRefusal.NOT_REGISTERED)


async def test_an_expiry_the_organisation_cannot_refund_is_left_for_the_next_run(world: World) -> None:
    await world.earn(world.volunteer, 120)
    stuck = await issue(world, slug="ely-cafe")
    fine = await issue(world)
    hub = await account_of(world.db, organisation_id=world.reference["ely-hub"])
    neighbour = await account_of(world.db, member_id=world.neighbour)
    async with world.db.transaction() as session:  # the hub's credits went elsewhere
        await world.ledger.post(session, kind=TransactionKind.TRANSFER, legs=[(hub, -30), (neighbour, 30)],
                                idempotency_key="drain", now=world.clock.now())
    world.clock.advance(days=world.config.spending.voucher_valid_days, seconds=1)
    run = await world.spending.expire_vouchers()
    assert (run.expired, run.refunded_minutes, run.failed_voucher_ids) == (1, 60, (stuck.voucher_id,))
    assert (await voucher_row(world, stuck.voucher_id)).status is VoucherStatus.ISSUED
    assert (await voucher_row(world, fine.voucher_id)).status is VoucherStatus.EXPIRED
    await world.sound()
