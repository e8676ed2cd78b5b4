"""The one place that wires every handler into the Application, in order.

Group 0: commands, buttons, dialogue text, then the catch-alls that make sure no
message goes unanswered. Errors go to one handler that answers in the member's language
and never shows a traceback.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, RetryAfter, TimedOut
from telegram import ChatMember
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from handlers import (  # noqa: F401 - they register themselves
    account,
    admin,
    coordinating,
    credits,
    hours,
    notifications,
    registration,
    shift_admin,
    shifts,
    spending,
)
from handlers.base import CALLBACKS, COMMANDS, STEPS, CommandSpec, Turn, build_turn, services_of
from handlers.menu import command_for_label, send_main_menu

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE


def register(application: Application) -> None:
    for spec in COMMANDS.values():
        application.add_handler(CommandHandler(spec.name, _command_runner(spec), filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other_message))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, on_group_command))
    application.add_handler(ChatMemberHandler(on_blocked_or_unblocked, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)


async def _run(turn: Turn, spec_function, args: list[str], needs_member: bool) -> None:  # noqa: ANN001
    if needs_member and turn.member is None:
        await turn.answer()
        await turn.reply(turn.t.gettext("Please register first: send /start."))
        return
    await spec_function(turn, args)
    # On an exception the error handler answers the button instead, with its apology.
    await turn.answer()


def _command_runner(spec: CommandSpec):  # noqa: ANN202
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = await build_turn(update, context)
        if turn is not None:
            await _run(turn, spec.function, list(context.args or []), spec.needs_member)
    return run


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    if turn is None:
        await update.callback_query.answer()
        return
    prefix, *args = (update.callback_query.data or "").split(":")
    target = CALLBACKS.get(prefix)
    if target is None:
        await turn.answer(turn.t.gettext("That button has expired."), alert=True)
        return
    function, needs_member = target
    await _run(turn, function, args, needs_member)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    if turn is None or update.message is None:
        return
    text = update.message.text or ""
    # A main-menu button wins over a half-finished dialogue: "💳 Balance" pressed while
    # the bot waits for a venue's name means the member moved on, not that the venue is
    # called "💳 Balance".
    chosen = command_for_label(turn, text) if turn.member is not None else None
    if chosen is not None and chosen in COMMANDS:
        if turn.dialogue is not None:
            await turn.end_dialogue()
        spec = COMMANDS[chosen]
        await _run(turn, spec.function, [], spec.needs_member)
        return
    if turn.dialogue is not None:
        handler = STEPS.get((turn.dialogue.flow, turn.dialogue.step))
        if handler is not None:
            await handler(turn, text)
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


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    turn = await build_turn(update, context)
    location = update.message.location if update.message else None
    if (turn is not None and location is not None and turn.member is not None and turn.dialogue is not None
            and (turn.dialogue.flow, turn.dialogue.step) == (shift_admin.FLOW, "address")):
        await shift_admin.shared_location(turn, location.latitude, location.longitude)
        return
    if turn is not None:
        await turn.reply(turn.t.gettext("I can only read text messages and button presses. Send /help to see what you can do."))


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


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One log line for operators; a kind word for the member; never a traceback."""
    error = context.error
    if isinstance(error, Forbidden):
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            await services_of(context).members.mark_unreachable(chat.id)
        log.info("member %s has blocked the bot", chat.id if chat else "?")
        return
    if isinstance(error, (RetryAfter, TimedOut)):
        log.warning("Telegram is slowing us down: %s", error)
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
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        log.exception("could not tell the member about the error")
