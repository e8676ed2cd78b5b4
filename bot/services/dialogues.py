"""Dialogue state, one row per chat, so a restart or another process carries on.

A dialogue is (flow, step, data) and a version. Every write replaces the row in one
transaction, so a half-finished dialogue is always either the old step or the new one,
never a mix; and a write names the version it read (`expected_version`), so two
processes (or a press Telegram delivered twice) handling one chat cannot both move it
on from the same step: the second finds it moved and changes nothing (DialogueMoved).

A dialogue whose last step has acted is not simply deleted: it is left *done* (step
"done:<the step it ended at>", its data and what was done, see
bot/services/dialogue_completion.py) for a while, so the same button pressed again is
answered with what was done instead of doing it a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Dialogue
from bot.db.session import Database, rows_changed
from bot.services.inbox import mark_handled_in, note_committed

# A dialogue left this long is forgotten: nobody expects "what is your name?" to still
# be waiting a month later.
DIALOGUE_LIFETIME = timedelta(days=7)
# How long a finished dialogue answers a repeated press with what it did: long enough
# for "Sorry, something went wrong" and a second try, or a redelivery after a restart.
DONE_LIFETIME = timedelta(days=1)
DONE_PREFIX = "done:"


class DialogueMoved(Exception):
    """The dialogue is no longer at the version this write expected: another update of
    the same chat moved it on first. Nothing was written."""


def done_step(step: str) -> str:
    return f"{DONE_PREFIX}{step}"


@dataclass(frozen=True)
class DialogueState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    @property
    def done(self) -> bool:
        """Finished: its last step acted; kept only to answer a repeated press."""
        return self.step.startswith(DONE_PREFIX)

    @property
    def outcome(self) -> dict[str, Any] | None:
        """What a finished dialogue did, as the service that finished it recorded."""
        return self.data.get("outcome") if self.done else None


class DialogueService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, chat_id: int) -> DialogueState | None:
        """Read-only (every update asks): an expired row is treated as gone and left for
        `purge_stale` to delete."""
        async with self.db.read() as session:
            row = await session.get(Dialogue, chat_id)
            if row is None:
                return None
            state = DialogueState(row.flow, row.step, dict(row.data or {}), row.version)
            lifetime = DONE_LIFETIME if state.done else DIALOGUE_LIFETIME
            if row.updated_at < self.clock.now() - lifetime:
                return None
            return state

    async def set(self, chat_id: int, state: DialogueState, *, expected_version: int | None = None,
                  handled_update: int | None = None) -> DialogueState:
        """Writes the dialogue's next step; returns it with its new version. With
        `expected_version`, only if the row is still at that version (else DialogueMoved);
        without, whatever was there is replaced (a new dialogue begins). With
        `handled_update`, that update is marked handled in the inbox in the same
        transaction: the step and the end of the update that took it commit together."""
        async with self.db.transaction() as session:
            written = await self._write(session, chat_id, state, expected_version)
            if handled_update is not None:
                await mark_handled_in(session, handled_update)
        if handled_update is not None:
            note_committed(handled_update)
        return written

    async def _write(self, session: AsyncSession, chat_id: int, state: DialogueState,
                     expected_version: int | None) -> DialogueState:
        now = self.clock.now()
        if expected_version is not None:
            changed = await rows_changed(session,
                update(Dialogue).where(Dialogue.chat_id == chat_id, Dialogue.version == expected_version)
                .values(flow=state.flow, step=state.step, data=dict(state.data), updated_at=now,
                        version=expected_version + 1))
            if not changed:
                raise DialogueMoved(chat_id)
            return DialogueState(state.flow, state.step, dict(state.data), expected_version + 1)
        row = await session.get(Dialogue, chat_id)
        if row is None:
            row = Dialogue(chat_id=chat_id, version=0)
            session.add(row)
        row.flow, row.step, row.data = state.flow, state.step, dict(state.data)
        row.updated_at = now
        row.version = (row.version or 0) + 1
        await session.flush()
        return DialogueState(state.flow, state.step, dict(state.data), row.version)

    async def clear(self, chat_id: int, *, expected_version: int | None = None,
                    handled_update: int | None = None) -> bool:
        """Ends the dialogue; True when one was under way (a finished one does not count).
        `handled_update` as for `set`."""
        async with self.db.transaction() as session:
            if handled_update is not None:
                await mark_handled_in(session, handled_update)
            row = await session.get(Dialogue, chat_id)
            active = False
            if row is not None:
                if expected_version is not None and row.version != expected_version:
                    raise DialogueMoved(chat_id)
                active = not row.step.startswith(DONE_PREFIX)
                await session.execute(delete(Dialogue).where(Dialogue.chat_id == chat_id))
        if handled_update is not None:
            note_committed(handled_update)
        return active

    async def purge_stale(self) -> int:
        async with self.db.transaction() as session:
            changed = await rows_changed(session,
                delete(Dialogue).where(Dialogue.updated_at < self.clock.now() - DIALOGUE_LIFETIME))
            return changed
