"""Turning (text, parse_mode, entities) into what Telegram stores and shows.

Limits are measured the way Telegram measures them: after markup is parsed
and surrounding whitespace trimmed, in UTF-16 code units (an emoji outside
the BMP counts twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .html_parser import HtmlParseError, parse_html

MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
# Telegram trims these from both ends of every text and caption.
_TRIMMED = " \t\r\n\v"


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: tuple[dict[str, Any], ...] = ()


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def format_text(raw: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Parse ``raw`` like the Bot API does, raising 400 ``ApiError`` on bad markup.

    HTML is parsed exactly; "Markdown"/"MarkdownV2" are accepted but treated
    as plain text (the bot does not use them); anything else is refused as
    Telegram refuses it.
    """
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        try:
            text, parsed = parse_html(raw)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        return _trim(FormattedText(text, tuple(parsed)))
    if mode not in ("", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    given = tuple(e for e in (entities or ()) if _valid_entity(e, utf16_len(raw)))
    return _trim(FormattedText(raw, given))


def _valid_entity(entity: Any, text_len: int) -> bool:
    if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
        raise bad_request("can't parse entities JSON object")
    offset, length = entity.get("offset"), entity.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        raise bad_request("can't parse entities JSON object")
    # Telegram silently drops entities that fall outside the text.
    return length > 0 and offset >= 0 and offset + length <= text_len


def _trim(ft: FormattedText) -> FormattedText:
    stripped = ft.text.strip(_TRIMMED)
    if stripped == ft.text:
        return ft
    lead = utf16_len(ft.text[: len(ft.text) - len(ft.text.lstrip(_TRIMMED))])
    end = lead + utf16_len(stripped)
    kept = []
    for entity in ft.entities:
        start = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            kept.append({**entity, "offset": start - lead, "length": stop - start})
    return FormattedText(stripped, tuple(kept))


def check_text(ft: FormattedText, *, editing: bool = False) -> None:
    if not ft.text:
        raise bad_request("message text is empty")
    if utf16_len(ft.text) > MAX_TEXT_UTF16:
        # sendMessage and editMessageText word the same limit differently.
        raise bad_request("MESSAGE_TOO_LONG" if editing else "message is too long")


def check_caption(ft: FormattedText) -> None:
    if utf16_len(ft.text) > MAX_CAPTION_UTF16:
        raise bad_request("message caption is too long")
