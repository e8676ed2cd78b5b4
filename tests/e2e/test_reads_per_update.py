"""A member's everyday look-ups cost one read-only transaction: who they are, their
roles and dialogue, and what the answer shows are read together, and nothing but the
inbox's own mark (handled) is written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from bot.db.session import READ_ONLY
from tests.e2e.conftest import BotUnderTest, register


@pytest.mark.parametrize(("command", "answer"), [("/balance", "Your balance"), ("/shifts", "shift")])
async def test_balance_and_shifts_read_in_one_transaction(bot: BotUnderTest, command: str, answer: str) -> None:
    member = bot.user(8301, "Sam")
    await register(bot, member)
    assert bot.services is not None
    engine = bot.services.db.engine.sync_engine
    began: list[str] = []

    def on_begin(connection: Any) -> None:
        task = asyncio.current_task()
        if task is not None and "process_concurrent_update" in task.get_name():  # the update's own
            began.append("read" if connection.get_execution_options().get(READ_ONLY) else "write")

    event.listen(engine, "begin", on_begin)
    try:
        for _ in range(2):  # the second with the reference data cached
            began.clear()
            await member.send_text(command)
            assert answer in (await member.next_message()).text
            await asyncio.sleep(0.3)  # the mark in the inbox, after the answer
    finally:
        event.remove(engine, "begin", on_begin)
    assert began == ["read", "write"]  # the look-ups, then the inbox's "handled"
