"""The Bot that python-telegram-bot polls with: every batch goes into the durable inbox
before it is returned, and an unreadable update is skipped on its own.

Storing happens here, inside the getUpdates call, because python-telegram-bot confirms
a batch to Telegram by the offset of its *next* getUpdates, which it sends as soon as it
has queued this one: only what is in the database by then survives a crash.

An update this process must not handle (already handled, or held by another live
process) is handed on as an empty update with the same id: python-telegram-bot still
moves the offset past it, and no handler matches it. The same stands in for one that
cannot be parsed: python-telegram-bot parses a whole batch at once, and one update it
cannot read (a known field of the wrong shape, or plain garbage) would fail the batch,
the offset would never move past it, and the bot would stay silent for everyone.
(Fields a newer Bot API adds are not such a case: python-telegram-bot keeps them in
`api_kwargs`; `tests/e2e/test_robustness.py` shows both.)
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import ExtBot

from bot.services.inbox import InboxEntry, InboxService, update_id_of

log = logging.getLogger(__name__)


def readable_updates(bot: Any, raw_updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    readable = []
    for raw in raw_updates:
        try:
            Update.de_json(raw, bot)
            readable.append(raw)
        except Exception as error:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.error("skipping update %s that could not be read: %s", update_id, error)
            if isinstance(update_id, int):
                readable.append({"update_id": update_id})
    return readable


class TolerantBot(ExtBot[Any]):
    def __init__(self, *args: Any, inbox: InboxService | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox
        # Ids stored or taken over by this process and not yet handled, and of those the
        # ones a process before this one began and never finished. (A Bot is frozen
        # after __init__ except for underscored attributes.)
        self._claimed: set[int] = set()
        self._redelivered: set[int] = set()
        # Updates whose answer Telegram's flood control held back past the lane's patience:
        # handed back to the inbox, to be handled again after this many seconds.
        self._deferred: dict[int, float] = {}

    @property
    def inbox(self) -> InboxService | None:
        return self._inbox

    @property
    def claimed(self) -> set[int]:
        return self._claimed

    def claim(self, entries: list[InboxEntry]) -> None:
        """These updates are this process's to handle now."""
        for entry in entries:
            self._claimed.add(entry.update_id)
            if entry.redelivered:
                self._redelivered.add(entry.update_id)

    def handled(self, update_id: int) -> None:
        self._claimed.discard(update_id)
        self._redelivered.discard(update_id)
        self._deferred.pop(update_id, None)

    def defer(self, update_id: int, seconds: float) -> None:
        """Telegram would not take this update's answer: it is to be handled again in
        `seconds`, not marked handled (bot/app.py)."""
        if update_id in self._claimed:
            self._deferred[update_id] = max(seconds, self._deferred.get(update_id, 0.0))

    def deferred_for(self, update_id: int) -> float | None:
        return self._deferred.get(update_id)

    def is_redelivered(self, update_id: int) -> bool:
        """Handled before, in part, by a process that died (or stopped) before the end."""
        return update_id in self._redelivered

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return readable_updates(self, await self._into_inbox(result))
        return result

    async def _into_inbox(self, raw_updates: list[Any]) -> list[Any]:
        if self._inbox is None or not raw_updates:
            return raw_updates
        try:
            mine = await self._inbox.receive(raw_updates)
        except Exception as error:
            # A TelegramError makes python-telegram-bot retry this getUpdates with the
            # same offset (and back off): Telegram keeps the batch until it is stored.
            raise NetworkError(f"could not store updates in the inbox: {type(error).__name__}") from error
        self.claim(mine)
        taken = {entry.update_id for entry in mine}
        return [raw if update_id_of(raw) in taken else {"update_id": update_id_of(raw)}
                for raw in raw_updates if update_id_of(raw) is not None]
