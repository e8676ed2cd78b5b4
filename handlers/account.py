"""A member's own account: help, menu, language, profile, export, erasure, cancel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from bot.db.models import Role
from bot.i18n import N_
from handlers.base import MemberTurn, Turn
from handlers.callback_data import CallbackData
from handlers.command_menu import help_lines, refresh_command_menu
from handlers.menu import send_main_menu
from handlers.registration import FLOW as REGISTER_FLOW, RegistrationLanguage
from handlers.routing import Router
from handlers.widgets import ask_neighbourhood, button, keyboard, language_keyboard
from handlers.wording import role_label

FORGET_FLOW = "forget"

router = Router("account")
router.menu_item(80, N_("❓ Help"), "help")


@dataclass(frozen=True)
class ChooseLanguage(CallbackData, prefix="lang"):
    language: Literal["cy", "en"]


@dataclass(frozen=True)
class ProfileAction(CallbackData, prefix="me"):
    action: Literal["language", "neighbourhood"]


@dataclass(frozen=True)
class MyNeighbourhood(CallbackData, prefix="me-hood"):
    neighbourhood_id: int  # 0: somewhere else / not given


@dataclass(frozen=True)
class Forget(CallbackData, prefix="forget"):
    confirmed: Literal["yes", "no"]


@router.command("help", member=False)
async def show_help(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if turn.member is None:
        await turn.reply(_.gettext("This bot runs the neighbourhood timebank: give an hour, earn a time "
                                   "credit. Send /start to register."))
        return
    lines = help_lines(turn.t, turn.member)
    await send_main_menu(turn, _.gettext("<b>What you can do</b>") + "\n" + "\n".join(lines)
                         + "\n\n" + _.gettext("Or use the buttons below."))
    # After the answer: the member waits for the help, not for their menu.
    await refresh_command_menu(turn.context, turn.chat_id, turn.member, turn.t)


@router.command("menu")
async def show_menu(turn: MemberTurn, args: list[str]) -> None:
    await send_main_menu(turn, turn.t.gettext("Main menu"))


@router.command("cancel", member=False)
async def cancel(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    had_dialogue = await turn.services.dialogues.clear(turn.chat_id)
    turn.forget_dialogue()
    text = _.gettext("Cancelled.") if had_dialogue else _.gettext("There was nothing to cancel.")
    if turn.member is not None:
        await send_main_menu(turn, text)
    else:
        await turn.reply(text)


@router.command("language", member=False)
async def choose_language(turn: Turn, args: list[str]) -> None:
    if turn.member is None and turn.dialogue is not None and turn.dialogue.flow == REGISTER_FLOW:
        # Mid-registration: the language step's own buttons do this.
        await turn.reply(turn.t.gettext("Which language would you like to use?"),
                         language_keyboard(turn.language, RegistrationLanguage))
        await turn.set_dialogue(REGISTER_FLOW, "language", **turn.dialogue.data)
        return
    if turn.member is None:
        await turn.reply(turn.t.gettext("Send /start to register first."))
        return
    await turn.reply(turn.t.gettext("Which language would you like to use?"),
                     language_keyboard(turn.language, ChooseLanguage))


@router.callback(ChooseLanguage)
async def chose_language(turn: MemberTurn, data: ChooseLanguage) -> None:
    await turn.services.members.set_language(turn.member.id, data.language)
    turn.speak(data.language)
    member = await turn.services.members.by_id(turn.member.id)
    if member is not None:
        turn.member = member
    await turn.answer()
    await refresh_command_menu(turn.context, turn.chat_id, turn.member, turn.t)
    await send_main_menu(turn, turn.t.gettext("I'll speak English with you from now on."))


@router.command("me")
async def profile(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    member = turn.member
    names = await turn.services.reference.names()
    hood = names.neighbourhoods.get(member.neighbourhood_id) if member.neighbourhood_id else None
    lines = [
        _.gettext("<b>{name}</b>", name=member.display_name),
        _.gettext("Language: {language}", language="Cymraeg" if member.language == "cy" else "English"),
        _.gettext("Neighbourhood: {neighbourhood}",
                  neighbourhood=hood.name(turn.language) if hood else _.gettext("not given")),
        _.gettext("Member number: {number}", number=member.id),
        _.gettext("Member since {date}", date=_.date(_.local_date(member.registered_at), "d MMMM y")),
    ]
    for role, organisation_id in sorted(member.grants, key=lambda grant: (grant[0].value, grant[1] or 0)):
        where = names.organisations.get(organisation_id) if organisation_id is not None else None
        lines.append(_.gettext("Role: {role} ({organisation})", role=role_label(_, role),
                               organisation=where.name(turn.language)) if where
                     else _.gettext("Role: {role}", role=role_label(_, role)))
    if member.is_admin and not any(role is Role.ADMIN for role, _org in member.grants):
        lines.append(_.gettext("Role: {role}", role=role_label(_, Role.ADMIN)))
    await turn.reply("\n".join(lines), keyboard(
        [button(_.gettext("Change language"), ProfileAction("language")),
         button(_.gettext("Change neighbourhood"), ProfileAction("neighbourhood"))]))


@router.callback(ProfileAction)
async def profile_action(turn: MemberTurn, data: ProfileAction) -> None:
    _ = turn.t
    await turn.answer()
    if data.action == "language":
        await turn.reply(_.gettext("Which language would you like to use?"),
                         language_keyboard(turn.language, ChooseLanguage))
    else:
        await ask_neighbourhood(turn, MyNeighbourhood, _.gettext("Which neighbourhood do you live in?"))


@router.callback(MyNeighbourhood)
async def chose_neighbourhood(turn: MemberTurn, data: MyNeighbourhood) -> None:
    await turn.services.members.set_neighbourhood(turn.member.id, data.neighbourhood_id or None)
    await turn.show(turn.t.gettext("Saved."))
@router.command("export")
async def export(turn: MemberTurn, args: list[str]) -> None:
    data = await turn.services.privacy.export(turn.member.id)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await turn.context.bot.send_document(
        turn.chat_id, document=body, filename=turn.t.plain("coprod-my-data.json"),
        caption=turn.t.gettext("Here is everything we hold about you."))


@router.command("forget")
async def forget(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    await turn.set_dialogue(FORGET_FLOW, "confirm")
    await turn.reply(
        _.gettext("This erases your name, your Telegram link, your roles, your DBS record and your "
                  "pending hours, and cancels your shift bookings. Hours already credited stay in the "
                  "scheme's totals without your name. You cannot undo this.\n\nErase your data?"),
        keyboard([button(_.gettext("Yes, erase my data"), Forget("yes")),
                  button(_.gettext("No, keep it"), Forget("no"))]))


# Declared for anyone: pressed again once the data is erased, the sender is no longer a
# member, and is told it was done.
@router.callback(Forget, member=False, flow=FORGET_FLOW, steps={"confirm"})
async def forget_confirmed(turn: Turn, data: Forget) -> None:
    _ = turn.t
    erased = _.gettext("Your data has been erased. Thank you for everything you gave. "
                       "Send /start if you ever want to join again.")
    if turn.state.done:  # erased already: a second press, whichever button
        await turn.show(erased)
        return
    if turn.member is None:
        await turn.answer()
        await turn.reply(_.gettext("Please register first: send /start."))
        return
    if data.confirmed != "yes":
        await turn.end_dialogue()
        await turn.show(_.gettext("Nothing was erased."))
        return
    # The erasure ends the dialogue in its own transaction, so a second press (or the
    # same press handled again) finds it done and erases nothing more.
    await turn.services.privacy.forget(turn.member.id, completion=turn.completion())
    await turn.show(erased)
