"""Spend opportunities from the configuration: synced at start, withdrawn (never deleted)
when dropped, left alone once staff manage them in the bot; and the weekly limit per
member, enforced when a member spends, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.config import Config, parse_config
from bot.db.models import SpendKind, SpendOpportunity
from bot.db.session import Database
from bot.services.reference import sync_reference_data
from bot.services.spend_limits import week_bounds
from bot.services.spending import IssuedVoucher, RedeemRefusal, RedeemRefused, SpendingService
from ledger_helpers import World, key, world  # noqa: F401
from tests.conftest import TEST_CONFIG

SWIM = {"slug": "swim", "organisation": "cardiff-council", "kind": "corporate", "name_en": "Swimming session",
        "name_cy": "Sesiwn nofio", "venue": "Splott Pool", "neighbourhood": "splott", "price_credits": 1,
        "weekly_limit": 1}
LUNCH = {"slug": "lunch", "organisation": "ely-hub", "kind": "community", "name_en": "Cafe lunch",
         "name_cy": "Cinio yn y caffi", "venue": "Ely Hub", "price_credits": 0.5,
         "description_en": "Soup and a roll", "description_cy": "Cawl a rhôl"}


def with_offers(*offers: dict) -> Config:
    raw = copy.deepcopy(TEST_CONFIG)
    raw["spend_opportunities"] = [dict(offer) for offer in offers]
    return parse_config(raw)


async def rows(db: Database) -> dict[str, SpendOpportunity]:
    async with db.read() as session:
        return {row.slug: row for row in (await session.scalars(select(SpendOpportunity))).all()}


async def test_offers_in_the_file_are_created_with_prices_in_minutes(db: Database) -> None:
    await sync_reference_data(db, with_offers(SWIM, LUNCH))
    offers = await rows(db)
    assert (offers["swim"].kind, offers["swim"].cost_minutes, offers["swim"].weekly_limit) == (
        SpendKind.CORPORATE, 60, 1)
    assert (offers["lunch"].cost_minutes, offers["lunch"].weekly_limit, offers["lunch"].neighbourhood_id) == (
        30, None, None)
    assert offers["lunch"].description_cy == "Cawl a rhôl"
    assert all(row.active and not row.managed_in_bot and row.paused_at is None for row in offers.values())


async def test_a_restart_brings_edits_in_the_file_into_the_database(db: Database) -> None:
    await sync_reference_data(db, with_offers(SWIM, LUNCH))
    await sync_reference_data(db, with_offers({**SWIM, "price_credits": 1.5, "name_cy": "Nofio",
                                               "weekly_limit": None}, LUNCH))
    swim = (await rows(db))["swim"]
    assert (swim.cost_minutes, swim.name_cy, swim.weekly_limit) == (90, "Nofio", None)


async def test_an_offer_dropped_from_the_file_is_withdrawn_not_deleted(world: World) -> None:
    await sync_reference_data(world.db, with_offers(SWIM, LUNCH))
    swim_id = (await rows(world.db))["swim"].id
    await world.earn(world.volunteer, 120)
    voucher = await world.spending.redeem(world.volunteer, swim_id, idempotency_key=key("swim"))
    assert isinstance(voucher, IssuedVoucher)

    await sync_reference_data(world.db, with_offers(LUNCH))
    offers = await rows(world.db)
    assert not offers["swim"].active and offers["lunch"].active
    assert "swim" not in [o.slug for o in await world.spending.directory()]
    # The member's voucher still names what it was for.
    assert [v.opportunity.slug for v in await world.spending.my_vouchers(world.volunteer)] == ["swim"]
    # Offers seeded from code (the world's own) are not the file's to withdraw.
    assert offers["splott-pool"].active

    await sync_reference_data(world.db, with_offers(SWIM, LUNCH))
    assert (await rows(world.db))["swim"].active  # put back in the file: offered again


async def test_an_offer_managed_in_the_bot_is_left_alone_and_a_pause_survives_a_restart(db: Database) -> None:
    await sync_reference_data(db, with_offers(SWIM, LUNCH))
    now = datetime(2026, 12, 7, 10, tzinfo=timezone.utc)
    async with db.transaction() as session:
        await session.execute(update(SpendOpportunity).where(SpendOpportunity.slug == "swim").values(
            managed_in_bot=True, cost_minutes=45, name_en="Swim (staff's wording)"))
        await session.execute(update(SpendOpportunity).where(SpendOpportunity.slug == "lunch").values(
            paused_at=now))
    await sync_reference_data(db, with_offers(LUNCH))  # swim dropped from the file, too
    offers = await rows(db)
    assert (offers["swim"].active, offers["swim"].cost_minutes, offers["swim"].name_en) == (
        True, 45, "Swim (staff's wording)")
    assert offers["lunch"].paused_at == now and offers["lunch"].active


# ----------------------------------------------------------------------------- the weekly limit


async def limited_world(world: World) -> int:
    await sync_reference_data(world.db, with_offers(SWIM))
    await world.earn(world.volunteer, 600)
    return (await rows(world.db))["swim"].id


async def test_a_member_reaches_the_weekly_limit_and_is_told_how_many(world: World) -> None:
    swim = await limited_world(world)
    assert isinstance(await world.spending.redeem(world.volunteer, swim, idempotency_key=key("a")), IssuedVoucher)
    refused = await world.spending.redeem(world.volunteer, swim, idempotency_key=key("b"))
    assert refused == RedeemRefused(RedeemRefusal.WEEKLY_LIMIT, weekly_limit=1)
    assert await world.balance(world.volunteer) == 540  # the refusal cost nothing
    # Another member has a limit of their own.
    await world.earn(world.neighbour, 60)
    assert isinstance(await world.spending.redeem(world.neighbour, swim, idempotency_key=key("c")), IssuedVoucher)


async def test_a_cancelled_voucher_gives_the_week_back(world: World) -> None:
    swim = await limited_world(world)
    first = await world.spending.redeem(world.volunteer, swim, idempotency_key=key("a"))
    await world.spending.cancel_voucher(world.volunteer, first.code)
    assert isinstance(await world.spending.redeem(world.volunteer, swim, idempotency_key=key("b")), IssuedVoucher)


async def test_the_limit_starts_again_on_monday_in_cardiff(world: World) -> None:
    swim = await limited_world(world)
    # Sunday 13 December 2026, 23:30 in Cardiff (GMT): still the week of Monday 7th.
    world.clock.set(datetime(2026, 12, 13, 23, 30, tzinfo=timezone.utc))
    assert isinstance(await world.spending.redeem(world.volunteer, swim, idempotency_key=key("a")), IssuedVoucher)
    assert isinstance(await world.spending.redeem(world.volunteer, swim, idempotency_key=key("b")), RedeemRefused)
    world.clock.set(datetime(2026, 12, 14, 0, 1, tzinfo=timezone.utc))  # Monday: a new week
    assert isinstance(await world.spending.redeem(world.volunteer, swim, idempotency_key=key("c")), IssuedVoucher)


def test_the_week_the_clocks_go_forward_is_167_hours_of_cardiff_time() -> None:
    cardiff = ZoneInfo("Europe/London")
    # Sunday 28 March 2027, 23:30 UTC is already 00:30 on Monday 29th by Cardiff's clocks (BST).
    start, end = week_bounds(datetime(2027, 3, 28, 23, 30, tzinfo=timezone.utc), cardiff)
    assert start == datetime(2027, 3, 28, 23, 0, tzinfo=timezone.utc)
    start, end = week_bounds(datetime(2027, 3, 28, 12, tzinfo=timezone.utc), cardiff)
    assert (start, end) == (datetime(2027, 3, 22, 0, tzinfo=timezone.utc), datetime(2027, 3, 28, 23, tzinfo=timezone.utc))
    assert end - start == timedelta(hours=167)


async def test_a_paused_offer_is_hidden_and_refused(world: World) -> None:
    swim = await limited_world(world)
    async with world.db.transaction() as session:
        await session.execute(update(SpendOpportunity).where(SpendOpportunity.id == swim).values(
            paused_at=world.clock.now()))
    assert swim not in [o.id for o in await world.spending.directory()]
    assert (await world.spending.redeem(world.volunteer, swim, idempotency_key=key("a"))).reason is \
        RedeemRefusal.INACTIVE
    assert not (await world.spending.opportunity(swim)).on_offer


async def test_the_weekly_limit_holds_when_a_member_taps_twice_at_once(world: World) -> None:
    import asyncio

    swim = await limited_world(world)
    other = SpendingService(world.db, world.config, world.clock, world.ledger)
    results = await asyncio.gather(
        world.spending.redeem(world.volunteer, swim, idempotency_key=key("a")),
        other.redeem(world.volunteer, swim, idempotency_key=key("b")))
    assert sorted(type(result).__name__ for result in results) == ["IssuedVoucher", "RedeemRefused"]
    assert await world.balance(world.volunteer) == 540
