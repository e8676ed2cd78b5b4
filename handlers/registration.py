"""/start: registering a resident, in the language they choose.

Steps: language (Cymraeg and English side by side) -> privacy notice and consent ->
display name -> neighbourhood. Nothing is stored as a member until the last step; the
choices so far wait in the dialogue row, so a restart mid-way loses nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup

from bot.i18n import LANGUAGES, N_, Msgid, translator
from bot.services import reference
from bot.services.members import NameProblem, check_display_name
from handlers.base import Turn, button, callback, command, keyboard, number, step
from handlers.menu import send_main_menu

FLOW = "register"
# Marked here so the extractor sees it: bilingual() translates it into both languages.
WELCOME = N_("Welcome to the timebank! Which language would you like to use?")

# Deep-link payloads (t.me/<bot>?start=<payload>): prefix -> what opens. Other handler
# modules add theirs (e.g. "shift" opens a shift card).
DeepLink = Callable[[Turn, str], Awaitable[None]]
DEEP_LINKS: dict[str, DeepLink] = {}


def deep_link(prefix: str) -> Callable[[DeepLink], DeepLink]:
    def register(function: DeepLink) -> DeepLink:
        DEEP_LINKS[prefix] = function
        return function
    return register


async def open_deep_link(turn: Turn, payload: str | None) -> bool:
    if not payload:
        return False
    prefix, _, argument = payload.partition("_")
    target = DEEP_LINKS.get(prefix)
    if target is None:
        return False
    await target(turn, argument)
    return True


def language_keyboard(suggested: str, prefix: str) -> InlineKeyboardMarkup:
    labels = {"cy": "Cymraeg", "en": "English"}  # each language's own name, never translated
    return keyboard([button(("✅ " if code == suggested else "") + labels[code], prefix, code)
                     for code in LANGUAGES])


def bilingual(turn: Turn, message: Msgid) -> str:
    """The same message in Welsh and English, Welsh first, for those who have not chosen yet."""
    tz = turn.services.config.tz
    return "\n\n".join(translator(code, tz).gettext(message) for code in LANGUAGES)


@command("start", needs_member=False)
async def start(turn: Turn, args: list[str]) -> None:
    payload = args[0] if args else None
    if turn.member is not None:
        await turn.end_dialogue()
        if not await open_deep_link(turn, payload):
            await send_main_menu(turn, turn.t.gettext("Welcome back, {name}!", name=turn.member.display_name))
        return
    await turn.set_dialogue(FLOW, "language", payload=payload, language=turn.language)
    await turn.reply(bilingual(turn, WELCOME),
                     language_keyboard(turn.language, "reg-lang"))


@callback("reg-lang", needs_member=False)
async def chose_language(turn: Turn, args: list[str]) -> None:
    if not _in_step(turn, "language") or not args or args[0] not in LANGUAGES:
        await _stale(turn)
        return
    language = args[0]
    turn.speak(language)
    await turn.set_dialogue(FLOW, "consent", **{**turn.dialogue.data, "language": language})
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
        keyboard([button(_.gettext("I agree"), "reg-consent", "yes"),
                  button(_.gettext("No thanks"), "reg-consent", "no")]))


@callback("reg-consent", needs_member=False)
async def consented(turn: Turn, args: list[str]) -> None:
    if not _in_step(turn, "consent"):
        await _stale(turn)
        return
    _ = turn.t
    if args != ["yes"]:
        await turn.end_dialogue()
        await turn.show(_.gettext("No problem: we have not stored anything about you. "
                                  "If you change your mind, send /start."))
        return
    await turn.set_dialogue(FLOW, "name", **turn.dialogue.data)
    suggestion = check_display_name(turn.user.first_name or "")
    buttons = keyboard([button(_.plain("Use “{name}”", name=suggestion), "reg-name")]
                       if isinstance(suggestion, str) and len(suggestion) <= 30 else [])
    await turn.show(_.gettext("Thank you. What should we call you? Type your name."), buttons)


@callback("reg-name", needs_member=False)
async def use_telegram_name(turn: Turn, args: list[str]) -> None:
    if not _in_step(turn, "name"):
        await _stale(turn)
        return
    await _take_name(turn, turn.user.first_name or "")


@step(FLOW, "name")
async def typed_name(turn: Turn, text: str) -> None:
    await _take_name(turn, text)


async def _take_name(turn: Turn, raw: str) -> None:
    _ = turn.t
    name = check_display_name(raw)
    if name is NameProblem.EMPTY or name is NameProblem.NOT_TEXT:
        await turn.reply(_.gettext("Please type the name you would like us to use, in plain letters."))
        return
    if name is NameProblem.TOO_LONG:
        await turn.reply(_.gettext("That name is a little long: please use 64 characters or fewer."))
        return
    await turn.set_dialogue(FLOW, "neighbourhood", **{**turn.dialogue.data, "name": name})
    await ask_neighbourhood(turn, "reg-hood",
                            _.gettext("Thanks, {name}. Which neighbourhood do you live in?", name=name))


async def ask_neighbourhood(turn: Turn, prefix: str, question: str) -> None:
    _ = turn.t
    rows = [[button(item.name(turn.language), prefix, item.id)]
            for item in await reference.neighbourhoods(turn.services.db)]
    rows.append([button(_.gettext("Somewhere else / prefer not to say"), prefix, "none")])
    await turn.show(question, keyboard(*rows))


@callback("reg-hood", needs_member=False)
async def chose_neighbourhood(turn: Turn, args: list[str]) -> None:
    if not _in_step(turn, "neighbourhood") or not args:
        await _stale(turn)
        return
    neighbourhood_id = number(args[0]) if number(args[0]) is not None else None
    data = turn.dialogue.data
    member = await turn.services.members.register(
        turn.user.id, language=data["language"], display_name=data["name"], neighbourhood_id=neighbourhood_id)
    await turn.end_dialogue()
    turn.member = member
    _ = turn.t
    await turn.show(_.gettext("You're registered, {name}! Welcome to the timebank.", name=member.display_name))
    turn.edit_in_place = False  # what follows comes as new messages below the welcome
    from handlers.account import refresh_command_menu  # account imports this module

    await refresh_command_menu(turn.context.bot, turn.chat_id, member, turn.t)
    if not await open_deep_link(turn, data.get("payload")):
        await send_main_menu(turn, _.gettext("Here is what you can do. Every hour you give earns one time "
                                             "credit to spend at leisure centres, pools and community "
                                             "activities."))


def _in_step(turn: Turn, name: str) -> bool:
    return turn.dialogue is not None and turn.dialogue.flow == FLOW and turn.dialogue.step == name


async def _stale(turn: Turn) -> None:
    await turn.answer(turn.t.gettext("That button has expired. Send /start to begin again."), alert=True)
