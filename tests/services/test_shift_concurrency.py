"""Capacity and the waitlist under concurrent sign-ups, each in its own session and
transaction, on SQLite (writers queue) and PostgreSQL (row locks, READ COMMITTED)."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from bot.db.models import ShiftSignup, SignupStatus
from bot.services.shift_booking import LeaveOutcome
from bot.services.shift_rules import SignupOutcome
from shift_helpers import World, world  # noqa: F401  (world is a fixture)


async def _booked(world: World, shift_id: int) -> list[int]:
    async with world.db.transaction() as session:
        return list((await session.scalars(select(ShiftSignup.member_id).where(
            ShiftSignup.shift_id == shift_id, ShiftSignup.status == SignupStatus.BOOKED)
            .order_by(ShiftSignup.id))).all())


async def _waitlist(world: World, shift_id: int) -> list[int]:
    """Waitlisted member ids in signup-id order (the promotion order)."""
    async with world.db.transaction() as session:
        return list((await session.scalars(select(ShiftSignup.member_id).where(
            ShiftSignup.shift_id == shift_id, ShiftSignup.status == SignupStatus.WAITLISTED)
            .order_by(ShiftSignup.id))).all())


async def _positions(world: World, members: list[int], shift_id: int) -> dict[int, int | None]:
    positions = {}
    for member in members:
        [mine] = [m for m in await world.shifts.my_shifts(member) if m.shift_id == shift_id]
        positions[member] = mine.waitlist_position
    return positions


async def test_fifty_members_race_for_the_last_three_places(world: World) -> None:
    shift_id = await world.shift(capacity=10)
    for i in range(7):
        assert await world.shifts.sign_up(await world.member(f"Early {i}"), shift_id) is SignupOutcome.BOOKED
    racers = [await world.member(f"Racer {i}") for i in range(50)]

    outcomes = await asyncio.gather(*(world.shifts.sign_up(member, shift_id) for member in racers))
    assert Counter(outcomes) == {SignupOutcome.BOOKED: 3, SignupOutcome.FULL: 47}
    assert (await world.get_shift(shift_id)).booked_count == 10
    assert len(await _booked(world, shift_id)) == 10
    winners = [m for m, outcome in zip(racers, outcomes) if outcome is SignupOutcome.BOOKED]
    losers = [m for m, outcome in zip(racers, outcomes) if outcome is SignupOutcome.FULL]

    # The 47 join the waitlist, all at once too.
    joined = await asyncio.gather(*(world.shifts.join_waitlist(member, shift_id) for member in losers))
    assert set(joined) == {SignupOutcome.WAITLISTED}
    order = await _waitlist(world, shift_id)
    assert sorted(order) == sorted(losers)
    positions = await _positions(world, losers, shift_id)
    assert sorted(positions.values()) == list(range(1, 48))  # no gaps, no duplicates
    assert [positions[m] for m in order] == list(range(1, 48))  # and in signup-id order
    card = await world.shifts.shift_card(shift_id, member_id=losers[0])
    assert card is not None and (card.free_places, card.waitlist_length) == (0, 47)

    # One cancellation at a time promotes the head of the queue...
    for index, member in enumerate(winners):
        assert await world.shifts.leave(member, shift_id) is LeaveOutcome.CANCELLED
        assert (await _booked(world, shift_id))[-1] == order[index]
    promoted = [m.member_id for m in await world.outbox("waitlist_promoted")]
    assert promoted == order[:3]

    # ...and concurrent cancellations promote the next ones, still in order.
    early = (await _booked(world, shift_id))[:5]
    left = await asyncio.gather(*(world.shifts.leave(member, shift_id) for member in early))
    assert set(left) == {LeaveOutcome.CANCELLED}
    assert [m.member_id for m in await world.outbox("waitlist_promoted")] == order[:8]
    assert sorted(await _booked(world, shift_id)) == sorted(set(await _booked(world, shift_id)))
    assert (await world.get_shift(shift_id)).booked_count == 10 == len(await _booked(world, shift_id))
    remaining = await _waitlist(world, shift_id)
    assert remaining == order[8:]
    assert [p for _, p in sorted((await _positions(world, remaining, shift_id)).items(),
                                 key=lambda item: remaining.index(item[0]))] == list(range(1, 40))


async def test_a_double_tap_books_once(world: World) -> None:
    shift_id = await world.shift(capacity=5)
    member = await world.member()
    outcomes = await asyncio.gather(*(world.shifts.sign_up(member, shift_id) for _ in range(5)))
    assert Counter(outcomes) == {SignupOutcome.BOOKED: 1, SignupOutcome.ALREADY_BOOKED: 4}
    assert (await world.get_shift(shift_id)).booked_count == 1
    async with world.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ShiftSignup)) == 1


async def test_no_one_waits_beside_a_free_place(world: World) -> None:
    """A cancellation racing waitlist joins: afterwards either the place is taken or nobody waits."""
    for round_ in range(5):
        shift_id = await world.shift(capacity=1)
        booked = await world.member(f"Booked {round_}")
        await world.shifts.sign_up(booked, shift_id)
        joiners = [await world.member(f"Joiner {round_}.{i}") for i in range(4)]
        results = await asyncio.gather(world.shifts.leave(booked, shift_id),
                                       *(world.shifts.join_waitlist(m, shift_id) for m in joiners))
        assert results[0] is LeaveOutcome.CANCELLED
        assert set(results[1:]) <= {SignupOutcome.BOOKED, SignupOutcome.WAITLISTED}
        now_booked = await _booked(world, shift_id)
        assert len(now_booked) == 1 and now_booked[0] in joiners
        assert (await world.get_shift(shift_id)).booked_count == 1
        assert len(await _waitlist(world, shift_id)) == 3
