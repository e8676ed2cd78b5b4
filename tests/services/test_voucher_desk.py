"""At the counter: partner staff accept a voucher once; the same partner asking again at
once is told the same acceptance; anyone else, or later, that it has been used."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.db.models import Role, Voucher, VoucherStatus
from bot.services.voucher_desk import REPEAT_WINDOW, RedemptionOutcome, VoucherDesk
from ledger_helpers import World, grant, new_member, outbox, world  # noqa: F401
from test_spending import issue


def desk(world: World) -> VoucherDesk:
    return VoucherDesk(world.db, world.clock)


async def voucher_row(world: World, voucher_id: int) -> Voucher:
    async with world.db.transaction() as session:
        return (await session.execute(select(Voucher).where(Voucher.id == voucher_id))).scalar_one()


# ----------------------------------------------------------------------------- at the counter


async def test_partner_staff_confirm_a_voucher_once(world: World) -> None:
    await world.earn(world.volunteer, 60)
    issued = await issue(world)
    typed = f" {issued.code[:4].lower()}-{issued.code[4:].lower()} "
    confirmed = await desk(world).confirm_redemption(world.partner, typed)
    assert confirmed.outcome is RedemptionOutcome.REDEEMED
    assert (confirmed.member_display_name, confirmed.opportunity.slug, confirmed.cost_minutes, confirmed.code) == (
        "Siân Volunteer", "splott-pool", 60, issued.code)
    row = await voucher_row(world, issued.voucher_id)
    assert (row.status, row.redeemed_by_member_id, row.redeemed_at) == (
        VoucherStatus.REDEEMED, world.partner, world.clock.now())
    [message] = await outbox(world.db, "voucher_redeemed")
    assert message.payload["voucher_id"] == issued.voucher_id and message.member_id == world.volunteer

    # The same partner types it again at once (no answer came): the same acceptance.
    again = await desk(world).confirm_redemption(world.partner, issued.code)
    assert again.outcome is RedemptionOutcome.REDEEMED and again.repeated
    assert (again.member_display_name, again.cost_minutes, again.redeemed_at) == (
        "Siân Volunteer", 60, confirmed.redeemed_at)
    assert len(await outbox(world.db, "voucher_redeemed")) == 1
    # Another partner at once, or the same one later (a second purchase): already used.
    colleague = await new_member(world.db, "Second till", telegram_user_id=3002)
    await grant(world.db, colleague, Role.PARTNER, world.reference["cardiff-council"])
    assert (await desk(world).confirm_redemption(colleague, issued.code)).outcome is RedemptionOutcome.ALREADY_REDEEMED
    world.clock.advance(seconds=REPEAT_WINDOW.total_seconds() + 1)
    later = await desk(world).confirm_redemption(world.partner, issued.code)
    assert later.outcome is RedemptionOutcome.ALREADY_REDEEMED
    assert await world.balance(world.volunteer) == 0  # redeeming moves nothing more
    await world.sound()


async def test_only_partner_staff_of_that_organisation_confirm(world: World) -> None:
    await world.earn(world.volunteer, 100)
    cafe = await issue(world, slug="ely-cafe")  # Ely hub's, not the council's
    for someone in (world.partner, world.ely_coordinator, world.volunteer):
        refused = await desk(world).confirm_redemption(someone, cafe.code)
        assert refused.outcome is RedemptionOutcome.NOT_PARTNER
        assert refused.member_display_name is None  # nothing about the voucher leaks
    assert (await voucher_row(world, cafe.voucher_id)).status is VoucherStatus.ISSUED


async def test_someone_without_the_partner_role_learns_nothing_about_a_code(world: World) -> None:
    for typed in ("2345-6789", "not a code"):
        refused = await desk(world).confirm_redemption(world.volunteer, typed)
        assert refused.outcome is RedemptionOutcome.NOT_PARTNER and refused.code is None


async def test_unknown_codes(world: World) -> None:
    assert (await desk(world).confirm_redemption(world.partner, "2345-6789")).outcome is \
        RedemptionOutcome.UNKNOWN_CODE
    assert (await desk(world).confirm_redemption(world.partner, "not a code")).outcome is \
        RedemptionOutcome.UNKNOWN_CODE


async def test_two_counters_confirming_one_code_at_once_redeem_it_once(world: World) -> None:
    colleague = await new_member(world.db, "Second till", telegram_user_id=3002)
    await grant(world.db, colleague, Role.PARTNER, world.reference["cardiff-council"])
    await world.earn(world.volunteer, 60)
    issued = await issue(world)
    results = await asyncio.gather(*(desk(world).confirm_redemption(staff, issued.code)
                                     for staff in [world.partner, colleague] * 4))
    accepted = [(staff, r) for staff, r in zip([world.partner, colleague] * 4, results, strict=True)
                if r.outcome is RedemptionOutcome.REDEEMED]
    assert sum(not r.repeated for _, r in accepted) == 1
    # The one who accepted it is told so each time; the other counter, already used.
    winner = next(staff for staff, r in accepted if not r.repeated)
    assert {staff for staff, _ in accepted} == {winner} and len(accepted) == 4
    assert sum(r.outcome is RedemptionOutcome.ALREADY_REDEEMED for r in results) == 4
    assert len(await outbox(world.db, "voucher_redeemed")) == 1


async def test_an_expired_voucher_is_refused_at_the_counter(world: World) -> None:
    await world.earn(world.volunteer, 60)
    issued = await issue(world)
    world.clock.advance(days=world.config.spending.voucher_valid_days, seconds=1)
    refused = await desk(world).confirm_redemption(world.partner, issued.code)
    assert refused.outcome is RedemptionOutcome.EXPIRED
    assert (await voucher_row(world, issued.voucher_id)).status is VoucherStatus.ISSUED  # the expiry run refunds


