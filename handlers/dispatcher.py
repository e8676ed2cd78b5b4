"""The one dispatcher: every update goes from python-telegram-bot to a declared handler
through here, after the checks the handler declared (handlers/routing.py).

For a button, in this order: a known prefix and well-formed typed fields (else "That
button has expired.", never an internal error), a member where one is needed, the
dialogue's flow and step for a dialogue's button (else expired: a double tap or an old
message), then the roles (refused at once, nothing asked, nothing changed). Every
callback query is answered exactly once: by the handler, by a refusal here, or after
the handler returns.

Group 0 holds edited messages (answered, never read as answers), the commands, buttons,
dialogue text, then the catch-alls that make sure no message goes unanswered. Errors go
to one handler that answers in the member's language and never shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import ChatMember, Update
from telegram.error import Forbidden, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.delivery.lanes import retry_seconds
from bot.services.dialogues import DONE_PREFIX, DialogueMoved
from bot.tolerant_bot import TolerantBot
from handlers.base import Turn, build_turn, services_of
from handlers.menu import command_for_label, send_main_menu
from handlers.routing import CommandRoute, Needs, Pin, Registry

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE


def install(application: Application[Any, Any, Any, Any, Any, Any], registry: Registry) -> None:
    application.bot_data["registry"] = registry
    # First: python-telegram-bot hands edited messages to message and command handlers
    # too, where an edit would be read as a new answer (or, as before, get no answer).
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, on_edited_message))
    for route in registry.commands.values():
        application.add_handler(CommandHandler(route.name, _command_runner(route), filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(PRIVATE & filters.LOCATION, on_location))
    application.add_handler(MessageHandler(PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other_message))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, on_group_command))
    application.add_handler(ChatMemberHandler(on_blocked_or_unblocked, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)


async def _admitted(turn: Turn, needs: Needs) -> bool:
    """The member and role checks; on a refusal the member is told and nothing runs."""
    if needs.member and turn.member is None:
        await turn.answer()
        await turn.reply(turn.t.gettext("Please register first: send /start."))
        return False
    if not needs.allows(turn.member):
        await turn.refuse(needs.refusal_text(turn.t))
        return False
    return True


async def run_command(turn: Turn, route: CommandRoute, args: list[str]) -> None:
    if await _admitted(turn, route.needs):
        await route.handler(turn, args)
    # After the answer: the dialogue's next step commits with the update's end (Turn).
    await turn.commit_dialogue()
    # On an exception the error handler answers the button instead, with its apology.
    await turn.answer()


def _command_runner(route: CommandRoute) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = await build_turn(update, context)
        if turn is not None:
            await run_command(turn, route, list(context.args or []))
    return run


def _registry(context: ContextTypes.DEFAULT_TYPE) -> Registry:
    registry: Registry = context.application.bot_data["registry"]
    return registry


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None  # a CallbackQueryHandler's update
    turn = await build_turn(update, context)
    if turn is None:
        await query.answer()
        return
    route, data = _registry(context).callback_for(query.data or "")
    if route is None:
        await turn.answer(turn.t.gettext("That button has expired."), alert=True)
        return
    if data is None:
        await turn.answer(route.expired_text(turn.t), alert=True)
        return
    if route.needs.member and turn.member is None:
        await _admitted(turn, route.needs)
        return
    dialogue = turn.dialogue
    if not route.in_place(dialogue.flow if dialogue else None, dialogue.step if dialogue else None):
        await turn.answer(route.expired_text(turn.t), alert=True)
        return
    if await _admitted(turn, route.needs):
        await route.handler(turn, data)
        await turn.commit_dialogue()
        await turn.answer()


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    if turn is None or update.message is None:
        return
    registry = _registry(context)
    text = update.message.text or ""
    # A main-menu button wins over a half-finished dialogue: "💳 Balance" pressed while
    # the bot waits for a venue's name means the member moved on, not that the venue is
    # called "💳 Balance".
    chosen = command_for_label(turn, text) if turn.member is not None else None
    if chosen is not None:
        if turn.dialogue is not None:
            await turn.end_dialogue()
        await run_command(turn, registry.commands[chosen], [])
        return
    if turn.dialogue is not None:
        step = registry.steps.get((turn.dialogue.flow, turn.dialogue.step))
        if step is None and turn.dialogue.done and turn.redelivered:
            # This text was the last step's: the step acted and the process died before it
            # answered. The step's handler finds what was done and says it again.
            step = registry.steps.get((turn.dialogue.flow, turn.dialogue.step.removeprefix(DONE_PREFIX)))
        if step is not None:
            if await _admitted(turn, step.needs):
                await step.handler(turn, text)
                await turn.commit_dialogue()
            return
    if turn.member is not None:
        await send_main_menu(turn, turn.t.gettext(
            "I didn't quite catch that. Choose from the menu below, or send /help."))
        return
    if turn.dialogue is not None and turn.dialogue.flow == "register":
        await turn.reply(turn.t.gettext("Please use the buttons above to carry on, or send /start to begin again."))
        return
    await turn.reply(turn.t.gettext("Hello! I'm the timebank's bot. Send /start to register."))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    if turn is None:
        return
    text = turn.t.gettext("I don't know that command. Send /help to see what you can do.")
    if turn.member is not None:
        await send_main_menu(turn, text)
    else:
        await turn.reply(text)


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A location pin: to the dialogue step that declared it takes one, else the answer
    every other non-text message gets."""
    turn = await build_turn(update, context)
    if turn is None:
        return
    location = update.message.location if update.message else None
    step = (_registry(context).pins.get((turn.dialogue.flow, turn.dialogue.step))
            if turn.dialogue is not None else None)
    if step is not None and location is not None:
        if await _admitted(turn, step.needs):
            await step.handler(turn, Pin(location.latitude, location.longitude))
            await turn.commit_dialogue()
        return
    await _only_text(turn)


