"""What tests look at: the bot's messages as a Telegram user would see them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """One inline keyboard button (``url`` buttons have no ``callback_data``)."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class File:
    """An uploaded file as stored by the emulator."""

    filename: str | None
    content: bytes
    mime_type: str | None
    file_id: str = ""
    file_unique_id: str = ""
    width: int | None = None  # photos only
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class BotMessage:
    """A message the bot sent into a chat, in its current (or snapshot) state.

    ``text`` is the plain text a user reads (for documents and photos, the
    caption); ``html`` is the string exactly as the bot sent it.
    """

    message_id: int
    chat_id: int
    text: str
    html: str
    parse_mode: str | None
    date: int
    buttons: list[list[Button]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    document: File | None = None
    photo: bytes | None = None
    edited: bool = False
    entities: list[dict[str, Any]] = field(default_factory=list)
    edit_date: int | None = None
    photo_file: File | None = field(default=None, repr=False)
    # The inline keyboard exactly as echoed back to the bot in Message objects.
    reply_markup: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        if self.document is not None:
            return "document"
        if self.photo is not None:
            return "photo"
        return "text"

    def button_labels(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def snapshot(self) -> BotMessage:
        """An independent copy, so later edits do not rewrite test history."""
        return copy.deepcopy(self)

    def describe(self) -> str:
        """One line for assertion messages."""
        text = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        parts = [f"#{self.message_id}", self.kind, repr(text)]
        if self.buttons:
            parts.append(f"buttons={self.button_labels()}")
        if self.edited:
            parts.append("(edited)")
        return " ".join(parts)


@dataclass
class CallbackQueryRecord:
    """A callback query a user sent, and the bot's answer once it comes."""

    id: str
    chat_id: int
    message_id: int
    data: str
    sent_at: float  # on the emulator's clock, for the answer deadline
    answer: dict[str, Any] | None = None
