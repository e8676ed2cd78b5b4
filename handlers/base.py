"""What every handler shares: the Turn (one update, its member and their language),
and the three registries (commands, button callbacks, dialogue steps) that
handlers/__init__.py wires into the Application in one place.

Handlers turn an update into a service call and the result into a localised reply.
They hold no rules and write no SQL.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, Update, User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import Translator, normalise_language, translator
from bot.services.container import Services
from bot.services.dialogues import DialogueState
from bot.services.members import MemberView

log = logging.getLogger(__name__)

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


@dataclass
class Turn:
    """One update being handled: who sent it, in which language to answer."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    services: Services
    user: User
    chat_id: int
    member: MemberView | None
    t: Translator
    dialogue: DialogueState | None
    answered: bool = field(default=False)
    # Cleared once the pressed message has been replaced with an answer that should stay.
    edit_in_place: bool = field(default=True)

    @property
    def query(self):  # noqa: ANN201 - telegram.CallbackQuery | None
        return self.update.callback_query

    @property
    def language(self) -> str:
        return self.t.language

    def speak(self, language: str) -> None:
        """Answer in another language from now on (the member just chose it)."""
        self.t = translator(language, self.services.config.tz)

    async def reply(self, text: str, keyboard: Keyboard = None) -> Message:
        return await self.context.bot.send_message(self.chat_id, text, reply_markup=keyboard)

    async def show(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """Replace the pressed message when answering a button (keeps the chat tidy),
        otherwise send a new message."""
        message = self.query.message if self.query and self.edit_in_place else None
        if message is not None and getattr(message, "text", None) is not None:
            # Compared unescaped: python-telegram-bot escapes quotes we leave as they are.
            if html.unescape(message.text_html) == html.unescape(text) and message.reply_markup == keyboard:
                return  # a second tap on the same button: the message already says this
            try:
                await message.edit_text(text, reply_markup=keyboard)
                return
            except BadRequest as error:
                if "not modified" in str(error).lower():
                    return
                log.info("could not edit message, sending a new one: %s", error)
        await self.reply(text, keyboard if keyboard is not None else None)

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Every callback query is answered exactly once, or the member's button spins."""
        if self.query is None or self.answered:
            return
        self.answered = True
        try:
            await self.query.answer(text=text, show_alert=alert)
        except BadRequest as error:  # too old: the member pressed it long ago
            log.info("callback answer refused: %s", error)

    async def set_dialogue(self, flow: str, step: str, **data: Any) -> None:
        self.dialogue = DialogueState(flow, step, data)
        await self.services.dialogues.set(self.chat_id, self.dialogue)

    async def end_dialogue(self) -> None:
        self.dialogue = None
        await self.services.dialogues.clear(self.chat_id)


async def build_turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    services = services_of(context)
    member = await services.members.by_telegram_id(user.id)
    dialogue = await services.dialogues.get(chat.id)
    config = services.config
    if member is not None:
        language = member.language
    elif dialogue is not None and dialogue.data.get("language"):
        language = dialogue.data["language"]
    else:
        language = normalise_language(user.language_code, config.scheme.default_language)
    return Turn(update=update, context=context, services=services, user=user, chat_id=chat.id,
                member=member, t=translator(language, config.tz), dialogue=dialogue)


TurnHandler = Callable[[Turn, list[str]], Awaitable[None]]
StepHandler = Callable[[Turn, str], Awaitable[None]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    function: TurnHandler
    needs_member: bool


COMMANDS: dict[str, CommandSpec] = {}
CALLBACKS: dict[str, tuple[TurnHandler, bool]] = {}
STEPS: dict[tuple[str, str], StepHandler] = {}
# Main-menu labels (msgids) -> the command they run; matched in either language.
MENU_ACTIONS: dict[str, str] = {}


def command(name: str, *, needs_member: bool = True) -> Callable[[TurnHandler], TurnHandler]:
    def register(function: TurnHandler) -> TurnHandler:
        COMMANDS[name] = CommandSpec(name, function, needs_member)
        return function
    return register


def callback(prefix: str, *, needs_member: bool = True) -> Callable[[TurnHandler], TurnHandler]:
    """Buttons send "prefix:arg:arg". The args are hints from the client: handlers pass
    them to services, which check every one against the database."""
    def register(function: TurnHandler) -> TurnHandler:
        CALLBACKS[prefix] = (function, needs_member)
        return function
    return register


def step(flow: str, name: str) -> Callable[[StepHandler], StepHandler]:
    def register(function: StepHandler) -> StepHandler:
        STEPS[(flow, name)] = function
        return function
    return register


def data(*parts: object) -> str:
    value = ":".join(str(part) for part in parts)
    if len(value.encode()) > 64:
        raise ValueError(f"callback_data over Telegram's 64 bytes: {value!r}")
    return value


def button(label: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(*parts))


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


def number(text: str | None) -> int | None:
    """A whole number typed or carried in a button: ASCII digits only, at most nine, so
    "²", "٣" or twenty digits are refused here rather than failing in int() or the database."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > 9 or not text.isascii() or not text.isdigit():
        return None
    return int(text)


PAGE_SIZE = 8


def paged(items: list, page: int, *parts: object) -> tuple[list, list[InlineKeyboardButton]]:  # noqa: ANN001
    """One page of a long list, and ◀ ▶ buttons that carry `parts` plus the page number,
    so no keyboard passes Telegram's 100 buttons however many items there are."""
    pages = max((len(items) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 0), pages - 1)
    navigation = []
    if page > 0:
        navigation.append(button("◀", *parts, page - 1))
    if page < pages - 1:
        navigation.append(button("▶", *parts, page + 1))
    return items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], navigation
