"""A Telegram user talking to the bot in a private chat (chat id == user id)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

from .formatting import utf16_len
from .models import BotMessage, Button

if TYPE_CHECKING:
    from .server import TelegramEmulator

# Telegram's bot-command pattern (tdlib's match_bot_commands): every match in
# the text becomes a bot_command entity, PTB's CommandHandler wants offset 0.
_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")


def _command_entities(text: str) -> dict[str, Any]:
    """The bot_command entities Telegram marks in ``text`` ({} when there are none)."""
    commands = [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND.finditer(text)
    ]
    return {"entities": commands} if commands else {}


class EmulatedUser:
    def __init__(
        self,
        emulator: TelegramEmulator,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self._emu = emulator
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self.chat_actions: list[str] = []  # every sendChatAction, in order
        self.reply_keyboard: list[list[str]] | None = None  # the custom keyboard now shown
        self._messages: dict[int, BotMessage] = {}  # bot messages by id, current state
        self._user_messages: dict[int, dict[str, Any]] = {}  # what the user sent, by id
        self._events: list[BotMessage] = []  # snapshots: new messages and edits
        self._cursor = 0  # first unread event
        self._changed = asyncio.Event()

    @property
    def chat_id(self) -> int:
        return self.user_id

    # -- wire shapes -------------------------------------------------------------
    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    # -- acting as the user --------------------------------------------------------
    async def send_text(self, text: str) -> int:
        """Send ``text`` to the bot; returns the update_id of the Message update."""
        return self._send({"text": text, **_command_entities(text)})

    async def send_sticker(self, emoji: str = "👍") -> int:
        """A sticker (what most people send instead of words)."""
        number = next(self._emu._file_ids)
        return self._send({"sticker": {
            "file_id": f"EMUSTICKER{number:06d}", "file_unique_id": f"emusticker{number:06d}",
            "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False,
            "emoji": emoji}})

    async def send_photo(self, caption: str | None = None) -> int:
        """A photo from the user's camera roll, with an optional caption."""
        number = next(self._emu._file_ids)
        content: dict[str, Any] = {"photo": [{
            "file_id": f"EMUUSERPHOTO{number:06d}", "file_unique_id": f"emuuserphoto{number:06d}",
            "width": 90, "height": 90}]}
        if caption is not None:
            content["caption"] = caption
        return self._send(content)

    async def send_contact(self, phone_number: str = "+447700900123", first_name: str = "Alys",
                           user_id: int | None = None) -> int:
        """A shared contact card (someone else's, or with ``user_id``, a Telegram user's)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if user_id is not None:
            contact["user_id"] = user_id
        return self._send({"contact": contact})

    async def send_location(self, latitude: float, longitude: float) -> int:
        """A location pin."""
        return self._send({"location": {"latitude": latitude, "longitude": longitude}})

    async def edit_message(self, message_id: int, text: str) -> int:
        """Edit one of the user's own earlier text messages: Telegram sends edited_message."""
        original = self._user_messages.get(message_id)
        if original is None or "text" not in original:
            raise KeyError(f"the user sent no text message {message_id} in chat {self.chat_id}")
        edited = {**original, "text": text, "edit_date": int(time.time()), **_command_entities(text)}
        if "entities" not in _command_entities(text):
            edited.pop("entities", None)
        self._user_messages[message_id] = edited
        return self._emu.enqueue_update({"edited_message": edited})

    async def send_in_group(self, chat_id: int, text: str, *, title: str = "Splott volunteers",
                            supergroup: bool = True) -> int:
        """A message this user writes in a group the bot is in (``chat_id`` negative).
        The emulator has no group membership: what the bot sends back to ``chat_id`` is
        accepted only if a test made that chat known (``emulator.user(chat_id)``)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        message = {
            "message_id": self._emu.new_message_id(chat_id),
            "from": self.as_user(),
            "chat": {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title},
            "date": int(time.time()),
            "text": text,
            **_command_entities(text),
        }
        return self._emu.enqueue_update({"message": message})

    def _send(self, content: dict[str, Any]) -> int:
        """A new message of this user in the private chat, with ``content`` (text, sticker...)."""
        if self.blocked:
            # In Telegram a blocked bot can only be written to after "Restart".
            self.unblock()
        message_id = self._emu.new_message_id(self.chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.as_user(),
            "chat": self.as_chat(),
            "date": int(time.time()),
            **content,
        }
        self._user_messages[message_id] = message
        return self._emu.enqueue_update({"message": message})

    async def press(self, button: str | int) -> str:
        """Press an inline button by label (exact, else substring) or 1-based index."""
        message, found = self._find_button(button)
        return self._send_callback(message.message_id, found.callback_data or "", message)

    async def press_data(self, message_id: int, data: str) -> str:
        """Forge a callback query with arbitrary ``data`` on ``message_id``."""
        return self._send_callback(message_id, data, self._messages.get(message_id))

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the bot answered ``query_id``; returns {"text", "show_alert"}."""
        query = self._emu.callback_query(query_id)
        if query is None:
            raise KeyError(f"unknown callback query id {query_id!r}")
        try:
            async with asyncio.timeout(timeout):
                while query.answer is None:
                    await self._emu._callback_answered(query_id).wait()
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer callback query {query_id} (data={query.data!r}) "
                f"within {timeout}s\n{self._history()}"
            ) from None
        return {"text": query.answer.get("text"), "show_alert": query.answer.get("show_alert", False)}

    def block(self) -> None:
        """From now on every send to this chat gets 403, as after "Block bot"."""
        if not self.blocked:
            self.blocked = True
            self._emu.enqueue_update(self._membership_update("member", "kicked"))

    def unblock(self) -> None:
        if self.blocked:
            self.blocked = False
            self._emu.enqueue_update(self._membership_update("kicked", "member"))

    # -- observing the bot ---------------------------------------------------------
    @property
    def messages(self) -> list[BotMessage]:
        """Every bot message still in the chat, edits applied, oldest first."""
        return [m.snapshot() for m in sorted(self._messages.values(), key=lambda m: m.message_id)]

    @property
    def last_message(self) -> BotMessage | None:
        if not self._messages:
            return None
        return self._messages[max(self._messages)].snapshot()

    @property
    def events(self) -> list[BotMessage]:
        """The full history of new messages and edits, read or not."""
        return list(self._events)

    async def next_message(self, timeout: float = 5.0) -> BotMessage:
        """The next unread *new* bot message; unread edits before it are skipped."""
        return await self._next(timeout, new_only=True)

    async def next_event(self, timeout: float = 5.0) -> BotMessage:
        """The next unread new message or edit (``edited=True``)."""
        return await self._next(timeout, new_only=False)

    async def expect_silence(self, seconds: float = 0.3) -> None:
        """Assert nothing unread is or becomes pending during ``seconds``.

        Events that already arrived unread also count: otherwise a reply that
        beat this call would slip through unnoticed.
        """
        try:
            async with asyncio.timeout(seconds):
                while self._cursor >= len(self._events):
                    await self._changed.wait()
        except TimeoutError:
            return
        unread = "\n  ".join(e.describe() for e in self._events[self._cursor :])
        raise AssertionError(f"expected silence in chat {self.chat_id}, but the bot sent:\n  {unread}")

    # -- called by the emulator ----------------------------------------------------
    def _record(self, message: BotMessage) -> None:
        self._messages[message.message_id] = message
        self._events.append(message.snapshot())
        self._wake()

    def _delete(self, message_id: int) -> bool:
        if self._messages.pop(message_id, None) is not None:
            return True
        return self._user_messages.pop(message_id, None) is not None

    def message_wire(self, message_id: int) -> dict[str, Any] | None:
        """Any message of this chat (the bot's or the user's) as a Bot API dict."""
        if message_id in self._messages:
            return self._emu._message_dict(self._messages[message_id])
        return self._user_messages.get(message_id)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- internals -------------------------------------------------------------------
    async def _next(self, timeout: float, *, new_only: bool) -> BotMessage:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while self._cursor < len(self._events):
                        event = self._events[self._cursor]
                        self._cursor += 1
                        if not (new_only and event.edited):
                            return event
                    await self._changed.wait()
        except TimeoutError:
            what = "new bot message" if new_only else "bot event"
            raise TimeoutError(
                f"no {what} in chat {self.chat_id} ({self.first_name}) within {timeout}s\n"
                f"{self._history()}"
            ) from None

    def _history(self) -> str:
        lines = ["Chat history (oldest first):"]
        lines += [f"  {e.describe()}" for e in self._events[-10:]] or ["  (the bot never wrote here)"]
        refused = self._emu._rejections_for(self.chat_id)
        if refused:
            lines.append("Requests for this chat the emulator refused:")
            lines += [f"  {method}: {code} {description}" for method, code, description in refused[-10:]]
        return "\n".join(lines)

    def _find_button(self, wanted: str | int) -> tuple[BotMessage, Button]:
        newest_first = sorted(self._messages.values(), key=lambda m: -m.message_id)
        if isinstance(wanted, int):
            for message in newest_first:
                flat = [b for row in message.buttons for b in row]
                if flat:
                    if not 1 <= wanted <= len(flat):
                        raise AssertionError(
                            f"message {message.describe()} has {len(flat)} buttons, no button {wanted}"
                        )
                    return message, self._pressable(flat[wanted - 1], message)
            raise AssertionError(f"no bot message in chat {self.chat_id} has an inline keyboard")
        for matches in (lambda b: b.text == wanted, lambda b: wanted in b.text):
            for message in newest_first:
                hits = [b for row in message.buttons for b in row if matches(b)]
                if len(hits) > 1 and len({b.callback_data for b in hits}) > 1:
                    raise AssertionError(
                        f"{wanted!r} is ambiguous on {message.describe()}: {[b.text for b in hits]}"
                    )
                if hits:
                    return message, self._pressable(hits[0], message)
        labels = {m.message_id: m.button_labels() for m in newest_first if m.buttons}
        raise AssertionError(f"no button labelled {wanted!r} in chat {self.chat_id}; buttons: {labels}")

    @staticmethod
    def _pressable(button: Button, message: BotMessage) -> Button:
        if button.callback_data is None:
            raise AssertionError(
                f"button {button.text!r} on {message.describe()} opens {button.url!r}; "
                "it sends no callback query"
            )
        return button

    def _send_callback(self, message_id: int, data: str, message: BotMessage | None) -> str:
        query_id = self._emu._new_callback_query(self.chat_id, message_id, data)
        if message is not None:
            wire_message = self._emu._message_dict(message)
        else:
            # Telegram's InaccessibleMessage: a deleted or unknown message.
            wire_message = {"chat": self.as_chat(), "message_id": message_id, "date": 0}
        self._emu.enqueue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.as_user(),
                    "message": wire_message,
                    "chat_instance": str(-self.user_id * 7919),
                    "data": data,
                }
            }
        )
        return query_id

    def _membership_update(self, old: str, new: str) -> dict[str, Any]:
        bot = self._emu.bot_user()
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        return {
            "my_chat_member": {
                "chat": self.as_chat(),
                "from": self.as_user(),
                "date": int(time.time()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            }
        }
