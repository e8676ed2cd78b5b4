"""Every button handler pressed with forged data, and another member's real buttons
replayed: the press is always answered, and answered with a refusal, "expired" or what
the presser may see anyway, never another member's details; nothing of the victim's
changes. Runs on SQLite only (see conftest)."""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Annotated, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import handlers
from handlers.callback_data import CALLBACK_DATA_MAX_BYTES, Between, CallbackData
from tests.hostile.conftest import World, check_answers, settle
from tests.hostile.walks import act

pytestmark = pytest.mark.asyncio(loop_scope="module")

REGISTRY = handlers.build_registry()
PREFIXES = sorted(REGISTRY.callbacks)
PRIVILEGED_FLOWS = {route.flow for route in REGISTRY.callbacks.values() if route.flow and route.needs.roles}
NO_SUCH_MESSAGE = 10**6  # Telegram's InaccessibleMessage: a button on a message deleted or never seen


def _field(hint: object) -> st.SearchStrategy[str]:
    """A field as a forger writes it: often well-formed (to get past the reader into the
    handler), sometimes not."""
    low, high = 0, 999_999_999
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        low, high = next(((extra.low, extra.high) for extra in extras if isinstance(extra, Between)), (low, high))
    if hint is int:
        good = st.one_of(st.integers(low, min(high, low + 12)), st.just(high), st.integers(low, high))
        return st.one_of(good.map(str), st.sampled_from(["-1", "", "1.5", "١", "9" * 12]))
    if hint is bool:
        return st.sampled_from(["0", "1", "2", "true"])
    if get_origin(hint) is Literal:
        return st.sampled_from([*map(str, get_args(hint)), "x"])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from([*(str(member.value) for member in hint), "x"])
    return st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True), st.text(max_size=8))


def forged(data_type: type[CallbackData]) -> st.SearchStrategy[str]:
    hints = typing.get_type_hints(data_type, include_extras=True)
    fields = [_field(hints[field.name]) for field in dataclasses.fields(data_type)]  # type: ignore[arg-type]
    parts = st.tuples(*fields).map(list) if fields else st.just([])
    shaped = st.tuples(parts, st.lists(st.text(max_size=6), max_size=2), st.booleans()).map(
        lambda drawn: drawn[0][: len(drawn[0]) - 1] if drawn[2] and drawn[0] else drawn[0] + drawn[1])
    return shaped.map(lambda rest: _fit(":".join([data_type.prefix, *rest])))


def _fit(data: str) -> str:
    """Telegram carries at most 64 bytes of callback_data."""
    while len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        data = data[:-1]
    return data


async def press(world: World, user, data: str, *, on_a_message: bool = True) -> dict:  # noqa: ANN001
    """Presses `data` on the user's newest message with buttons (or on one they cannot
    see), checks the answer and what followed, and returns the answer."""
    with_buttons = [message for message in user.messages if message.buttons]
    message_id = with_buttons[-1].message_id if on_a_message and with_buttons else NO_SUCH_MESSAGE
    query = await user.press_data(message_id, data)
    answer = await user.callback_answer(query)
    answers = await settle(world, user)
    check_answers(world, user, answers)
    if answer["text"]:
        alert = dataclasses.replace(user.messages[-1], text=answer["text"], buttons=[]) if user.messages else None
        if alert is not None:
            check_answers(world, user, [alert])
    return answer


@pytest.mark.parametrize("prefix", PREFIXES)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_forged_data_on_every_button(world: World, prefix: str, data: st.DataObject) -> None:
    forged_data = data.draw(forged(REGISTRY.callbacks[prefix].data_type), label="callback_data")
    presser = data.draw(st.sampled_from(["ceri", "mallory"]), label="presser")
    user = getattr(world, presser)
    await press(world, user, forged_data, on_a_message=data.draw(st.booleans(), label="on a message"))
    dialogue = await world.bot.services.dialogues.get(user.chat_id)
    if user is world.mallory:
        assert dialogue is None or dialogue.flow not in PRIVILEGED_FLOWS, dialogue


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(max_size=64).map(_fit))
async def test_random_callback_data_has_expired(world: World, raw: str) -> None:
    if raw.partition(":")[0] in REGISTRY.callbacks:
        return  # a real prefix: the test above
    answer = await press(world, world.mallory, raw)
    assert answer["show_alert"] and answer["text"] == "Mae'r botwm hwnnw wedi dod i ben."


async def victims_buttons(world: World) -> list[str]:
    """Sam and Tom use the bot; every button they were shown."""
    for user, actions in (
            (world.sam, ["/shifts", "@sh-c", "@sh-s", "/myshifts", "/balance", "/me", "/settings", "/spend",
                         "/vouchers", "/give", "/cancel", "/log", "@log-act~Community", "/cancel", "/statement"]),
            (world.tom, ["/start shift_{ely}", "/approvals", "/people", "@ppl-add", "Megan Hidden", "@ppl-hood~Ely",
                         "/broadcast", "Neges gyfrinachol Tom", "/groupcredit", "/newshift", "/rota"])):
        for action in actions:
            await act(world, user, action.replace("{ely}", str(world.ely_shift_id)))
    world.secrets += ["Megan Hidden", "Neges gyfrinachol Tom"]
    buttons = {button.callback_data for user in (world.sam, world.tom) for message in user.events
               for row in message.buttons for button in row if button.callback_data}
    return sorted(buttons)


async def what_sam_has(world: World) -> list[str]:
    seen = []
    for command in ("/myshifts", "/balance"):
        await world.sam.send_text(command)
        seen += [message.text for message in await settle(world, world.sam)]
    return seen


async def test_another_members_real_buttons_replayed(world: World) -> None:
    buttons = await victims_buttons(world)
    assert len({data.partition(":")[0] for data in buttons}) >= 20, buttons  # a real sample of the registry
    sams_before = await what_sam_has(world)
    for data in buttons:
        for on_a_message in (True, False):
            await press(world, world.mallory, data, on_a_message=on_a_message)
            dialogue = await world.bot.services.dialogues.get(world.mallory.chat_id)
            assert dialogue is None or dialogue.flow not in PRIVILEGED_FLOWS, (data, dialogue)
            # Ceri coordinates Splott, not Ely: Tom's shift is not hers to change.
            await press(world, world.ceri, data, on_a_message=on_a_message)
            dialogue = await world.bot.services.dialogues.get(world.ceri.chat_id)
            assert dialogue is None or dialogue.data.get("shift_id") != world.ely_shift_id, (data, dialogue)
    assert await what_sam_has(world) == sams_before
