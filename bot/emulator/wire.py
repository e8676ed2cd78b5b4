"""Bot API object shapes the emulator returns (what PTB's ``de_json`` reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import BotMessage, File

if TYPE_CHECKING:
    from .server import TelegramEmulator


def message_dict(emu: TelegramEmulator, message: BotMessage) -> dict[str, Any]:
    user = emu.known_user(message.chat_id)
    chat = user.as_chat() if user else {"id": message.chat_id, "type": "private"}
    wire: dict[str, Any] = {
        "message_id": message.message_id,
        "from": emu.bot_user(),
        "chat": chat,
        "date": message.date,
    }
    if message.edit_date is not None:
        wire["edit_date"] = message.edit_date
    text_key, entities_key = "text", "entities"
    if message.document is not None:
        wire["document"] = document_dict(message.document)
        text_key, entities_key = "caption", "caption_entities"
    elif message.photo_file is not None:
        wire["photo"] = photo_sizes(message.photo_file)
        text_key, entities_key = "caption", "caption_entities"
    if message.text or text_key == "text":
        wire[text_key] = message.text
    if message.entities:
        wire[entities_key] = message.entities
    # Only inline keyboards are echoed; reply keyboards never appear in Message objects.
    if message.reply_markup is not None:
        wire["reply_markup"] = message.reply_markup
    return wire


def document_dict(file: File) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.size,
    }
    if file.filename:
        doc["file_name"] = file.filename
    if file.mime_type:
        doc["mime_type"] = file.mime_type
    return doc


def photo_sizes(file: File) -> list[dict[str, Any]]:
    """Telegram returns several sizes; a thumbnail and the original are enough."""
    width, height = file.width or 1, file.height or 1
    scale = min(1.0, 90 / max(width, height))
    thumb = {
        "file_id": file.file_id + "_s",
        "file_unique_id": file.file_unique_id + "s",
        "width": max(1, round(width * scale)),
        "height": max(1, round(height * scale)),
    }
    full = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "width": width,
        "height": height,
        "file_size": file.size,
    }
    return [thumb, full]


def file_dict(file: File, path: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.size,
    }
    if path:
        out["file_path"] = path
    return out
