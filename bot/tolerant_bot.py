"""A Bot that survives an update it cannot parse.

python-telegram-bot parses a whole getUpdates batch at once; one update it cannot read
(a field a newer Bot API added, or plain garbage) makes the batch fail, the offset never
moves past it, and the bot stays silent for everyone. Here each raw update is tried on
its own and an unreadable one is replaced by an empty update with the same id: it is
logged, confirmed and skipped, and everyone else is still answered.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


def readable_updates(bot: Any, raw_updates: list[dict[str, Any]]) -> list[dict[str, Any]]:  # noqa: ANN401
    readable = []
    for raw in raw_updates:
        try:
            Update.de_json(raw, bot)
            readable.append(raw)
        except Exception as error:  # noqa: BLE001 - anything unparseable is skipped the same way
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.error("skipping update %s that could not be read: %s", update_id, error)
            if isinstance(update_id, int):
                readable.append({"update_id": update_id})
    return readable


class TolerantBot(ExtBot):
    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return readable_updates(self, result)
        return result