async def on_edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edit changes nothing already done: the member may think it did, so say so."""
    turn = await build_turn(update, context)
    if turn is not None:
        await turn.reply(turn.t.gettext("I only read new messages, not edits. "
                                        "Please send it again as a new message."))


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    if turn is not None:
        await _only_text(turn)


async def _only_text(turn: Turn) -> None:
    await turn.reply(turn.t.gettext("I can only read text messages and button presses. "
                                    "Send /help to see what you can do."))


async def on_group_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    if turn is not None:
        await turn.reply(turn.t.gettext("Please talk to me in a private chat: your details stay between us."))


async def on_blocked_or_unblocked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram tells us when a member blocks or restarts the bot: stop or resume sending."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    members = services_of(context).members
    if change.new_chat_member.status == ChatMember.BANNED:
        await members.mark_unreachable(change.chat.id)
    else:
        member = await members.by_telegram_id(change.chat.id)
        if member is not None:
            await members.mark_reachable(member.id)


async def on_error(update: Any, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One log line for operators; a kind word for the member; never a traceback."""
    error = context.error
    if isinstance(error, Forbidden):
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            await services_of(context).members.mark_unreachable(chat.id)
        log.info("member %s has blocked the bot", chat.id if chat else "?")
        return
    if isinstance(error, RetryAfter):
        # The answer waited on flood control as long as an answer may (bot/delivery/lanes.py)
        # and was still refused: the update goes back to the inbox, to be handled again
        # once Telegram allows, rather than leave the member with no answer.
        log.warning("Telegram is slowing us down: %s", error)
        if isinstance(update, Update) and isinstance(context.bot, TolerantBot):
            context.bot.defer(update.update_id, retry_seconds(error))
        return
    if isinstance(error, TimedOut):
        log.warning("Telegram is slowing us down: %s", error)
        return
    if isinstance(error, DialogueMoved):
        # Another update of this chat moved the dialogue on first (a double tap handled
        # at the same moment): that one answered; this button is out of date.
        log.info("dialogue of chat %s moved on before this update's write", error)
        if isinstance(update, Update) and update.callback_query is not None:
            turn = await build_turn(update, context)
            if turn is not None:
                await turn.answer(turn.t.gettext("That button has expired."), alert=True)
        return
    log.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        turn = await build_turn(update, context)
        if turn is None:
            return
        if update.callback_query is not None:
            await turn.answer(turn.t.gettext("Sorry, something went wrong. Please try again."), alert=True)
        await turn.reply(turn.t.gettext("Sorry, something went wrong on our side. "
                                        "Please try again, or send /cancel to start over."))
    except Exception:
        log.exception("could not tell the member about the error")
