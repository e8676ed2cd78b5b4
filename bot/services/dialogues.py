"""Dialogue state, one row per chat, so a restart or another process carries on.

A dialogue is (flow, step, data). Every write replaces the row in one transaction, so
a half-finished dialogue is always either the old step or the new one, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from bot.clock import Clock
from bot.db.models import Dialogue
from bot.db.session import Database

# A dialogue left this long is forgotten: nobody expects "what is your name?" to still
# be waiting a month later.
DIALOGUE_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class DialogueState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


class DialogueService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, chat_id: int) -> DialogueState | None:
        async with self.db.transaction() as session:
            row = await session.get(Dialogue, chat_id)
            if row is None:
                return None
            if row.updated_at < self.clock.now() - DIALOGUE_LIFETIME:
                await session.delete(row)
                return None
            return DialogueState(row.flow, row.step, dict(row.data or {}))

    async def set(self, chat_id: int, state: DialogueState) -> None:
        async with self.db.transaction() as session:
            row = await session.get(Dialogue, chat_id)
            if row is None:
                row = Dialogue(chat_id=chat_id)
                session.add(row)
            row.flow, row.step, row.data = state.flow, state.step, dict(state.data)
            row.updated_at = self.clock.now()

    async def clear(self, chat_id: int) -> bool:
        async with self.db.transaction() as session:
            result = await session.execute(delete(Dialogue).where(Dialogue.chat_id == chat_id))
            return bool(result.rowcount)

    async def purge_stale(self) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(Dialogue).where(Dialogue.updated_at < self.clock.now() - DIALOGUE_LIFETIME))
            return int(result.rowcount or 0)


