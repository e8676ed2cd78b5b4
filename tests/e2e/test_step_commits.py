"""A dialogue's next step is written after the bot has answered, together with the end of
the update that took it: a member is never left on a step whose question never reached
them, and an update is never handled a second time from the step it led to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.enums import InboxStatus
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database
from bot.services.dialogues import DialogueMoved, DialogueService, DialogueState
from bot.services.inbox import InboxService
from tests.conftest import DEFAULT_NOW
from tests.e2e.conftest import BotUnderTest, register


async def test_a_question_telegram_failed_to_show_leaves_the_member_where_they_were(bot: BotUnderTest) -> None:
    """Sam picks what he did in /log just as Telegram has a hiccup: the next question
    never reaches him. His press did not move the dialogue on, so pressing again asks
    it, instead of "That button has expired" on a question he never saw."""
    sam = bot.user(8201, "Sam")
    await register(bot, sam)
    await sam.send_text("/log")
    assert "What did you do?" in (await sam.next_message()).text
    bot.emulator.fail_next("editMessageText")
    await sam.press("Community hub")
    assert "Sorry, something went wrong" in (await sam.next_message()).text
    await bot.settled()
    assert (await bot.services.dialogues.get(sam.chat_id)).step == "activity"
    await sam.press("Community hub")
    assert "Which organisation" in (await sam.next_event()).text
    bot.emulator.forget_rejections("editMessageText")


async def test_a_typed_answer_is_never_read_again_as_the_answer_to_the_next_question(
        bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies the moment "2" has moved Sam from "how long" to the note, before
    it could do anything more with that update. The next process does not handle "2"
    again, where it would be read as his note: the step and the end of the update that
    took it were one commit."""
    sam = bot.user(8202, "Sam")
    await register(bot, sam)
    await sam.send_text("/log")
    await sam.next_message()
    await sam.press("Community hub")
    await sam.next_event()
    await sam.press("Splott Community Trust")
    await sam.next_event()
    await sam.press("Yesterday")
    assert "How long" in (await sam.next_event()).text

    async def dies_before_marking(self: InboxService, update_id: int) -> None:
        """Nothing after the handler reaches the database."""

    monkeypatch.setattr(InboxService, "mark_handled", dies_before_marking)
    update_id = await sam.send_text("2")
    assert "Anything the coordinator should know" in (await sam.next_message()).text
    await bot.settled()
    await bot.restart()  # what this process held is let go, for the next to take over
    await sam.expect_silence(1.5)
    dialogue = await bot.services.dialogues.get(sam.chat_id)
    assert dialogue.step == "note" and "note" not in dialogue.data
    async with bot.services.db.read() as session:
        assert await session.scalar(select(InboxUpdate.status).where(
            InboxUpdate.update_id == update_id)) is InboxStatus.HANDLED


def _message(update_id: int, chat_id: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": "2",
                                                "chat": {"id": chat_id, "type": "private"},
                                                "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"}}}


@pytest.mark.parametrize("moved_first", [False, True], ids=["written", "moved-by-another"])
async def test_a_step_and_the_end_of_its_update_commit_together_or_not_at_all(
        db: Database, moved_first: bool) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    inbox = InboxService(db, worker="this", lease=timedelta(seconds=10), wall_clock=clock)
    dialogues = DialogueService(db, clock)
    await inbox.receive([_message(1, 42)])
    first = await dialogues.set(42, DialogueState("log", "minutes", {}))
    if moved_first:
        await dialogues.set(42, DialogueState("log", "note", {}), expected_version=first.version)
        with pytest.raises(DialogueMoved):
            await dialogues.set(42, DialogueState("log", "note", {"minutes": 120}),
                                expected_version=first.version, handled_update=1)
    else:
        await dialogues.set(42, DialogueState("log", "note", {"minutes": 120}),
                            expected_version=first.version, handled_update=1)
    async with db.read() as session:
        status = await session.scalar(select(InboxUpdate.status).where(InboxUpdate.update_id == 1))
    assert status is (InboxStatus.RECEIVED if moved_first else InboxStatus.HANDLED)


async def test_the_end_of_a_dialogue_and_of_its_update_commit_together(db: Database) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    inbox = InboxService(db, worker="this", lease=timedelta(seconds=10), wall_clock=clock)
    dialogues = DialogueService(db, clock)
    await inbox.receive([_message(1, 42)])
    state = await dialogues.set(42, DialogueState("give", "recipient", {}))
    assert await dialogues.clear(42, expected_version=state.version, handled_update=1)
    async with db.read() as session:
        assert await session.scalar(select(InboxUpdate.status).where(
            InboxUpdate.update_id == 1)) is InboxStatus.HANDLED


async def test_an_update_taken_over_from_a_dead_process_is_known_as_redelivered(db: Database) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    dead = InboxService(db, worker="dead", lease=timedelta(seconds=10), wall_clock=clock)
    [first] = await dead.receive([_message(1, 42)])
    assert not first.redelivered
    clock.advance(seconds=11)
    [again] = await InboxService(db, worker="next", lease=timedelta(seconds=10), wall_clock=clock).claim_abandoned()
    assert again.update_id == 1 and again.redelivered
