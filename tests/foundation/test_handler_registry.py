"""The handler registry: every command, button and dialogue step declared once, each
button's data read against its declared shape, and the command menu agreeing with what
each command declares."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Annotated, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import handlers
from bot.db.models import Role
from handlers.callback_data import Between, CallbackData
from handlers.command_menu import COMMAND_HELP
from handlers.routing import DuplicateRegistration, Router
from handlers.shift_buttons import ShiftFilter, When


def all_data_types() -> list[type[CallbackData]]:
    found, todo = [], list(CallbackData.__subclasses__())
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return [kind for kind in found if kind.__module__.startswith("handlers.")]


async def _nothing(turn: object, data: object) -> None:
    return None


def test_the_registry_builds() -> None:
    registry = handlers.build_registry()
    assert "newshift" in registry.commands and "sh-c" in registry.callbacks
    assert ("newshift", "address") in registry.pins  # the one step that takes a location pin
    assert [item.command for item in registry.menu][:2] == ["shifts", "myshifts"]


@pytest.mark.parametrize("declare", [
    lambda router: router.command("balance")(_nothing),
    lambda router: router.callback(ShiftFilter)(_nothing),
    lambda router: router.step("log", "note")(_nothing),
    lambda router: router.pin("newshift", "address")(_nothing),
    lambda router: router.deep_link("shift")(_nothing),
], ids=["command", "button prefix", "dialogue step", "location pin step", "deep link"])
def test_a_duplicated_registration_fails_at_start_up(declare) -> None:  # noqa: ANN001
    intruder = Router("intruder")
    declare(intruder)
    with pytest.raises(DuplicateRegistration):
        handlers.build_registry(extra=[intruder])


def test_a_duplicated_registration_stops_the_application_being_built(monkeypatch) -> None:  # noqa: ANN001
    from telegram.ext import ApplicationBuilder

    intruder = Router("intruder")
    intruder.command("start", member=False)(_nothing)
    every_router = handlers.routers
    monkeypatch.setattr(handlers, "routers", lambda: [*every_router(), intruder])
    application = ApplicationBuilder().token("1:x").updater(None).build()
    with pytest.raises(DuplicateRegistration, match="/start"):
        handlers.register(application)


def test_a_menu_button_for_an_undeclared_command_fails() -> None:
    router = Router("menu-only")
    router.menu_item(99, "🚫", "nosuchcommand")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nosuchcommand"):
        handlers.build_registry(extra=[router])


def test_every_button_kind_has_a_handler_and_every_prefix_is_unique() -> None:
    registry = handlers.build_registry()
    kinds = all_data_types()
    prefixes = [kind.prefix for kind in kinds]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)
    unhandled = {kind.__name__ for kind in kinds if registry.callbacks.get(kind.prefix, None) is None
                 or registry.callbacks[kind.prefix].data_type is not kind}
    assert unhandled == set(), "buttons nobody handles (every press would expire)"


def test_the_command_menu_shows_each_command_to_the_roles_it_declares() -> None:
    registry = handlers.build_registry()
    for item in COMMAND_HELP:
        declared = registry.commands[item.command].needs.roles
        assert declared == ({item.role} if item.role else set()) or (item.role in declared), item.command


# --------------------------------------------------------------------------- typed button data


class Colour(enum.StrEnum):
    RED = "r"
    BLUE = "b"


@dataclass(frozen=True)
class Sample(CallbackData, prefix="test-sample"):
    item_id: int
    weeks: Annotated[int, Between(1, 26)]
    colour: Colour
    kind: Literal["a", "n"]
    flag: bool
    code: str = "none"


def test_button_data_round_trips() -> None:
    sample = Sample(42, 26, Colour.BLUE, "n", True, "4JF8WB5F")
    packed = sample.pack()
    assert packed == "test-sample:42:26:b:n:1:4JF8WB5F"
    assert Sample.unpack(packed.split(":")[1:]) == sample
    assert Sample.unpack(["42", "1", "r", "a", "0"]) == Sample(42, 1, Colour.RED, "a", False)  # default left off


@pytest.mark.parametrize("parts", [
    [], ["42"], ["42", "27", "r", "a", "0"], ["42", "0", "r", "a", "0"], ["-1", "1", "r", "a", "0"],
    ["99999999999999999999999999", "1", "r", "a", "0"], ["²", "1", "r", "a", "0"], ["4 2", "1", "r", "a", "0"],
    ["42", "1", "green", "a", "0"], ["42", "1", "r", "x", "0"], ["42", "1", "r", "a", "yes"],
    ["42", "1", "r", "a", "0", "code", "extra"], ["42", "1", "r", "a", "0", "x" * 25], ["42", "1", "r", "a", "0", "a:b"],
    ["42", "1", "r", "a", "0", ""],
], ids=str)
def test_malformed_button_data_is_refused(parts: list[str]) -> None:
    assert Sample.unpack(parts) is None


def test_the_forged_filter_of_issue_9_is_refused() -> None:
    registry = handlers.build_registry()
    route, data = registry.callback_for("sh-f:when:" + "1" * 26 + ":" + "2" * 26)
    assert route is not None and route.data_type is ShiftFilter and data is None
    route, data = registry.callback_for("sh-f:when:3:4:week")
    assert data == ShiftFilter("when", 3, 4, When.WEEK)


@given(st.text(max_size=80))
def test_no_button_data_makes_the_registry_raise(raw: str) -> None:
    registry = REGISTRY
    route, data = registry.callback_for(raw)
    if data is not None:
        assert route is not None and isinstance(data, route.data_type)
        # Defaults may fill in what was left off, down to the bare prefix ("off-l" is page 0).
        assert data.pack() == raw or raw == data.prefix or raw.startswith(data.prefix + ":")


@given(st.sampled_from(all_data_types()).flatmap(lambda kind: st.tuples(
    st.just(kind), st.lists(st.sampled_from(["0", "1", "9" * 9, "9" * 10, "a", "n", "week", "yes", "", "²", "x" * 30]),
                            max_size=6))))
def test_every_button_kind_reads_hostile_parts_without_raising(case) -> None:  # noqa: ANN001
    kind, parts = case
    data = kind.unpack(parts)
    if data is not None:
        assert dataclasses.is_dataclass(data) and len(data.pack().encode()) <= 64


REGISTRY = handlers.build_registry()


def test_a_role_needs_a_member() -> None:
    with pytest.raises(ValueError):
        Router("x").command("x", member=False, roles={Role.ADMIN})
