"""A dialogue's last step and the action it takes, in one transaction.

A service whose call ends a dialogue ("Create" of a new shift, "Record" of a member
without Telegram...) takes a `DialogueCompletion`: the chat, and the dialogue's flow and
version as the member saw it when they pressed. Inside the service's own transaction:

1. `finished_outcome` locks the chat's dialogue row and looks at it. If this very
   dialogue has already finished (the same button pressed again, or the same update
   handled again after a crash), it returns what was done, and the service answers
   with that instead of acting again. If the dialogue moved elsewhere, DialogueMoved.
2. The service acts.
3. `complete` leaves the dialogue done, with what was done, guarded by the version, in
   the same transaction: either both the action and the end of the dialogue are
   committed, or neither.

An action that is idempotent by a key of its own (logging hours, giving, spending: the
key made when the dialogue began) finds its earlier result by that key; it only needs
`close`, which ends the dialogue in the action's transaction unless it has ended already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Dialogue
from bot.db.session import rows_changed
from bot.services.dialogues import DONE_PREFIX, DialogueMoved, done_step


@dataclass(frozen=True)
class DialogueCompletion:
    chat_id: int
    flow: str
    version: int  # the dialogue's version when the member pressed
    # For a last step that is typed, not pressed: the text, kept with what was done, so
    # the same text sent again (handled again, or retyped after "Sorry, something went
    # wrong") is known for a repeat and answered with that.
    answer: str | None = None


async def finished_outcome(session: AsyncSession, completion: DialogueCompletion) -> dict[str, Any] | None:
    """What this dialogue did, if it is done already; None if it is still at the
    version pressed (go ahead and act). Locks the row until the transaction ends, so a
    second press handled at the same moment waits and then finds it done."""
    row = (await session.execute(
        select(Dialogue).where(Dialogue.chat_id == completion.chat_id).with_for_update())).scalar_one_or_none()
    if row is None or row.flow != completion.flow:
        raise DialogueMoved(completion.chat_id)
    if row.step.startswith(DONE_PREFIX):
        return dict((row.data or {}).get("outcome") or {})
    if row.version != completion.version:
        raise DialogueMoved(completion.chat_id)
    return None


async def complete(session: AsyncSession, completion: DialogueCompletion, outcome: dict[str, Any], *,
                   now: datetime) -> None:
    """Leaves the dialogue done with `outcome` (plain JSON: ids, numbers, strings), in
    the caller's transaction."""
    row = await session.get(Dialogue, completion.chat_id)
    if row is None or row.version != completion.version or row.flow != completion.flow:
        raise DialogueMoved(completion.chat_id)
    if completion.answer is not None:
        outcome = {**outcome, "answer": completion.answer}
    changed = await rows_changed(session,
        update(Dialogue).where(Dialogue.chat_id == completion.chat_id, Dialogue.version == completion.version)
        .values(step=done_step(row.step), data={**(row.data or {}), "outcome": outcome},
                version=completion.version + 1, updated_at=now))
    if not changed:
        raise DialogueMoved(completion.chat_id)


async def close(session: AsyncSession, completion: DialogueCompletion, outcome: dict[str, Any], *,
                now: datetime) -> None:
    """`complete`, for an action that found its own earlier result by its key: a
    dialogue already done by that earlier press is left as it is."""
    if await finished_outcome(session, completion) is None:
        await complete(session, completion, outcome, now=now)
