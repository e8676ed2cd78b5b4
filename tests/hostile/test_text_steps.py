"""Every text step of every dialogue, driven with hostile text: the member is walked to
the step through the real dialogue (tests/hostile/walks.py), then types what hypothesis
draws (tests/hostile/strategies.py). Runs on SQLite only (see conftest)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings

import handlers
from tests.hostile.conftest import World, check_answers, settle
from tests.hostile.strategies import hostile_text
from tests.hostile.walks import WALKS, act, reach

pytestmark = pytest.mark.asyncio(loop_scope="module")

STEPS = sorted(handlers.build_registry().steps)


async def test_every_text_step_has_a_walk() -> None:
    assert set(STEPS) - set(WALKS) == set(), "a text step nobody drives: add its walk to tests/hostile/walks.py"
    assert set(WALKS) - set(STEPS) == set(), "a walk to a step that is gone"


@pytest.mark.parametrize(("flow", "step"), STEPS, ids=[f"{flow}/{step}" for flow, step in STEPS])
# No shrinking: on a loaded machine a failure is reported in seconds, with the example
# that failed (shrinking would walk to the step again for each attempt).
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=hostile_text())
async def test_hostile_text_at_each_step(world: World, flow: str, step: str, typed: str) -> None:
    user = await reach(world, flow, step)
    await user.send_text(typed)
    answers = await settle(world, user)
    assert answers, f"no answer to {typed!r} at {flow}/{step}"
    check_answers(world, user, answers, typed=typed)
    dialogue = await world.bot.services.dialogues.get(user.chat_id)
    # Still in the dialogue (asked again, or on to the next question), or done with it:
    # never in another member's or a step that does not exist.
    if dialogue is not None:
        assert dialogue.flow == flow or typed.strip().startswith("/"), dialogue


@pytest.mark.parametrize(("flow", "step"), STEPS, ids=[f"{flow}/{step}" for flow, step in STEPS])
async def test_after_hostile_text_the_member_can_still_cancel(world: World, flow: str, step: str) -> None:
    user = await reach(world, flow, step)
    await user.send_text("<b>" + "\u202e" * 3 + "x" * 5000)
    check_answers(world, user, await settle(world, user), typed="")
    await act(world, user, "/cancel")
    assert await world.bot.services.dialogues.get(user.chat_id) is None
