"""A member's own account: help, menu, language, profile, export, erasure, cancel."""

from __future__ import annotations

import json
from dataclasses import dataclass

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.db.models import Role
from bot.i18n import LANGUAGES, N_, Msgid, Translator
from bot.services.members import MemberView
from bot.services import reference
from handlers.base import Turn, button, callback, command, keyboard, number
from handlers.menu import menu_item, send_main_menu
from handlers.registration import ask_neighbourhood, language_keyboard


@dataclass(frozen=True)
class CommandHelp:
    command: str
    description: Msgid
    role: Role | None = None  # None: every member


# One list feeds /help and the command menus Telegram shows (set_my_commands).
COMMAND_HELP: list[CommandHelp] = [
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
    CommandHelp("dbs", N_("Record a DBS check: /dbs MEMBER_NUMBER DATE"), Role.COORDINATOR),
    CommandHelp("activities", N_("Activity settings"), Role.STAFF),
    CommandHelp("redeem", N_("Accept a voucher: /redeem CODE"), Role.PARTNER),
    CommandHelp("me", N_("Your profile")),
    CommandHelp("language", N_("Choose Cymraeg or English")),
    CommandHelp("export", N_("Download all your data")),
    CommandHelp("forget", N_("Erase your personal data")),
    CommandHelp("cancel", N_("Stop what you are doing")),
    CommandHelp("grant", N_("Give a member a role"), Role.ADMIN),
    CommandHelp("revoke", N_("Take a role away"), Role.ADMIN),
]

log = logging.getLogger(__name__)

menu_item(80, N_("❓ Help"), "help")
menu_item(90, N_("⚙️ Settings"), "me")


def commands_for(t: Translator, member: MemberView | None) -> list[BotCommand]:
    """The command menu Telegram shows: a member's own roles' commands, in their language."""
    return [BotCommand(item.command, t.plain(item.description)) for item in COMMAND_HELP
            if item.role is None or (member is not None and member.has_role(item.role))]


