"""/start: registering a resident, in the language they choose.

Steps: language (Cymraeg and English side by side) -> privacy notice and consent ->
display name -> neighbourhood. Nothing is stored as a member until the last step; the
choices so far wait in the dialogue row, so a restart mid-way loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n import LANGUAGES, N_, Msgid, translator
from bot.services.members import NameProblem, check_display_name
from handlers.base import Turn
from handlers.callback_data import CallbackData
from handlers.command_menu import refresh_command_menu
from handlers.menu import send_main_menu
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router, registry_of
from handlers.widgets import ask_neighbourhood, button, keyboard, language_keyboard
from handlers.wording import name_too_long

FLOW = "register"
# Marked here so the extractor sees it: bilingual() translates it into both languages.
WELCOME = N_("Welcome to the timebank! Which language would you like to use?")

router = Router("registration", expired=N_("That button has expired. Send /start to begin again."))


@dataclass(frozen=True)
class RegistrationLanguage(CallbackData, prefix="reg-lang"):
    language: Literal["cy", "en"]


@dataclass(frozen=True)
class Consent(CallbackData, prefix="reg-consent"):
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class UseTelegramName(CallbackData, prefix="reg-name"):
    pass


@dataclass(frozen=True)
class RegistrationNeighbourhood(CallbackData, prefix="reg-hood"):
    neighbourhood_id: int  # 0: somewhere else / prefer not to say


async def open_deep_link(turn: Turn, payload: str | None) -> bool:
    """t.me/<bot>?start=<prefix>_<argument>: the handler a router declared for the prefix."""
    if not payload:
        return False
    prefix, _, argument = payload.partition("_")
    target = registry_of(turn).deep_links.get(prefix)
    if target is None:
        return False
    await target(turn, argument)
    return True


def bilingual(turn: Turn, message: Msgid) -> str:
    """The same message in Welsh and English, Welsh first, for those who have not chosen yet."""
    tz = turn.services.config.tz
    return "\n\n".join(translator(code, tz).gettext(message) for code in LANGUAGES)


@router.command("start", member=False)
async def start(turn: Turn, args: list[str]) -> None:
    payload = args[0] if args else None
    if turn.member is not None:
        await turn.end_dialogue()
        if not await open_deep_link(turn, payload):
            await send_main_menu(turn, turn.t.gettext("Welcome back, {name}!", name=turn.member.display_name))
        return
    await turn.set_dialogue(FLOW, "language", payload=payload, language=turn.language)
    await turn.reply(bilingual(turn, WELCOME),
                     language_keyboard(turn.language, RegistrationLanguage))


@router.callback(RegistrationLanguage, member=False, flow=FLOW, steps={"language"})
async def chose_language(turn: Turn, data: RegistrationLanguage) -> None:
    turn.speak(data.language)
    await turn.set_dialogue(FLOW, "consent", **{**turn.state.data, "language": data.language})
    _ = turn.t
    await turn.show(
        _.gettext("<b>Your privacy</b>\n\n"
                  "To run the timebank we keep: your Telegram id, the name you give us, your language, "
                  "your neighbourhood, the shifts you sign up for, the hours you give and the credits "
                  "you earn and spend. Coordinators of the organisations you volunteer with can see "
                  "these. We use them only to run the scheme and to report totals to funders; no one "
                  "else sees your name.\n\n"
                  "You can download everything we hold with /export and erase it with /forget at any "
                  "time.\n\nDo you agree?"),
        keyboard([button(_.gettext("I agree"), Consent("yes")),
                  button(_.gettext("No thanks"), Consent("no"))]))


@router.callback(Consent, member=False, flow=FLOW, steps={"consent"})
async def consented(turn: Turn, data: Consent) -> None:
    _ = turn.t
    if data.answer != "yes":
        await turn.end_dialogue()
        await turn.show(_.gettext("No problem: we have not stored anything about you. "
                                  "If you change your mind, send /start."))
        return
    await turn.set_dialogue(FLOW, "name", **turn.state.data)
    suggestion = check_display_name(turn.user.first_name or "")
    buttons = keyboard([button(_.plain("Use “{name}”", name=suggestion), UseTelegramName())]
                       if isinstance(suggestion, str) and len(suggestion) <= 30 else [])
    await turn.show(_.gettext("Thank you. What should we call you? Type your name."), buttons)


@router.callback(UseTelegramName, member=False, flow=FLOW, steps={"name"})
async def use_telegram_name(turn: Turn, data: UseTelegramName) -> None:
    await _take_name(turn, turn.user.first_name or "")


@router.step(FLOW, "name", member=False)
async def typed_name(turn: Turn, text: str) -> None:
    await _take_name(turn, text)


PLAIN_NAME = Say(N_("Please type the name you would like us to use, in plain letters."))
NAME_PROBLEMS = RefusalTable(NameProblem, {
    NameProblem.EMPTY: PLAIN_NAME,
    NameProblem.NOT_TEXT: PLAIN_NAME,
    NameProblem.TOO_LONG: name_too_long,
})


async def _take_name(turn: Turn, raw: str) -> None:
    _ = turn.t
    name = check_display_name(raw)
    if isinstance(name, NameProblem):
        await turn.reply(NAME_PROBLEMS.say(_, name))
        return
    await turn.set_dialogue(FLOW, "neighbourhood", **{**turn.state.data, "name": name})
    await ask_neighbourhood(turn, RegistrationNeighbourhood,
                            _.gettext("Thanks, {name}. Which neighbourhood do you live in?", name=name))


@router.callback(RegistrationNeighbourhood, member=False, flow=FLOW, steps={"neighbourhood"})
async def chose_neighbourhood(turn: Turn, button_data: RegistrationNeighbourhood) -> None:
    data = turn.state.data
    member = await turn.services.members.register(
        turn.user.id, language=data["language"], display_name=data["name"],
        neighbourhood_id=button_data.neighbourhood_id or None)
    await turn.end_dialogue()
    turn.become_member(member)
    _ = turn.t
    await turn.show(_.gettext("You're registered, {name}! Welcome to the timebank.", name=member.display_name))
    turn.edit_in_place = False  # what follows comes as new messages below the welcome
    await refresh_command_menu(turn.context, turn.chat_id, member, turn.t)
    if not await open_deep_link(turn, data.get("payload")):
        await send_main_menu(turn, _.gettext("Here is what you can do. Every hour you give earns one time "
                                             "credit to spend at leisure centres, pools and community "
                                             "activities."))
