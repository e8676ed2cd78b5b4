"""Declarations: what each command, button and dialogue step needs before it runs.

Each feature module has a `Router` and declares its handlers on it:

    router = Router("hours", expired=N_("That button has expired. Send /log to start again."))

    @router.command("approvals", roles={Role.COORDINATOR}, refusal=N_("Only coordinators can approve hours."))
    async def approvals(turn: MemberTurn, args: list[str]) -> None: ...

    @router.callback(Decide, roles={Role.COORDINATOR})
    async def decide(turn: MemberTurn, data: Decide) -> None: ...

    @router.step(FLOW, "note")
    async def typed_note(turn: MemberTurn, text: str) -> None: ...

`handlers/__init__.py` composes the routers into one `Registry` (nothing global is
filled by importing a module); a command, button prefix, dialogue step or deep link
declared twice stops the bot at start-up. The dispatcher (`handlers/dispatcher.py`)
checks every declaration before the handler runs: a member where one is needed, the
dialogue's flow and step for a button that belongs to one, the roles (against the
member just loaded from the database, so at the first press, before any prompt) and the
button's typed fields.

Roles are alternatives (any one will do). A rule about *which* organisation (a
coordinator of this shift's organisation) is the service's: the handler asks it before
showing a prompt about a particular shift or entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, overload

from bot.db.models import Role
from bot.i18n import N_, Msgid, Translator
from bot.services.dialogues import DONE_PREFIX
from bot.services.members import MemberView
from handlers.base import MemberTurn, Turn
from handlers.callback_data import CALLBACK_DATA_MAX_BYTES, CallbackData

EXPIRED = N_("That button has expired.")

D = TypeVar("D", bound=CallbackData)
F = TypeVar("F", bound=Callable[..., Awaitable[None]])


@dataclass(frozen=True)
class Pin:
    """A location pin sent in a dialogue step that takes one."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Needs:
    """What a handler needs; checked by the dispatcher before it runs."""

    member: bool = True
    roles: frozenset[Role] = frozenset()
    refusal: Msgid | None = None  # said to someone without the role

    def allows(self, member: MemberView | None) -> bool:
        """The role check, against the member loaded from the database for this update."""
        if not self.roles:
            return True
        return member is not None and any(member.has_role(role) for role in self.roles)

    def refusal_text(self, t: Translator) -> str:
        """What someone without the role is told: the declaration's words, or the role's."""
        if self.refusal is not None:
            return t.gettext(self.refusal)
        role = min(self.roles, key=lambda role: role.value)
        return {
            Role.ADMIN: t.gettext("Only admins can grant or revoke roles."),
            Role.COORDINATOR: t.gettext("Only coordinators can do that."),
            Role.PARTNER: t.gettext("Only partner staff of the venue can accept this voucher."),
            Role.STAFF: t.gettext("Only TSO staff can change activity settings."),
        }[role]


@dataclass(frozen=True)
class CommandRoute:
    name: str
    handler: Callable[[Any, list[str]], Awaitable[None]]
    needs: Needs
    module: str


@dataclass(frozen=True)
class CallbackRoute(Generic[D]):
    data_type: type[D]
    handler: Callable[[Any, D], Awaitable[None]]
    needs: Needs
    module: str
    flow: str | None = None  # a button of a dialogue: pressed in any other state, it has expired
    steps: frozenset[str] = frozenset()  # empty: any step of the flow
    router_expired: Msgid = EXPIRED  # the module's words for its buttons pressed out of turn
    expired: Msgid | None = None  # this button's own, if it has them

    def expired_text(self, t: Translator) -> str:
        if self.expired is not None:
            return t.gettext(self.expired)
        return t.gettext(self.router_expired)

    @property
    def prefix(self) -> str:
        return self.data_type.prefix

    def in_place(self, flow: str | None, step: str | None) -> bool:
        if self.flow is None:
            return True
        if flow != self.flow or step is None:
            return False
        # A dialogue finished at one of this button's steps: pressed again, the button
        # is answered with what was done (its service finds the dialogue done).
        if step.startswith(DONE_PREFIX):
            return step.removeprefix(DONE_PREFIX) in self.steps
        return not self.steps or step in self.steps


@dataclass(frozen=True)
class StepRoute:
    flow: str
    step: str
    handler: Callable[[Any, Any], Awaitable[None]]
    needs: Needs
    module: str


@dataclass(frozen=True)
class MenuItem:
    order: int
    label: Msgid  # marked with N_ where declared
    command: str


DeepLinkHandler = Callable[[Any, str], Awaitable[None]]


