"""The main menu: a keyboard of big buttons so nobody has to remember a command.

Feature routers declare their entries (`router.menu_item`); each is shown to those its
command's declared roles allow. A pressed button arrives as text in the member's language
and is matched back to its command in either language.
"""

from __future__ import annotations

from telegram import ReplyKeyboardMarkup

from bot.i18n import LANGUAGES, translator
from handlers.base import Turn
from handlers.routing import registry_of


def main_menu(turn: Turn) -> ReplyKeyboardMarkup:
    labels = [turn.t.gettext(item.label) for item in registry_of(turn).menu_for(turn.member)]
    rows = [labels[index:index + 2] for index in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def command_for_label(turn: Turn, text: str) -> str | None:
    """A menu label in Welsh or English, whatever language the member speaks now."""
    tz = turn.services.config.tz
    wanted = text.strip().casefold()
    for item in registry_of(turn).menu_for(turn.member):
        for code in LANGUAGES:
            if translator(code, tz).gettext(item.label).strip().casefold() == wanted:
                return item.command
    return None


async def send_main_menu(turn: Turn, text: str) -> None:
    await turn.reply(text, main_menu(turn))
