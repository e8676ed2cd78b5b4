"""Find cover, rule by rule: who is eligible (DBS where the shift needs it, free at the
time, in the neighbourhood or opted in, broadcasts on), who may press it, and when the
coordinators are told a shift is short."""

from __future__ import annotations

from datetime import date, timedelta

from bot.services.cover import CoverRefusal, CoverSent, FindCover
from bot.services.member_settings import MemberSettingsService
from shift_helpers import World, world  # noqa: F401  (world is a fixture)


def finder(world: World) -> FindCover:
    return FindCover(world.db, world.config, world.clock)


async def test_a_shift_that_needs_dbs_reaches_only_the_checked(world: World) -> None:
    shift = await world.shift(activity="day-centre", requires_dbs=True, starts_at=world.clock.now() + timedelta(days=1))
    checked, unchecked, expired = await world.member("Checked"), await world.member("No"), await world.member("Old")
    await world.dbs(checked, date(2025, 6, 1))
    await world.dbs(expired, date(2022, 6, 1))  # three years: lapsed by December 2026
    sent = await finder(world).find_cover(world.coordinator, shift)
    assert sent == CoverSent(recipients=1, newly_queued=1)
    [card] = await world.outbox("cover_wanted")
    assert card.member_id == checked  # not `unchecked`, nor `expired`
    assert await finder(world).find_cover(world.coordinator, shift) == CoverSent(recipients=1, newly_queued=0)


async def test_neighbourhood_or_interest_and_broadcasts_on(world: World) -> None:
    shift = await world.shift(starts_at=world.clock.now() + timedelta(days=1))
    settings = MemberSettingsService(world.db, world.clock)
    near = await world.member("Near")
    far_keen = await world.member("Far, keen", neighbourhood="ely")
    far = await world.member("Far", neighbourhood="ely")
    near_off = await world.member("Near, off")
    group_less = await world.member("Nowhere", neighbourhood=None)
    await settings.toggle_interest(far_keen, world.ref["community-hub"])
    await settings.toggle_interest(far, world.ref["day-centre"])
    await settings.set_broadcasts(near_off, False)
    assert isinstance(await finder(world).find_cover(world.coordinator, shift), CoverSent)
    reached = {row.member_id for row in await world.outbox("cover_wanted")}
    assert reached == {near, far_keen}  # the presser and the Ely coordinator (not opted in) are not
    assert not reached & {far, near_off, group_less}


async def test_only_the_shifts_own_coordinators_and_only_while_a_place_is_free(world: World) -> None:
    shift = await world.shift(capacity=1, starts_at=world.clock.now() + timedelta(days=1))
    assert await finder(world).find_cover(world.ely_coordinator, shift) is CoverRefusal.NOT_COORDINATOR
    assert await finder(world).may_find_cover(world.ely_coordinator, shift) is CoverRefusal.NOT_COORDINATOR
    volunteer = await world.member("V")
    await world.shifts.sign_up(volunteer, shift)
    assert await finder(world).find_cover(world.coordinator, shift) is CoverRefusal.FULL
    await world.shifts.cancel_shift(world.coordinator, shift)
    assert await finder(world).find_cover(world.coordinator, shift) is CoverRefusal.SHIFT_CANCELLED
    assert await finder(world).find_cover(world.coordinator, 999_999) is CoverRefusal.NOT_FOUND


async def test_not_once_the_shift_has_started(world: World) -> None:
    shift = await world.shift(capacity=2, starts_at=world.clock.now() + timedelta(hours=1))
    world.clock.advance(hours=1)
    assert await finder(world).may_find_cover(world.coordinator, shift) is CoverRefusal.STARTED
    assert await finder(world).find_cover(world.coordinator, shift) is CoverRefusal.STARTED
    assert await world.outbox("cover_wanted") == []


async def test_a_place_given_up_within_48_hours_alerts_the_coordinators(world: World) -> None:
    within = await world.shift(starts_at=world.clock.now() + timedelta(hours=40))
    further = await world.shift(starts_at=world.clock.now() + timedelta(hours=60))
    volunteer = await world.member("V")
    for shift in (within, further):
        await world.shifts.sign_up(volunteer, shift)
        await world.shifts.leave(volunteer, shift)
    [alert] = await world.outbox("cover_needed")
    assert (alert.member_id, alert.payload["shift_id"], alert.payload["reason"]) == (
        world.coordinator, within, "dropped_out")
