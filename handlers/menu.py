"""The main menu: a keyboard of big buttons so nobody has to remember a command.

Handler modules add their entries with `menu_item`; a pressed button arrives as text in
the member's language and is matched back to its command in either language.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import ReplyKeyboardMarkup

from bot.i18n import LANGUAGES, Msgid, translator
from bot.db.models import Role
from handlers.base import Turn


@dataclass(frozen=True)
class MenuItem:
    order: int
    label: Msgid  # marked with N_ where declared
    command: str
    role: Role | None = None  # shown only to members holding it


MENU: list[MenuItem] = []


def menu_item(order: int, label: Msgid, command: str, role: Role | None = None) -> None:
    MENU.append(MenuItem(order, label, command, role))
    MENU.sort(key=lambda item: item.order)


def items_for(turn: Turn) -> list[MenuItem]:
    member = turn.member
    return [item for item in MENU
            if item.role is None or (member is not None and member.has_role(item.role))]


def main_menu(turn: Turn) -> ReplyKeyboardMarkup:
    labels = [turn.t.gettext(item.label) for item in items_for(turn)]
    rows = [labels[index:index + 2] for index in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def command_for_label(turn: Turn, text: str) -> str | None:
    """A menu label in Welsh or English, whatever language the member speaks now."""
    tz = turn.services.config.tz
    wanted = text.strip().casefold()
    for item in items_for(turn):
        for code in LANGUAGES:
            if translator(code, tz).gettext(item.label).strip().casefold() == wanted:
                return item.command
    return None


async def send_main_menu(turn: Turn, text: str) -> None:
    await turn.reply(text, main_menu(turn))
