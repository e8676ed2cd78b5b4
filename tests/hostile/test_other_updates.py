"""What arrives besides text and button presses, at every text step: stickers, photos
(with a hostile caption), contacts, location pins and edited messages; messages in
groups and posts in channels; and the same update delivered twice. Runs on SQLite only
(see conftest)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import handlers
from tests.hostile.conftest import World, check_answers, settle
from tests.hostile.strategies import hostile_text
from tests.hostile.walks import act, reach

pytestmark = pytest.mark.asyncio(loop_scope="module")

STEPS = sorted(handlers.build_registry().steps)
PINS = set(handlers.build_registry().pins)
KINDS = ["sticker", "photo", "contact", "location", "edited"]
GROUP = -100_500
CHANNEL = -100_600


async def send(user, kind: str, caption: str) -> None:  # noqa: ANN001
    if kind == "sticker":
        await user.send_sticker()
    elif kind == "photo":
        await user.send_photo(caption=caption)
    elif kind == "contact":
        await user.send_contact("+447700900123", caption[:64] or "Alys", user_id=7001)
    elif kind == "location":
        await user.send_location(51.4816, -3.1491)
    else:
        typed = [message_id for message_id, message in user._user_messages.items() if "text" in message]
        await user.edit_message(max(typed), caption)


@pytest.mark.parametrize(("flow", "step"), STEPS, ids=[f"{flow}/{step}" for flow, step in STEPS])
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), caption=hostile_text())
async def test_everything_but_text_at_each_step(world: World, flow: str, step: str, kind: str, caption: str) -> None:
    user = await reach(world, flow, step)
    await send(user, kind, caption)
    answers = await settle(world, user)
    assert answers, f"no answer to a {kind} at {flow}/{step}"
    check_answers(world, user, answers, typed=caption)
    dialogue = await world.bot.services.dialogues.get(user.chat_id)
    if (flow, step) not in PINS or kind != "location":
        # Not something the step reads: the dialogue waits where it was.
        assert dialogue is not None and (dialogue.flow, dialogue.step) == (flow, step), (kind, dialogue)


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(hostile_text(), st.sampled_from(["/start", "/balance@coprod_test_bot", "/give", "/me",
                                                       "/statement", "/approvals", "/cancel"])),
       who=st.sampled_from(["ceri", "sam", "mallory"]))
async def test_groups_and_channels(world: World, text: str, who: str) -> None:
    group = world.emulator.user(GROUP, "Splott volunteers")  # a chat the bot can write to
    world.emulator.user(CHANNEL, "Splott news")
    user = getattr(world, who)
    dialogue_before = await world.bot.services.dialogues.get(user.chat_id)
    await user.send_in_group(GROUP, text)
    world.emulator.channel_post(CHANNEL, text)
    await settle(world, user)
    said_in_group = await settle(world, group)
    channel = world.emulator.user(CHANNEL)
    assert await settle(world, channel) == []  # a channel has nobody to answer
    for message in said_in_group:
        # Only ever: "talk to me in a private chat". Nobody's details in a group.
        assert message.buttons == [] and message.reply_keyboard is None, message.describe()
        assert not any(secret in message.text for secret in [*world.secrets, "Ceri", "Mallory"]), message.describe()
    check_answers(world, group, said_in_group, typed=text, welsh=False)
    if text.startswith("/"):
        assert len(said_in_group) == 1, said_in_group
    assert await world.bot.services.dialogues.get(user.chat_id) == dialogue_before


async def test_an_update_delivered_twice_is_handled_once(world: World) -> None:
    user = await reach(world, "give", "recipient")
    update_id = await user.send_text(str(world.sam_id))
    first = await settle(world, user)
    assert len(first) == 1
    dialogue = await world.bot.services.dialogues.get(user.chat_id)
    assert (dialogue.flow, dialogue.step) == ("give", "amount")
    await world.emulator.redeliver(update_id)
    assert await settle(world, user) == []
    again = await world.bot.services.dialogues.get(user.chat_id)
    assert again == dialogue  # not read again as the answer to "how much?"

    await act(world, user, "1")  # the amount: now the confirmation's button
    query = await user.press("Ie, rhoi")
    await user.callback_answer(query)
    assert await settle(world, user)  # given, or refused for want of credits: said once
    await world.emulator.redeliver(world.emulator.update_id_of_callback(query))
    assert await settle(world, user) == []
