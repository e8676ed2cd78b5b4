"""Method table plus the methods about the bot itself and getUpdates.

Telegram matches method names case-insensitively, so the table is keyed by
lower-case name and records the canonical spelling for ``requests``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import messaging, webhook
from .errors import GETUPDATES_CONFLICT, bad_request, conflict
from .params import Params
from .wire import file_dict

if TYPE_CHECKING:
    from .server import RequestContext, TelegramEmulator

Handler = Callable[["TelegramEmulator", Params, "RequestContext"], Awaitable[Any]]

_COMMAND_CHARS = re.compile(r"[a-z0-9_]+")
_LANGUAGE = re.compile(r"[a-z]{2}")
_GLOBAL_SCOPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators"})
_CHAT_SCOPES = frozenset({"chat", "chat_administrators", "chat_member"})
_MENU_BUTTONS = frozenset({"default", "commands", "web_app"})


# -- updates -------------------------------------------------------------------------
async def get_updates(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    webhook.refuse_polling_while_active(emu)
    queue = emu.updates
    offset = params.get_int("offset")
    limit = min(100, max(1, params.get_int("limit", 100) or 100))
    timeout = max(0.0, params.get_float("timeout", 0.0) or 0.0)
    allowed = params.get_json("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates JSON object")
    queue.set_allowed(allowed)
    queue.poll_generation += 1
    generation = queue.poll_generation
    queue.notify()  # an older poll still waiting must learn it was superseded
    queue.confirm(offset)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        changed = queue.changed()  # taken before checking, so no wake-up is lost
        if generation != queue.poll_generation:
            return await _superseded(ctx)
        batch = queue.take(limit)
        remaining = deadline - loop.time()
        if batch or emu.closing or remaining <= 0:
            return batch
        try:
            async with asyncio.timeout(remaining):
                await changed.wait()
        except TimeoutError:
            pass


async def _superseded(ctx: RequestContext) -> Any:
    """A newer getUpdates arrived while this one waited.

    Telegram answers the older one 409.  When PTB stops polling it cancels its
    long poll and immediately sends a final getUpdates, so the older request's
    client is usually already gone; give the disconnect a moment to register
    and only report a conflict if someone is really still listening.
    """
    for _ in range(10):
        transport = ctx.request.transport if ctx.request is not None else None
        if transport is None or transport.is_closing():
            return []
        await asyncio.sleep(0.01)
    raise conflict(GETUPDATES_CONFLICT)


# -- the bot itself ----------------------------------------------------------------------
async def get_me(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    return {
        **emu.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def acknowledge(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    return True  # close / logOut: nothing to tear down locally


# -- commands and menu ----------------------------------------------------------------------
def _scope_key(emu: TelegramEmulator, scope: Any) -> str:
    """"default", "all_private_chats", ... or "chat:<id>" for per-chat scopes."""
    if scope is None:
        return "default"
    kind = scope.get("type") if isinstance(scope, dict) else None
    if kind in _GLOBAL_SCOPES:
        return str(kind)
    if kind in _CHAT_SCOPES:
        chat_id = scope.get("chat_id")
        if emu.known_user(chat_id if isinstance(chat_id, int) else None) is None:
            raise bad_request("chat not found")
        key = f"{kind}:{chat_id}"
        return f"{key}:{scope.get('user_id')}" if kind == "chat_member" else key
    raise bad_request("can't parse BotCommandScope JSON object")


def _language(params: Params) -> str:
    language = params.get_str("language_code") or ""
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return language


def _command(raw: Any) -> tuple[str, str]:
    """Validate one BotCommand the way tdlib and Telegram do, in their order."""
    if not isinstance(raw, dict) or "command" not in raw:
        raise bad_request('can\'t parse BotCommand: Can\'t find field "command"')
    if "description" not in raw:
        raise bad_request('can\'t parse BotCommand: Can\'t find field "description"')
    command = str(raw["command"]).strip().removeprefix("/")
    description = str(raw["description"]).strip()
    if not command:
        raise bad_request("command must be non-empty")
    if len(command) > 32:
        raise bad_request("command length must not exceed 32")
    if not description:
        raise bad_request("command description must be non-empty")
    if len(description) > 256:
        raise bad_request("command description length must not exceed 256")
    if not _COMMAND_CHARS.fullmatch(command):
        raise bad_request("BOT_COMMAND_INVALID")  # Telegram's verdict on case and characters
    return command, description


async def set_my_commands(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    raw = params.get_json("commands")
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    key = (_scope_key(emu, params.get_json("scope")), _language(params))
    commands = [_command(item) for item in raw]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    if commands:
        emu.commands[key] = commands
    else:
        emu.commands.pop(key, None)  # an empty list is a reset, as in Telegram
    return True


async def get_my_commands(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    key = (_scope_key(emu, params.get_json("scope")), _language(params))
    return [{"command": c, "description": d} for c, d in emu.commands.get(key, [])]


async def delete_my_commands(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    emu.commands.pop((_scope_key(emu, params.get_json("scope")), _language(params)), None)
    return True


def _menu_chat(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> int | None:
    chat_id = params.chat_id()
    if chat_id is None:
        return None
    if emu.known_user(chat_id) is None:
        raise bad_request("chat not found")
    ctx.chat_id = chat_id if isinstance(chat_id, int) else None
    return ctx.chat_id


async def set_chat_menu_button(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    chat_id = _menu_chat(emu, params, ctx)
    button = params.get_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTONS:
        raise bad_request("can't parse MenuButton JSON object")
    emu.menu_buttons[chat_id] = button
    return True


async def get_chat_menu_button(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    chat_id = _menu_chat(emu, params, ctx)
    return emu.menu_buttons.get(chat_id) or emu.menu_buttons.get(None) or {"type": "commands"}


# -- files ---------------------------------------------------------------------------------
async def get_file(emu: TelegramEmulator, params: Params, ctx: RequestContext) -> Any:
    file_id = params.get_str("file_id") or ""
    file = emu.files.get(file_id)
    if file is None:
        raise bad_request("invalid file_id")
    return file_dict(file, emu.file_path_of(file_id))


_TABLE: dict[str, Handler] = {
    "getUpdates": get_updates,
    "setWebhook": webhook.set_webhook,
    "deleteWebhook": webhook.delete_webhook,
    "getWebhookInfo": webhook.get_webhook_info,
    "getMe": get_me,
    "close": acknowledge,
    "logOut": acknowledge,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getFile": get_file,
    "sendMessage": messaging.send_message,
    "sendDocument": messaging.send_document,
    "sendPhoto": messaging.send_photo,
    "sendChatAction": messaging.send_chat_action,
    "editMessageText": messaging.edit_message_text,
    "editMessageReplyMarkup": messaging.edit_message_reply_markup,
    "deleteMessage": messaging.delete_message,
    "answerCallbackQuery": messaging.answer_callback_query,
}
_BY_LOWER = {name.lower(): (handler, name) for name, handler in _TABLE.items()}


def lookup(method: str) -> tuple[Handler | None, str]:
    """(handler, canonical name), or (None, method) for an unknown method."""
    return _BY_LOWER.get(method.lower(), (None, method))
