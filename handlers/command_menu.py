"""The command list: /help and the command menus Telegram shows, from one list."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import CallbackContext

from bot.db.models import Role
from bot.i18n import N_, Msgid, Translator
from bot.services.members import MemberView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandHelp:
    command: str
    description: Msgid
    role: Role | None = None  # None: every member; a test checks it matches the command's declaration


# One list feeds /help and the command menus Telegram shows (set_my_commands), in this order.
COMMAND_HELP: tuple[CommandHelp, ...] = (
    CommandHelp("start", N_("Register or show the main menu")),
    CommandHelp("help", N_("What you can do here")),
    CommandHelp("shifts", N_("Find a shift")),
    CommandHelp("myshifts", N_("Your shifts")),
    CommandHelp("log", N_("Log hours you gave")),
    CommandHelp("balance", N_("Your time credits")),
    CommandHelp("spend", N_("Spend time credits")),
    CommandHelp("vouchers", N_("Your vouchers")),
    CommandHelp("give", N_("Give credits to a member or group")),
    CommandHelp("statement", N_("All your movements as a spreadsheet")),
    CommandHelp("approvals", N_("Hours waiting for your approval"), Role.COORDINATOR),
    CommandHelp("newshift", N_("Create a shift"), Role.COORDINATOR),
    CommandHelp("people", N_("Members without Telegram: log hours and spend for them"), Role.COORDINATOR),
    CommandHelp("groupcredit", N_("Credit everyone at an activity at once"), Role.COORDINATOR),
    CommandHelp("rota", N_("Your organisations' shifts and who is on them"), Role.COORDINATOR),
    CommandHelp("dbs", N_("Record a DBS check: /dbs MEMBER_NUMBER DATE"), Role.COORDINATOR),
    CommandHelp("broadcast", N_("Send a message to your volunteers"), Role.COORDINATOR),
    CommandHelp("broadcasts", N_("Your broadcasts and how they went"), Role.COORDINATOR),
    CommandHelp("activities", N_("Activity settings"), Role.STAFF),
    CommandHelp("offers", N_("What members can spend credits on: add, edit, pause"), Role.STAFF),
    CommandHelp("summary", N_("Weekly summary: figures, spreadsheet, chart"), Role.STAFF),
    CommandHelp("redeem", N_("Accept a voucher: /redeem CODE"), Role.PARTNER),
    CommandHelp("settings", N_("Reminders, quiet hours, broadcasts, what you hear about")),
    CommandHelp("me", N_("Your profile")),
    CommandHelp("language", N_("Choose Cymraeg or English")),
    CommandHelp("export", N_("Download all your data")),
    CommandHelp("forget", N_("Erase your personal data")),
    CommandHelp("cancel", N_("Stop what you are doing")),
    CommandHelp("grant", N_("Give a member a role"), Role.ADMIN),
    CommandHelp("revoke", N_("Take a role away"), Role.ADMIN),
)


def _visible(item: CommandHelp, member: MemberView | None) -> bool:
    return item.role is None or (member is not None and member.has_role(item.role))


def commands_for(t: Translator, member: MemberView | None) -> list[BotCommand]:
    """The command menu Telegram shows: a member's own roles' commands, in their language."""
    return [BotCommand(item.command, t.plain(item.description)) for item in COMMAND_HELP if _visible(item, member)]


def help_lines(t: Translator, member: MemberView | None) -> list[str]:
    return [f"/{item.command} – {t.gettext(item.description)}" for item in COMMAND_HELP if _visible(item, member)]


# What this process last set as each chat's menu, and when: /help refreshes the menu on
# every call (a role granted by another process shows up there), and without this each
# /help made a second Telegram request before its answer. Trusted for MENU_KEPT_S, so a
# menu another replica set differently is put right within that time.
MENU_KEPT_S = 3600.0
MENUS_KEPT = 10_000
SHOWN_KEY = "command_menus"


async def refresh_command_menu(context: CallbackContext[Any, Any, Any, Any], chat_id: int, member: MemberView,
                               t: Translator) -> None:
    """Per chat, so a Welsh speaker whose phone is in English still sees Welsh, and a
    coordinator sees the coordinators' commands. Sent only when it differs from what
    this process last set for the chat (see MENU_KEPT_S)."""
    commands = commands_for(t, member)
    wanted = tuple((command.command, command.description) for command in commands)
    shown: dict[int, tuple[float, tuple[tuple[str, str], ...]]] = context.bot_data.setdefault(SHOWN_KEY, {})
    now = time.monotonic()
    last = shown.get(chat_id)
    if last is not None and last[1] == wanted and now - last[0] < MENU_KEPT_S:
        return
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:  # the menu is a convenience: never fail the member's action for it
        log.info("could not set the command menu for chat %s: %s", chat_id, error)
        return
    shown.pop(chat_id, None)
    shown[chat_id] = (now, wanted)  # newest last: the oldest go first when there are too many
    while len(shown) > MENUS_KEPT:
        del shown[next(iter(shown))]
