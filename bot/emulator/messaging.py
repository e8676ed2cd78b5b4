"""Methods that put something in a chat: send, edit, delete, chat actions, answers.

Checks run in the order the real stack runs them: the Bot API server first
resolves the chat and parses markup and keyboards (400s), then Telegram's
servers refuse blocked chats (403) and floods (429).  Nothing is counted
against the rate limit unless it is actually delivered.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import BOT_BLOCKED, MESSAGE_NOT_MODIFIED, QUERY_TOO_OLD, bad_request, forbidden
from .formatting import FormattedText, check_caption, check_text, format_text, utf16_len
from .keyboards import Markup, parse_reply_markup
from .media import new_document, new_photo, resolve_upload
from .models import BotMessage, File
from .params import Params
from .user import EmulatedUser
from .wire import message_dict

if TYPE_CHECKING:
    from .server import RequestContext, TelegramEmulator

MAX_ANSWER_TEXT = 200
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)


# -- shared steps ----------------------------------------------------------------
def target_chat(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> EmulatedUser:
    chat_id = params.chat_id()
    if chat_id is None:
        raise bad_request("chat_id is empty")
    if isinstance(chat_id, int):
        ctx.chat_id = chat_id
    user = emu.known_user(chat_id)
    if user is None:
        raise bad_request("chat not found")
    return user


def deliver(emu: TelegramEmulator, user: EmulatedUser, *, counted: bool = True) -> None:
    if user.blocked:
        raise forbidden(BOT_BLOCKED)
    if counted:
        emu.rate_limiter.acquire(user.chat_id)


def reply_target(user: EmulatedUser, emu: TelegramEmulator, params: Params) -> dict[str, Any] | None:
    """The message being replied to, or None; refuses unknown ones like Telegram."""
    reply = params.get_json("reply_parameters")
    if isinstance(reply, dict):
        message_id, allow_missing = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.get_int("reply_to_message_id")
        allow_missing = params.get_bool("allow_sending_without_reply")
    if message_id is None:
        return None
    found = user.message_wire(int(message_id))
    if found is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return found


def new_message(
    emu: TelegramEmulator,
    user: EmulatedUser,
    params: Params,
    formatted: FormattedText,
    raw: str,
    parse_mode_param: str,
    markup: Markup | None,
    **media: Any,
) -> BotMessage:
    message = BotMessage(
        message_id=emu.new_message_id(user.chat_id),
        chat_id=user.chat_id,
        text=formatted.text,
        html=raw,
        parse_mode=params.get_str(parse_mode_param),
        date=int(time.time()),
        entities=list(formatted.entities),
        **media,
    )
    if markup is not None:
        message.buttons = markup.inline or []
        message.reply_markup = markup.inline_json
        message.reply_keyboard = markup.reply_keyboard
        if markup.reply_keyboard is not None:
            user.reply_keyboard = markup.reply_keyboard  # shown until replaced or removed
        elif markup.remove_keyboard:
            user.reply_keyboard = None
    return message


def sent(emu: TelegramEmulator, user: EmulatedUser, message: BotMessage, reply_to: Any) -> dict[str, Any]:
    user._record(message)
    wire = message_dict(emu, message)
    if reply_to is not None:
        wire["reply_to_message"] = reply_to
    return wire


# -- sending ---------------------------------------------------------------------------
async def send_message(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    user = target_chat(emu, params, ctx)
    raw = params.get_str("text") or ""
    formatted = format_text(raw, params.get_str("parse_mode"), params.get_json("entities"))
    check_text(formatted)
    markup = parse_reply_markup(params.get_json("reply_markup"))
    reply_to = reply_target(user, emu, params)
    deliver(emu, user)
    return sent(emu, user, new_message(emu, user, params, formatted, raw, "parse_mode", markup), reply_to)


async def send_document(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    return await _send_media(emu, params, ctx, "document")


async def send_photo(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    return await _send_media(emu, params, ctx, "photo")


async def _send_media(emu: TelegramEmulator, params: Params, ctx: RequestContext, kind: str) -> Any:
    user = target_chat(emu, params, ctx)
    upload, stored = resolve_upload(emu, params, kind)
    raw = params.get_str("caption") or ""
    formatted = format_text(raw, params.get_str("parse_mode"), params.get_json("caption_entities"))
    check_caption(formatted)
    markup = parse_reply_markup(params.get_json("reply_markup"))
    reply_to = reply_target(user, emu, params)
    fresh: File | None = None
    if upload is not None:  # validated now, stored only once Telegram accepts the send
        fresh = new_photo(upload) if kind == "photo" else new_document(upload)
    deliver(emu, user)
    file = emu.store_file(fresh) if fresh is not None else stored
    if file is None:  # pragma: no cover - resolve_upload returns one of the two
        raise bad_request(f"there is no {kind} in the request")
    media: dict[str, Any] = (
        {"photo": file.content, "photo_file": file} if kind == "photo" else {"document": file}
    )
    message = new_message(emu, user, params, formatted, raw, "parse_mode", markup, **media)
    return sent(emu, user, message, reply_to)


async def send_chat_action(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    user = target_chat(emu, params, ctx)
    action = params.get_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    deliver(emu, user, counted=False)
    user.chat_actions.append(action)
    return True


# -- editing and deleting -----------------------------------------------------------
def _editable(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> tuple[EmulatedUser, BotMessage]:
    if params.get_str("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not emulated
    user = target_chat(emu, params, ctx)
    message_id = params.get_int("message_id")
    message = user._messages.get(message_id) if message_id is not None else None
    if message is None:
        raise bad_request("message to edit not found")
    return user, message


def _inline_markup(params: Params) -> Markup | None:
    markup = parse_reply_markup(params.get_json("reply_markup"))
    if markup is not None and markup.inline is None:
        raise bad_request("inline keyboard expected")
    return markup


def _apply_edit(emu: TelegramEmulator, user: EmulatedUser, message: BotMessage, markup: Markup | None) -> Any:
    # Leaving reply_markup out of an edit removes the keyboard, as in Telegram.
    message.buttons = (markup.inline or []) if markup else []
    message.reply_markup = markup.inline_json if markup else None
    message.edited = True
    message.edit_date = int(time.time())
    user._record(message)
    return message_dict(emu, message)


async def edit_message_text(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    user, message = _editable(emu, params, ctx)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    raw = params.get_str("text") or ""
    formatted = format_text(raw, params.get_str("parse_mode"), params.get_json("entities"))
    check_text(formatted, editing=True)
    markup = _inline_markup(params)
    new_markup = markup.inline_json if markup else None
    if (formatted.text, list(formatted.entities), new_markup) == (
        message.text,
        message.entities,
        message.reply_markup,
    ):
        raise bad_request(MESSAGE_NOT_MODIFIED)
    deliver(emu, user)
    message.text, message.html = formatted.text, raw
    message.entities = list(formatted.entities)
    message.parse_mode = params.get_str("parse_mode")
    return _apply_edit(emu, user, message, markup)


async def edit_message_reply_markup(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    user, message = _editable(emu, params, ctx)
    markup = _inline_markup(params)
    if (markup.inline_json if markup else None) == message.reply_markup:
        raise bad_request(MESSAGE_NOT_MODIFIED)
    deliver(emu, user, counted=False)
    return _apply_edit(emu, user, message, markup)


async def delete_message(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    user = target_chat(emu, params, ctx)
    message_id = params.get_int("message_id")
    if message_id is None or not user._delete(message_id):
        raise bad_request("message to delete not found")
    return True


# -- callback queries -------------------------------------------------------------------
async def answer_callback_query(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    query_id = params.get_str("callback_query_id") or ""
    query = emu.callback_query(query_id)
    if query is not None:
        ctx.chat_id = query.chat_id
    too_late = query is not None and emu.clock() - query.sent_at > emu.limits.callback_answer_timeout_s
    if query is None or query.answer is not None or too_late:
        raise bad_request(QUERY_TOO_OLD)
    text = params.get_str("text")
    if text is not None and utf16_len(text) > MAX_ANSWER_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {
        "text": text,
        "show_alert": params.get_bool("show_alert"),
        "url": params.get_str("url"),
        "cache_time": params.get_int("cache_time"),
    }
    emu._callback_answered(query_id).set()
    return True
