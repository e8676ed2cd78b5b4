"""Broadcasts: whom a coordinator reaches, each filter and their combinations, opt-outs,
recipients fixed once at confirmation, Stop, and the report's figures."""

from __future__ import annotations

from datetime import date

import pytest
from shift_helpers import *  # noqa: F403  (the `world` fixture)
from shift_helpers import World
from sqlalchemy import select

from bot.db.member_settings_models import MemberInterest, MemberSettings
from bot.db.models import Member, OutboxMessage, OutboxStatus, Role, TimeEntry, TimeEntryStatus
from bot.services.audience import Audience
from bot.services.broadcasts import BroadcastRefusal, BroadcastService, Draft
from bot.services.dialogues import DialogueService, DialogueState
from bot.services.outbox_payloads import OutboxKind


@pytest.fixture
def broadcasts(world: World) -> BroadcastService:
    return BroadcastService(world.db, world.config, world.clock)


async def opt_out(world: World, member_id: int) -> None:
    async with world.db.transaction() as session:
        session.add(MemberSettings(member_id=member_id, broadcasts=False, reminder_offsets=[], quiet_start="21:00",
                                   quiet_end="08:00", updated_at=world.clock.now()))


async def interested(world: World, member_id: int, activity: str) -> None:
    async with world.db.transaction() as session:
        session.add(MemberInterest(member_id=member_id, activity_type_id=world.ref[activity]))


async def names(world: World, broadcast_id: int) -> set[str]:
    async with world.db.read() as session:
        return set(await session.scalars(select(Member.display_name).join(
            OutboxMessage, OutboxMessage.member_id == Member.id).where(
            OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.kind == OutboxKind.BROADCAST.value)))


async def send(world: World, broadcasts: BroadcastService, author: int, draft: Draft, chat_id: int = 1):
    """Confirms `draft` as the last step of a dialogue in chat `chat_id`."""
    dialogues = DialogueService(world.db, world.clock)
    state = await dialogues.set(chat_id, DialogueState("broadcast", "preview", {}))
    from bot.services.dialogue_completion import DialogueCompletion
    return await broadcasts.confirm(author, draft, DialogueCompletion(chat_id, "broadcast", state.version))


@pytest.fixture
async def people(world: World) -> dict[str, int]:
    """Splott residents, an Ely resident who volunteered for Splott, one who logged hours
    with Splott, and one who never had anything to do with Splott."""
    ids = {
        "Ceri": await world.member("Ceri"),
        "Sam": await world.member("Sam"),
        "Dai": await world.member("Dai", neighbourhood="ely"),  # booked a Splott shift
        "Eve": await world.member("Eve", neighbourhood="ely"),  # logged hours with Splott
        "Ffion": await world.member("Ffion", neighbourhood="ely"),  # Ely only
        "Huw": await world.member("Huw", neighbourhood=None),
    }
    shift = await world.shift()
    assert (await world.shifts.sign_up(ids["Dai"], shift)).value == "booked"
    async with world.db.transaction() as session:
        session.add(TimeEntry(member_id=ids["Eve"], organisation_id=world.ref["splott-community"],
                              activity_type_id=world.ref["community-hub"], worked_on=date(2026, 11, 30), minutes=60,
                              status=TimeEntryStatus.APPROVED, submitted_at=world.clock.now(),
                              submitted_by_member_id=ids["Eve"]))
    return ids