async def refresh_command_menu(bot: Bot, chat_id: int, member: MemberView, t: Translator) -> None:
    """Per chat, so a Welsh speaker whose phone is in English still sees Welsh, and a
    coordinator sees the coordinators' commands."""
    try:
        await bot.set_my_commands(commands_for(t, member), scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:  # the menu is a convenience: never fail the member's action for it
        log.info("could not set the command menu for chat %s: %s", chat_id, error)


def help_lines(turn: Turn) -> list[str]:
    member = turn.member
    return [f"/{item.command} – {turn.t.gettext(item.description)}" for item in COMMAND_HELP
            if item.role is None or (member is not None and member.has_role(item.role))]


@command("help", needs_member=False)
async def show_help(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if turn.member is None:
        await turn.reply(_.gettext("This bot runs the neighbourhood timebank: give an hour, earn a time "
                                   "credit. Send /start to register."))
        return
    await refresh_command_menu(turn.context.bot, turn.chat_id, turn.member, turn.t)
    lines = help_lines(turn)
    await send_main_menu(turn, _.gettext("<b>What you can do</b>") + "\n" + "\n".join(lines)
                         + "\n\n" + _.gettext("Or use the buttons below."))


@command("menu")
async def show_menu(turn: Turn, args: list[str]) -> None:
    await send_main_menu(turn, turn.t.gettext("Main menu"))


@command("cancel", needs_member=False)
async def cancel(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    had_dialogue = await turn.services.dialogues.clear(turn.chat_id)
    turn.dialogue = None
    text = _.gettext("Cancelled.") if had_dialogue else _.gettext("There was nothing to cancel.")
    if turn.member is not None:
        await send_main_menu(turn, text)
    else:
        await turn.reply(text)


@command("language", needs_member=False)
async def choose_language(turn: Turn, args: list[str]) -> None:
    if turn.member is None and turn.dialogue is not None and turn.dialogue.flow == "register":
        # Mid-registration: the language step's own buttons do this.
        await turn.reply(turn.t.gettext("Which language would you like to use?"),
                         language_keyboard(turn.language, "reg-lang"))
        await turn.set_dialogue("register", "language", **turn.dialogue.data)
        return
    if turn.member is None:
        await turn.reply(turn.t.gettext("Send /start to register first."))
        return
    await turn.reply(turn.t.gettext("Which language would you like to use?"),
                     language_keyboard(turn.language, "lang"))


@callback("lang")
async def chose_language(turn: Turn, args: list[str]) -> None:
    if not args or args[0] not in LANGUAGES:
        await turn.answer(turn.t.gettext("That button has expired."), alert=True)
        return
    await turn.services.members.set_language(turn.member.id, args[0])
    turn.speak(args[0])
    turn.member = await turn.services.members.by_id(turn.member.id)
    await turn.answer()
    await refresh_command_menu(turn.context.bot, turn.chat_id, turn.member, turn.t)
    await send_main_menu(turn, turn.t.gettext("I'll speak English with you from now on."))


@command("me")
async def profile(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    member = turn.member
    hoods = {item.id: item for item in await reference.neighbourhoods(turn.services.db)}
    organisations = {item.id: item for item in await reference.organisations(turn.services.db)}
    hood = hoods.get(member.neighbourhood_id) if member.neighbourhood_id else None
    lines = [
        _.gettext("<b>{name}</b>", name=member.display_name),
        _.gettext("Language: {language}", language="Cymraeg" if member.language == "cy" else "English"),
        _.gettext("Neighbourhood: {neighbourhood}",
                  neighbourhood=hood.name(turn.language) if hood else _.gettext("not given")),
        _.gettext("Member number: {number}", number=member.id),
        _.gettext("Member since {date}", date=_.date(_.local_date(member.registered_at), "d MMMM y")),
    ]
    role_names = {Role.COORDINATOR: _.gettext("coordinator"), Role.STAFF: _.gettext("staff"),
                  Role.PARTNER: _.gettext("partner"), Role.ADMIN: _.gettext("admin")}
    for role, organisation_id in sorted(member.grants, key=lambda grant: (grant[0].value, grant[1] or 0)):
        where = organisations.get(organisation_id)
        lines.append(_.gettext("Role: {role} ({organisation})", role=role_names[role],
                               organisation=where.name(turn.language)) if where
                     else _.gettext("Role: {role}", role=role_names[role]))
    if member.is_admin and not any(role is Role.ADMIN for role, _org in member.grants):
        lines.append(_.gettext("Role: {role}", role=role_names[Role.ADMIN]))
    await turn.reply("\n".join(lines), keyboard(
        [button(_.gettext("Change language"), "me", "language"),
         button(_.gettext("Change neighbourhood"), "me", "neighbourhood")]))


@callback("me")
async def profile_action(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if args == ["language"]:
        await turn.answer()
        await turn.reply(_.gettext("Which language would you like to use?"), language_keyboard(turn.language, "lang"))
    elif args == ["neighbourhood"]:
        await turn.answer()
        await ask_neighbourhood(turn, "me-hood", _.gettext("Which neighbourhood do you live in?"))
    else:
        await turn.answer(_.gettext("That button has expired."), alert=True)


@callback("me-hood")
async def chose_neighbourhood(turn: Turn, args: list[str]) -> None:
    neighbourhood_id = number(args[0]) if args and number(args[0]) is not None else None
    await turn.services.members.set_neighbourhood(turn.member.id, neighbourhood_id)
    await turn.show(turn.t.gettext("Saved."))


@command("export")
async def export(turn: Turn, args: list[str]) -> None:
    data = await turn.services.privacy.export(turn.member.id)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await turn.context.bot.send_document(
        turn.chat_id, document=body, filename=turn.t.plain("coprod-my-data.json"),
        caption=turn.t.gettext("Here is everything we hold about you."))


@command("forget")
async def forget(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    await turn.reply(
        _.gettext("This erases your name, your Telegram link, your roles, your DBS record and your "
                  "pending hours, and cancels your shift bookings. Hours already credited stay in the "
                  "scheme's totals without your name. You cannot undo this.\n\nErase your data?"),
        keyboard([button(_.gettext("Yes, erase my data"), "forget", "yes"),
                  button(_.gettext("No, keep it"), "forget", "no")]))


@callback("forget")
async def forget_confirmed(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if args != ["yes"]:
        await turn.show(_.gettext("Nothing was erased."))
        return
    await turn.services.privacy.forget(turn.member.id)
    await turn.end_dialogue()
    await turn.show(_.gettext("Your data has been erased. Thank you for everything you gave. "
                              "Send /start if you ever want to join again."))
