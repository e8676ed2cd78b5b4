"""Hostile text that a dialogue keeps is shown again later, to others: a broadcast to
every member and the neighbourhood's group, a shift's venue and descriptions on its card,
an offer's names in the directory. Each is typed, saved, then looked at by the members it
reaches; Telegram must accept every one of those messages. Runs on SQLite only (see
conftest)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from tests.hostile.conftest import SPLOTT_GROUP, World, check_answers, drain, settle
from tests.hostile.strategies import hostile_text
from tests.hostile.walks import act

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Astral-plane letters count two UTF-16 units each, as Telegram counts: 3,000 of them
# are 3,000 characters to Python and 6,000 to Telegram.
ASTRAL = "𝕳" * 3000
LONGEST = "ll" * 1500
SLOW = settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture])


async def answer(world: World, user, typed: str, fallback: str) -> str | None:  # noqa: ANN001
    """Types `typed` at the current step; if the step refuses it, `fallback`. Returns the
    one kept, or None if what was typed ended the dialogue (a command: "/cancel")."""
    before = await world.bot.services.dialogues.get(user.chat_id)
    await user.send_text(typed)
    check_answers(world, user, await settle(world, user), typed=typed)
    after = await world.bot.services.dialogues.get(user.chat_id)
    if after is None or after.flow != before.flow:
        return None
    if after is not None and before is not None and after.step == before.step:
        await act(world, user, fallback)
        return fallback
    return typed


async def everyone_reads(world: World, typed: tuple[str, str]) -> None:
    """What the outbox delivers to the members and the group, checked like any answer."""
    welsh, english = typed
    for user in (world.sam, world.mallory, world.tom, world.ceri):
        received = await drain(user, quiet=0.6)
        check_answers(world, user, received, typed=welsh if user.language_code == "cy" else english)
    group = world.emulator.user(SPLOTT_GROUP)
    check_answers(world, group, await drain(group, quiet=0.2), welsh=False)  # both languages, in one post


@SLOW
@example(welsh=ASTRAL, english=ASTRAL)
@example(welsh=LONGEST, english=LONGEST)
@given(welsh=hostile_text(), english=hostile_text())
async def test_a_broadcast_reaches_members_and_the_group(world: World, welsh: str, english: str) -> None:
    ceri = world.ceri
    await act(world, ceri, "/cancel")
    await act(world, ceri, "/broadcast")
    kept_welsh = await answer(world, ceri, welsh, "Neges")
    kept_english = await answer(world, ceri, english, "Message") if kept_welsh is not None else None
    if kept_english is None:
        return  # a command typed instead: the dialogue it ended is another test's
    await act(world, ceri, "@bc-g")  # also post in the Splott group (refused if both are too long for one post)
    await act(world, ceri, "@bc-p")
    await act(world, ceri, "@bc-ok")
    await everyone_reads(world, (kept_welsh, kept_english))