async def test_a_coordinator_reaches_the_volunteers_of_their_organisation_and_nobody_else(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    counted = await broadcasts.preview(world.coordinator, Draft(text_en="Hello"))
    assert not isinstance(counted, BroadcastRefusal)
    assert (counted.recipients, counted.opted_out) == (4, 0)  # Ceri, Sam (Splott), Dai (booked), Eve (logged)
    confirmed = await send(world, broadcasts, world.coordinator, Draft(text_en="Hello"))
    assert not isinstance(confirmed, BroadcastRefusal)
    assert confirmed.recipients == 4
    assert await names(world, confirmed.broadcast_id) == {"Ceri", "Sam", "Dai", "Eve"}


async def test_each_filter_and_their_combination_narrow_the_audience(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    await interested(world, people["Sam"], "day-centre")
    await interested(world, people["Dai"], "day-centre")
    await interested(world, people["Ceri"], "community-hub")
    await world.dbs(people["Sam"], date(2025, 1, 10))
    await world.dbs(people["Ceri"], date(2023, 12, 7))  # three years ago today: no longer valid
    await world.dbs(people["Dai"], date(2024, 6, 1))
    cases = {
        Audience(neighbourhood_ids=frozenset({world.ref["splott"]})): {"Ceri", "Sam"},
        Audience(neighbourhood_ids=frozenset({world.ref["ely"]})): {"Dai", "Eve"},  # Ffion is not Splott's
        Audience(activity_type_ids=frozenset({world.ref["day-centre"]})): {"Sam", "Dai"},
        Audience(dbs_cleared=True): {"Sam", "Dai"},
        Audience(neighbourhood_ids=frozenset({world.ref["splott"]}), dbs_cleared=True): {"Sam"},
        Audience(neighbourhood_ids=frozenset({world.ref["ely"]}),
                 activity_type_ids=frozenset({world.ref["day-centre"]}), dbs_cleared=True): {"Dai"},
    }
    for chat, (audience, expected) in enumerate(cases.items(), start=10):
        draft = Draft(text_cy="Helo", audience=audience)
        counted = await broadcasts.preview(world.coordinator, draft)
        assert not isinstance(counted, BroadcastRefusal)
        assert counted.recipients == len(expected), audience
        confirmed = await send(world, broadcasts, world.coordinator, draft, chat_id=chat)
        assert not isinstance(confirmed, BroadcastRefusal)
        assert await names(world, confirmed.broadcast_id) == expected, audience


async def test_an_admin_reaches_everyone_and_nobody_who_switched_broadcasts_off(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    admin = await world.member("Admin")
    await world.grant(admin, Role.ADMIN, None)
    await opt_out(world, people["Sam"])
    await opt_out(world, people["Ffion"])
    counted = await broadcasts.preview(admin, Draft(text_en="All"))
    assert not isinstance(counted, BroadcastRefusal)
    # Everyone but the admin: two coordinators and six members, two of whom opted out.
    assert (counted.recipients, counted.opted_out) == (6, 2)
    confirmed = await send(world, broadcasts, admin, Draft(text_en="All"))
    assert not isinstance(confirmed, BroadcastRefusal)
    assert await names(world, confirmed.broadcast_id) == {
        "Ceri", "Dai", "Eve", "Huw", "Cerys Coordinator", "Eli Coordinator"}
    report = await broadcasts.report(admin, confirmed.broadcast_id)
    assert not isinstance(report, BroadcastRefusal)
    assert (report.recipients, report.opted_out, report.pending) == (6, 2, 6)


async def test_a_volunteer_may_not_broadcast_nor_attach_another_organisations_shift(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    assert await broadcasts.preview(people["Ceri"], Draft(text_en="Hi")) is BroadcastRefusal.NOT_ALLOWED
    assert await send(world, broadcasts, people["Ceri"], Draft(text_en="Hi")) is BroadcastRefusal.NOT_ALLOWED
    ely_shift = await world.shift(coordinator=world.ely_coordinator, organisation="ely-hub", neighbourhood="ely")
    assert await broadcasts.preview(world.coordinator, Draft(text_en="Hi", shift_id=ely_shift)) \
        is BroadcastRefusal.SHIFT_NOT_ALLOWED
    assert await broadcasts.preview(world.coordinator, Draft()) is BroadcastRefusal.NO_TEXT
    assert await broadcasts.preview(world.coordinator, Draft(text_en="x" * 3001)) is BroadcastRefusal.TEXT_TOO_LONG
    assert await broadcasts.preview(world.coordinator, Draft(text_en="Hi", group_neighbourhood_id=world.ref["splott"])) \
        is BroadcastRefusal.GROUP_NOT_ALLOWED  # no group configured


async def test_confirming_twice_fixes_the_recipients_once(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    dialogues = DialogueService(world.db, world.clock)
    state = await dialogues.set(7, DialogueState("broadcast", "preview", {}))
    from bot.services.dialogue_completion import DialogueCompletion
    completion = DialogueCompletion(7, "broadcast", state.version)
    first = await broadcasts.confirm(world.coordinator, Draft(text_en="Once"), completion)
    await world.member("Late", neighbourhood="splott")  # joins between the two presses
    second = await broadcasts.confirm(world.coordinator, Draft(text_en="Once"), completion)
    assert first == second
    async with world.db.read() as session:
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.BROADCAST.value))).all()
        progress = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.BROADCAST_PROGRESS.value))).all()
    assert len(rows) == 4 and len({row.dedupe_key for row in rows}) == 4
    assert [row.member_id for row in progress] == [world.coordinator]


async def test_stop_withdraws_what_has_not_gone_and_the_report_adds_up(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    confirmed = await send(world, broadcasts, world.coordinator, Draft(text_en="Stop me"))
    assert not isinstance(confirmed, BroadcastRefusal)
    async with world.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.broadcast_id == confirmed.broadcast_id).order_by(OutboxMessage.id))).all()
        rows[0].status, rows[0].telegram_message_id, rows[0].sent_at = OutboxStatus.SENT, 99, world.clock.now()
        rows[1].status, rows[1].last_error = OutboxStatus.FAILED, "Forbidden"
        failed_member = await session.get(Member, rows[1].member_id)
        assert failed_member is not None
        failed_member.unreachable_at = world.clock.now()
    assert await broadcasts.stop(people["Ceri"], confirmed.broadcast_id) is BroadcastRefusal.NOT_YOURS
    assert await broadcasts.stop(world.ely_coordinator, confirmed.broadcast_id) is BroadcastRefusal.NOT_YOURS
    report = await broadcasts.stop(world.coordinator, confirmed.broadcast_id)
    assert not isinstance(report, BroadcastRefusal)
    assert (report.delivered, report.unreachable, report.withdrawn, report.pending) == (1, 1, 2, 0)
    assert report.stopped
    assert await broadcasts.content(confirmed.broadcast_id, people["Ceri"]) is None  # one in hand sends nothing
    world.clock.advance(minutes=1)
    await broadcasts.progress_due()
    report = await broadcasts.report(world.coordinator, confirmed.broadcast_id)
    assert not isinstance(report, BroadcastRefusal)
    assert report.finished and report.done == 2


async def test_a_member_who_switches_broadcasts_off_after_it_was_sent_gets_nothing(
        world: World, broadcasts: BroadcastService, people: dict[str, int]) -> None:
    confirmed = await send(world, broadcasts, world.coordinator, Draft(text_en="Hi", text_cy="Helo"))
    assert not isinstance(confirmed, BroadcastRefusal)
    await opt_out(world, people["Sam"])
    assert await broadcasts.content(confirmed.broadcast_id, people["Sam"]) is None
    content = await broadcasts.content(confirmed.broadcast_id, people["Ceri"])
    assert content is not None and (content.text_en, content.text_cy) == ("Hi", "Helo")
