"""A local Telegram Bot API server for tests and the demo.

The bot talks to it through python-telegram-bot's real HTTP stack
(``ApplicationBuilder().base_url(emu.base_url)``); tests play Telegram users
through ``emu.user(...)``.  Nothing in PTB is mocked.

Emulated, with Telegram's real rules and error texts:

* getMe, getUpdates (long polling, offset confirmation, limit, persistent
  allowed_updates, 409 when two pollers compete or a webhook is set),
  setWebhook / deleteWebhook / getWebhookInfo with delivery by POST to the
  URL (secret header, retried on a non-2xx answer or none; see webhook.py),
  close, logOut;
* sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage,
  sendDocument / sendPhoto (multipart uploads or re-sent file_ids), getFile
  plus file downloads under ``base_file_url``, sendChatAction,
  answerCallbackQuery, set/get/deleteMyCommands, set/getChatMenuButton;
* ``parse_mode=HTML`` parsed byte-for-byte like tdlib (same tags, same
  "can't parse entities: ..." messages with byte offsets); text and caption
  limits counted in UTF-16 units after parsing and trimming;
* inline keyboard rules (callback_data 1-64 bytes, one action per button,
  non-empty labels, URL schemes), "message is not modified", unknown
  messages and chats, blocked users (403), callback answers that are late,
  repeated or too long, and flood control (30 sends/s overall, a per-chat
  token bucket) answered with 429 and ``retry_after``;
* user-side events Telegram would send: messages with bot_command entities,
  callback queries, my_chat_member when a user blocks or unblocks the bot,
  and redelivery of an update the bot never confirmed.

Test-side conveniences beyond the Bot API: ``emu.enqueue_update(payload)``
for update types without a helper, ``TelegramEmulator(clock=ManualClock())``
(``bot.emulator.clock``) to move rate-limit and callback deadlines without
sleeping, and users default to ``language_code="en"`` when none is given.

Not emulated: groups, channels, inline mode, webhook certificates and IP
allow-lists, payments, media other than documents and photos, editing
captions or media, message forwarding and copying, MarkdownV2 parsing
("Markdown"/"MarkdownV2" text is stored unparsed), automatic url/mention
entity detection, the 48-hour edit/delete window, URL fetching for files.
Unknown methods answer 404 like Telegram does, so a bot using one fails
loudly here rather than silently.
"""

from .limits import EmulatorLimits
from .models import BotMessage, Button, File
from .server import TelegramEmulator
from .user import EmulatedUser

__all__ = [
    "BotMessage",
    "Button",
    "EmulatedUser",
    "EmulatorLimits",
    "File",
    "TelegramEmulator",
]
