"""Validation of ``reply_markup`` with Telegram's rules and error wording."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .models import Button

MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
# Any of these turns a label into a working inline button.
_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)
_URL_SCHEMES = ("http", "https", "tg", "ton")


@dataclass(frozen=True)
class Markup:
    """A validated reply_markup; at most one of the kinds is set."""

    inline: list[list[Button]] | None = None
    inline_json: dict[str, Any] | None = None  # echoed back in Message.reply_markup
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False


def parse_reply_markup(value: Any) -> Markup | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        return _inline(value["inline_keyboard"])
    if "keyboard" in value:
        return Markup(reply_keyboard=_reply_keyboard(value["keyboard"]))
    if value.get("remove_keyboard"):
        return Markup(remove_keyboard=True)
    if value.get("force_reply"):
        return Markup(force_reply=True)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return rows


def _inline(rows: Any) -> Markup:
    parsed: list[list[Button]] = []
    echoed: list[list[dict[str, Any]]] = []
    if sum(len(row) for row in _rows(rows)) > MAX_INLINE_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for row in rows:
        parsed.append([])
        echoed.append([])
        for raw in row:
            button, clean = _inline_button(raw)
            parsed[-1].append(button)
            echoed[-1].append(clean)
    if not any(parsed):
        return Markup(inline=[])  # an empty inline keyboard is no keyboard at all
    return Markup(inline=parsed, inline_json={"inline_keyboard": echoed})


def _inline_button(raw: Any) -> tuple[Button, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if "text" not in raw:
        raise bad_request('can\'t parse inline keyboard button: Can\'t find field "text"')
    text = raw["text"]
    if not isinstance(text, str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    # Telegram treats an empty callback_data as absent, hence "Text buttons are unallowed".
    actions = [key for key in _ACTIONS if key in raw and raw[key] not in (None, "")]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        # Telegram silently keeps one of them; the emulator refuses, because a
        # button carrying both is always a bug in the bot's keyboard builder.
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields "
            f"must be used, found {', '.join(actions)}"
        )
    data = raw.get("callback_data")
    if data is not None and (not isinstance(data, str)
                             or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES):
        raise bad_request("BUTTON_DATA_INVALID")
    url = raw.get("url")
    if url is not None:
        _check_url(url)
    clean = {"text": text, actions[0]: raw[actions[0]]}
    return Button(text=text, callback_data=data, url=url), clean


def _check_url(url: Any) -> None:
    if not isinstance(url, str) or not url.strip():
        raise bad_request("BUTTON_URL_INVALID")
    if "://" in url and url.split("://", 1)[0].lower() not in _URL_SCHEMES:
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol")


def _reply_keyboard(rows: Any) -> list[list[str]]:
    labels: list[list[str]] = []
    for row in _rows(rows):
        labels.append([])
        for raw in row:
            text = raw.get("text") if isinstance(raw, dict) else raw
            if not isinstance(text, str):
                raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            labels[-1].append(text)
    return labels