@dataclass
class Router:
    """One feature module's declarations."""

    name: str
    expired: Msgid = EXPIRED  # for this module's dialogue buttons pressed out of turn
    commands: list[CommandRoute] = field(default_factory=list)
    callbacks: list[CallbackRoute[Any]] = field(default_factory=list)
    steps: list[StepRoute] = field(default_factory=list)
    pins: list[StepRoute] = field(default_factory=list)
    menu: list[MenuItem] = field(default_factory=list)
    deep_links: dict[str, DeepLinkHandler] = field(default_factory=dict)

    @overload
    def command(self, name: str, *, member: Literal[True] = ..., roles: Collection[Role] = ...,
                refusal: Msgid | None = ...
                ) -> Callable[[Callable[[MemberTurn, list[str]], Awaitable[None]]],
                              Callable[[MemberTurn, list[str]], Awaitable[None]]]: ...

    @overload
    def command(self, name: str, *, member: Literal[False], roles: Collection[Role] = ...,
                refusal: Msgid | None = ...
                ) -> Callable[[Callable[[Turn, list[str]], Awaitable[None]]],
                              Callable[[Turn, list[str]], Awaitable[None]]]: ...

    def command(self, name: str, *, member: bool = True, roles: Collection[Role] = (),
                refusal: Msgid | None = None) -> Callable[[F], F]:
        needs = _needs(member, roles, refusal)

        def declare(function: F) -> F:
            self.commands.append(CommandRoute(name, function, needs, self.name))
            return function
        return declare

    def callback(self, data_type: type[D], *, member: bool = True, roles: Collection[Role] = (),
                 refusal: Msgid | None = None, flow: str | None = None, steps: Iterable[str] = (),
                 expired: Msgid | None = None) -> Callable[[F], F]:
        """A button. With `flow` (and `steps`), it is a dialogue's button: pressed when the
        dialogue is elsewhere, the dispatcher answers that it has expired."""
        needs = _needs(member, roles, refusal)

        def declare(function: F) -> F:
            self.callbacks.append(CallbackRoute(data_type, function, needs, self.name, flow, frozenset(steps),
                                                router_expired=self.expired, expired=expired))
            return function
        return declare

    def step(self, flow: str, step: str, *, member: bool = True, roles: Collection[Role] = (),
             refusal: Msgid | None = None) -> Callable[[F], F]:
        """Text typed while the dialogue waits at (flow, step): `handler(turn, text)`."""
        needs = _needs(member, roles, refusal)

        def declare(function: F) -> F:
            self.steps.append(StepRoute(flow, step, function, needs, self.name))
            return function
        return declare

    def pin(self, flow: str, step: str, *, member: bool = True, roles: Collection[Role] = (),
            refusal: Msgid | None = None) -> Callable[[F], F]:
        """A location pin sent while the dialogue waits at (flow, step): `handler(turn, Pin)`.
        Steps without one answer that only text and buttons are read."""
        needs = _needs(member, roles, refusal)

        def declare(function: F) -> F:
            self.pins.append(StepRoute(flow, step, function, needs, self.name))
            return function
        return declare

    def menu_item(self, order: int, label: Msgid, command: str) -> None:
        """A main-menu button running `command`; shown to those the command's roles allow."""
        self.menu.append(MenuItem(order, label, command))

    def deep_link(self, prefix: str) -> Callable[[DeepLinkHandler], DeepLinkHandler]:
        """t.me/<bot>?start=<prefix>_<argument> opens `handler(turn, argument)`."""
        def declare(function: DeepLinkHandler) -> DeepLinkHandler:
            if prefix in self.deep_links:
                raise DuplicateRegistration(f"deep link {prefix!r} declared twice in {self.name}")
            self.deep_links[prefix] = function
            return function
        return declare


def _needs(member: bool, roles: Collection[Role], refusal: Msgid | None) -> Needs:
    if roles and not member:
        raise ValueError("a role needs a member")
    return Needs(member, frozenset(roles), refusal)


class DuplicateRegistration(ValueError):
    """The same command, button prefix, dialogue step or deep link declared twice."""


class Registry:
    """Every router's declarations, composed once at start-up."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self.routers = tuple(routers)
        self.commands: dict[str, CommandRoute] = {}
        self.callbacks: dict[str, CallbackRoute[Any]] = {}
        self.steps: dict[tuple[str, str], StepRoute] = {}
        self.pins: dict[tuple[str, str], StepRoute] = {}
        self.deep_links: dict[str, DeepLinkHandler] = {}
        menu: dict[str, MenuItem] = {}
        for router in self.routers:
            for command in router.commands:
                _add(self.commands, command.name, command, "command /" + command.name)
            for callback in router.callbacks:
                _add(self.callbacks, callback.prefix, callback, f"button prefix {callback.prefix!r}")
            for step in router.steps:
                _add(self.steps, (step.flow, step.step), step, f"dialogue step {step.flow}/{step.step}")
            for pin in router.pins:
                _add(self.pins, (pin.flow, pin.step), pin, f"location pin step {pin.flow}/{pin.step}")
            for prefix, handler in router.deep_links.items():
                _add(self.deep_links, prefix, handler, f"deep link {prefix!r}")
            for item in router.menu:
                _add(menu, item.label, item, f"menu button {item.label!r}")
        for item in menu.values():
            if item.command not in self.commands:
                raise ValueError(f"menu button {item.label!r} runs /{item.command}, which nobody declared")
        self.menu = tuple(sorted(menu.values(), key=lambda item: item.order))

    def callback_for(self, raw: str) -> tuple[CallbackRoute[Any] | None, CallbackData | None]:
        """The route a button's data names and its fields read; (route, None) if malformed,
        (None, None) if no route has that prefix."""
        if len(raw.encode()) > CALLBACK_DATA_MAX_BYTES:
            return None, None
        prefix, separator, rest = raw.partition(":")
        route = self.callbacks.get(prefix)
        if route is None:
            return None, None
        parts = rest.split(":") if separator else []
        return route, route.data_type.unpack(parts)

    def menu_for(self, member: MemberView | None) -> list[MenuItem]:
        return [item for item in self.menu if self.commands[item.command].needs.allows(member)]


def registry_of(turn: Turn) -> Registry:
    """Every declared handler (handlers/__init__.py builds it once, at start-up)."""
    registry: Registry = turn.context.application.bot_data["registry"]
    return registry


def _add(table: dict[Any, Any], key: object, value: object, what: str) -> None:
    if key in table:
        raise DuplicateRegistration(f"{what} is declared twice")
    table[key] = value
