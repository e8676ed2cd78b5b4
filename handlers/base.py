"""What every handler shares: the Turn (one update, its member and their language).

Handlers turn an update into a service call and the result into a localised reply.
They hold no rules and write no SQL. What each handler needs before it runs is declared
in handlers/routing.py and checked by handlers/dispatcher.py.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, Update, User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import Markup, Translator, normalise_language, translator
from bot.services.container import Services
from bot.services.dialogue_completion import DialogueCompletion
from bot.services.dialogues import DialogueState
from bot.services.members import MemberView
from bot.tolerant_bot import TolerantBot

log = logging.getLogger(__name__)

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Services = context.application.bot_data["services"]
    return services


@dataclass(frozen=True)
class PendingDialogue:
    """A dialogue write decided by a handler and not yet committed: the next step, or
    None for the end of the dialogue, and the version it expects to find."""

    state: DialogueState | None
    expected_version: int | None


@dataclass
class Turn:
    """One update being handled: who sent it, in which language to answer.

    A handler's dialogue writes (`set_dialogue`, `end_dialogue`) are held until it has
    sent its answer, then committed by the dispatcher (`commit_dialogue`) in one
    transaction with marking the update handled in the inbox. So a process that dies
    before that commit handles the update again from the step it was at (the member may
    see the same question twice, never a step skipped); one that dies after it never
    handles the update again (a typed answer is never read as the answer to the next
    question); and a handler that fails leaves the dialogue where it was, so "try
    again" works.
    """

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
    # Handled before, in part, by a process that died before the end of it.
    redelivered: bool = field(default=False)
    pending: PendingDialogue | None = field(default=None)
    _committed: DialogueState | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._committed = self.dialogue  # the dialogue as the database has it

    @property
    def query(self) -> CallbackQuery | None:
        return self.update.callback_query

    @property
    def state(self) -> DialogueState:
        """The dialogue, for a handler the dispatcher runs only inside one (a step, or a
        button declared with its flow)."""
        if self.dialogue is None:
            raise RuntimeError("no dialogue: declare the flow on this handler")
        return self.dialogue

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
        if isinstance(message, Message) and message.text is not None:
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

    async def refuse(self, text: str) -> None:
        """Say why not: as an alert over the pressed button (the message under it stays as
        it was), or as a message after what was typed."""
        if self.query is not None:
            await self.answer(text, alert=True)
        else:
            await self.reply(text)

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Every callback query is answered exactly once, or the member's button spins."""
        if self.query is None or self.answered:
            return
        self.answered = True
        if isinstance(text, Markup):  # an alert is plain text: "<Ceri>", not "&lt;Ceri&gt;"
            text = text.unescape()
        try:
            await self.query.answer(text=text, show_alert=alert)
        except BadRequest as error:  # too old: pressed long ago, or handled late after a restart
            log.info("callback answer refused: %s", error)
            if text:  # what the press was answered with still reaches the member, as a message
                await self.reply(html.escape(text))

    def become_member(self, member: MemberView) -> MemberTurn:
        """The same turn, now of a member (who has just registered). The object itself
        changes class, so what was already answered stays answered."""
        self.member = member
        self.__class__ = MemberTurn
        assert isinstance(self, MemberTurn)
        return self

    async def set_dialogue(self, flow: str, step: str, **data: Any) -> None:
        """The dialogue's next step, committed once the handler has answered. Carrying on
        the dialogue this update found, the write expects the version it read
        (DialogueMoved if another update moved it first); a new dialogue replaces
        whatever was there."""
        base = self._committed
        expected = base.version if base is not None and base.flow == flow and not base.done else None
        self.dialogue = DialogueState(flow, step, data, base.version if base is not None else 0)
        self.pending = PendingDialogue(self.dialogue, expected)

    async def end_dialogue(self) -> None:
        base, self.dialogue = self._committed, None
        self.pending = PendingDialogue(None, base.version if base is not None and not base.done else None)

    def forget_dialogue(self) -> None:
        """The dialogue was ended outside this turn's writes (/cancel clears whatever is there)."""
        self.dialogue = self._committed = None
        self.pending = None

    async def commit_dialogue(self, *, handled: bool = True) -> None:
        """Commits the handler's dialogue write, if it made one, and (with `handled`) marks
        the update handled in the same transaction."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        handled_update = self.update.update_id if handled else None
        dialogues = self.services.dialogues
        if pending.state is None:
            await dialogues.clear(self.chat_id, expected_version=pending.expected_version,
                                  handled_update=handled_update)
            self._committed = None
        else:
            self._committed = await dialogues.set(self.chat_id, pending.state,
                                                  expected_version=pending.expected_version,
                                                  handled_update=handled_update)
            self.dialogue = self._committed

    def completion(self) -> DialogueCompletion:
        """For a service whose call ends this dialogue: it ends it in its own
        transaction, or answers with what it did if it already has (a second press)."""
        if self.dialogue is None:
            raise RuntimeError("no dialogue to complete")
        if self.pending is not None:
            # The completion expects the version in the database: commit the step first
            # (`commit_dialogue(handled=False)`; the update is not over yet).
            raise RuntimeError("a step written in this turn must be committed before it is completed")
        return DialogueCompletion(self.chat_id, self.dialogue.flow, self.dialogue.version)


@dataclass
class MemberTurn(Turn):
    """A turn of a registered member: what handlers declared with a member get."""

    member: MemberView


async def build_turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn | None:
    """The turn for an update; a MemberTurn when the sender is a member (loaded from the
    database now, with their roles, so every check sees this moment's grants)."""
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
    t = translator(language, config.tz)
    redelivered = isinstance(context.bot, TolerantBot) and context.bot.is_redelivered(update.update_id)
    if member is None:
        return Turn(update=update, context=context, services=services, user=user, chat_id=chat.id,
                    member=None, t=t, dialogue=dialogue, redelivered=redelivered)
    return MemberTurn(update=update, context=context, services=services, user=user, chat_id=chat.id,
                      member=member, t=t, dialogue=dialogue, redelivered=redelivered)


