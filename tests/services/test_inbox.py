"""The inbox, as the bot process lives it: store a batch before Telegram is told, handle
each update once, and take over what a dead process left, in each member's order."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.db.enums import InboxStatus
from bot.db.session import Database
from bot.services.dialogues import DialogueService, DialogueState
from bot.services.inbox import MAX_ATTEMPTS, InboxEntry, InboxService, chat_id_of
from tests.conftest import DEFAULT_NOW


def message(update_id: int, chat_id: int, text: str = "/help") -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                "chat": {"id": chat_id, "type": "private"},
                                                "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"}}}


def ids(entries: list[InboxEntry]) -> set[int]:
    return {entry.update_id for entry in entries}


def process(db: Database, name: str, wall: FrozenClock) -> InboxService:
    return InboxService(db, worker=name, lease=timedelta(seconds=10), wall_clock=wall)


def test_the_chat_is_read_from_any_kind_of_update() -> None:
    assert chat_id_of(message(1, 42)) == 42
    assert chat_id_of({"update_id": 2, "callback_query": {"id": "q", "from": {"id": 43},
                                                          "message": {"chat": {"id": 44}}}}) == 44
    assert chat_id_of({"update_id": 3, "my_chat_member": {"chat": {"id": 45}, "from": {"id": 45}}}) == 45
    assert chat_id_of({"update_id": 4}) is None
    assert chat_id_of({"update_id": 5, "message": "garbage"}) is None


async def test_a_redelivered_update_is_not_handled_twice(db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    inbox = process(db, "one", wall)
    assert ids(await inbox.receive([message(1, 42), message(2, 43)])) == {1, 2}
    await inbox.mark_handled(1)
    # Telegram sends both again (the process had not confirmed them): 1 is handled,
    # 2 is this process's own and already in its queue.
    assert ids(await inbox.receive([message(1, 42), message(2, 43)])) == set()
    await inbox.mark_handled(2)
    wall.advance(minutes=5)
    assert ids(await process(db, "two", wall).receive([message(1, 42), message(2, 43)])) == set()
    assert (await inbox.counts())[InboxStatus.HANDLED] == 2


async def test_what_a_dead_process_left_is_taken_over_once_its_lease_runs_out(db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    dead = process(db, "dead", wall)
    await dead.receive([message(1, 42), message(2, 43)])
    successor = process(db, "successor", wall)
    assert await successor.claim_abandoned() == []  # the lease still runs: it may be alive
    wall.advance(seconds=11)
    taken = await successor.claim_abandoned()
    assert [entry.update_id for entry in taken] == [1, 2] and taken[0].payload["message"]["text"] == "/help"
    assert await process(db, "third", wall).claim_abandoned() == []  # the successor holds them now


async def test_a_live_process_keeps_its_updates_by_renewing(db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    alive = process(db, "alive", wall)
    await alive.receive([message(1, 42)])
    for _ in range(5):
        wall.advance(seconds=4)
        assert await alive.renew() == 1
        assert await process(db, "other", wall).claim_abandoned() == []


async def test_a_members_updates_are_handled_in_order_after_a_crash(db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    await process(db, "dead", wall).receive([message(1, 42, "/log")])
    successor = process(db, "successor", wall)
    # The member carries on while the dead process's lease runs: their next update
    # waits behind the one the dead process held; another member's is handled at once.
    assert ids(await successor.receive([message(1, 42, "/log"), message(2, 42, "2 hours"), message(3, 99)])) == {3}
    await successor.mark_handled(3)
    wall.advance(seconds=11)
    assert [entry.update_id for entry in await successor.claim_abandoned()] == [1, 2]


async def test_a_clean_stop_lets_go_at_once(db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    stopping = process(db, "stopping", wall)
    await stopping.receive([message(1, 42)])
    assert await stopping.release() == 1
    assert [entry.update_id for entry in await process(db, "next", wall).claim_abandoned()] == [1]


async def test_an_update_that_dies_with_every_process_is_given_up(db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    await process(db, "first", wall).receive([message(1, 42)])
    for attempt in range(2, MAX_ATTEMPTS + 1):
        wall.advance(seconds=11)
        assert [entry.update_id for entry in await process(db, f"p{attempt}", wall).claim_abandoned()] == [1]
    wall.advance(seconds=11)
    assert await process(db, "last", wall).claim_abandoned() == []
    assert (await process(db, "last", wall).counts())[InboxStatus.GIVEN_UP] == 1


async def test_updates_telegram_can_no_longer_send_again_are_forgotten_and_unhandled_ones_never(
        db: Database) -> None:
    wall = FrozenClock(DEFAULT_NOW)
    inbox = process(db, "this", wall)
    await inbox.receive([message(1, 42), message(2, 43)])
    await inbox.mark_handled(1)
    wall.advance(days=1)
    assert await inbox.purge_handled() == 0  # within Telegram's 24 hours and a margin
    wall.advance(days=2)
    assert await inbox.purge_handled() == 1
    counts = await inbox.counts()
    assert counts[InboxStatus.HANDLED] == 0 and counts[InboxStatus.RECEIVED] == 1


async def test_a_dialogue_left_for_a_week_is_forgotten(db: Database) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    dialogues = DialogueService(db, clock)
    await dialogues.set(42, DialogueState("log", "minutes", {}))
    clock.advance(days=6)
    await dialogues.set(43, DialogueState("give", "recipient", {}))
    assert await dialogues.purge_stale() == 0
    clock.advance(days=2)
    assert await dialogues.purge_stale() == 1
    assert await dialogues.get(42) is None and await dialogues.get(43) is not None
