"""The emulator itself: state shared by all methods plus the aiohttp front end."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import methods
from .errors import ApiError, bad_gateway, not_found, unauthorized
from .limits import EmulatorLimits, RateLimiter
from .models import BotMessage, CallbackQueryRecord, File
from .params import Params
from .updates import UpdateQueue
from .user import EmulatedUser
from .webhook import WebhookPusher
from .wire import message_dict

_log = logging.getLogger(__name__)
_MAX_UPLOAD = 60 * 1024 * 1024  # above Telegram's 50 MB bot upload limit
_UNSET: Any = object()


@dataclass
class RequestContext:
    """Per-request facts a method handler may need besides its parameters."""

    method: str
    request: web.Request | None
    chat_id: int | None = None  # set by handlers so refusals can be shown per chat


class TelegramEmulator:
    """A loopback Telegram Bot API server for tests and the demo."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "coprod_test_bot",
        bot_first_name: str = "Coprod",
        limits: EmulatorLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_id, sep, secret = token.partition(":")
        if not (sep and bot_id.isdigit() and secret):
            raise ValueError(f"not a bot token (expected '<digits>:<secret>'): {token!r}")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.limits = limits or EmulatorLimits()
        self.clock = clock
        self.rate_limiter = RateLimiter(self.limits, clock)
        self.updates = UpdateQueue()
        self.webhook = WebhookPusher(self)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.files: dict[str, File] = {}  # by file_id
        self.file_paths: dict[str, str] = {}  # download path -> file_id
        self._users: dict[int, EmulatedUser] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_queries: dict[str, CallbackQueryRecord] = {}
        self._answer_events: dict[str, asyncio.Event] = {}
        self._query_ids = itertools.count(4_417_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._rejections: list[tuple[str, int, str, int | None]] = []
        self._faults: dict[str, list[ApiError]] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.host = ""
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a poller whose client hung up must stop waiting,
        # otherwise it would look like a second bot instance polling.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = self._runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        await self.webhook.stop()
        self.updates.notify()  # release long polls so shutdown does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` wants: it appends ``<token>/<method>``."""
        return f"{self._origin()}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self._origin()}/file/bot"

    def _origin(self) -> str:
        if not self.port:
            raise RuntimeError("the emulator is not running; await emu.start() first")
        return f"http://{self.host}:{self.port}"

    # -- test-facing API -----------------------------------------------------------
    def user(
        self,
        user_id: int,
        first_name: str = _UNSET,
        last_name: str | None = _UNSET,
        username: str | None = _UNSET,
        language_code: str | None = _UNSET,
    ) -> EmulatedUser:
        """The user (and private chat) ``user_id``; created on first call.

        Later calls return the same object, updating only the fields passed.
        """
        user = self._users.get(user_id)
        if user is None:
            user = EmulatedUser(
                self,
                user_id,
                first_name if first_name is not _UNSET else f"User{user_id}",
                None if last_name is _UNSET else last_name,
                None if username is _UNSET else username,
                "en" if language_code is _UNSET else language_code,
            )
            self._users[user_id] = user
            return user
        for name, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not _UNSET:
                setattr(user, name, value)
        return user

    async def redeliver(self, update_id: int) -> None:
        """Deliver ``update_id`` again, as Telegram does for an unconfirmed update."""
        self.updates.redeliver(update_id)

    def update_id_of_callback(self, query_id: str) -> int:
        """The update that carried a callback query, for redelivering it in a test."""
        for update_id, update in self.updates.delivered():
            if update.get("callback_query", {}).get("id") == query_id:
                return update_id
        raise LookupError(f"no update carried callback query {query_id}")

    def spread_webhook(self, urls: list[str]) -> None:
        """A load balancer in front of several replicas: webhook deliveries go to these
        URLs in turn instead of the registered one (which must still be set)."""
        self.webhook.state.spread = list(urls)

    def fail_next(self, method: str, error: ApiError | None = None, *, times: int = 1) -> None:
        """The next `times` calls of `method` fail with `error` (default: 502 Bad Gateway,
        what Telegram answers in a hiccup) before anything is done; recorded as rejections."""
        self._faults.setdefault(method, []).extend([error or bad_gateway()] * times)

    def forget_rejections(self, method: str) -> None:
        """Drop the recorded rejections of one method (for tests where they are expected)."""
        self._rejections[:] = [entry for entry in self._rejections if entry[0] != method]

    def channel_post(self, chat_id: int, text: str, *, title: str = "Splott news") -> int:
        """A post in a channel the bot administers (no sender: channels post as themselves)."""
        if chat_id >= 0:
            raise ValueError("channel chat ids are negative")
        post = {
            "message_id": self.new_message_id(chat_id),
            "chat": {"id": chat_id, "type": "channel", "title": title},
            "sender_chat": {"id": chat_id, "type": "channel", "title": title},
            "date": int(time.time()),
            "text": text,
        }
        return self.enqueue_update({"channel_post": post})

    def enqueue_update(self, payload: dict[str, Any]) -> int:
        """Queue a raw update (without ``update_id``); returns its update_id."""
        return self.updates.enqueue(payload)

    @property
    def rejections(self) -> list[tuple[str, int, str]]:
        return [(method, code, description) for method, code, description, _ in self._rejections]

    def unanswered_callback_queries(self) -> list[str]:
        return [qid for qid, query in self._callback_queries.items() if query.answer is None]

    # -- shared state used by method handlers and users ------------------------------
    def known_user(self, chat_id: int | str | None) -> EmulatedUser | None:
        return self._users.get(chat_id) if isinstance(chat_id, int) else None

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def new_message_id(self, chat_id: int) -> int:
        # Private chats number user and bot messages in one sequence.
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _new_callback_query(self, chat_id: int, message_id: int, data: str) -> str:
        query_id = str(next(self._query_ids))
        self._callback_queries[query_id] = CallbackQueryRecord(
            query_id, chat_id, message_id, data, self.clock()
        )
        return query_id

    def callback_query(self, query_id: str) -> CallbackQueryRecord | None:
        return self._callback_queries.get(query_id)

    def _callback_answered(self, query_id: str) -> asyncio.Event:
        return self._answer_events.setdefault(query_id, asyncio.Event())

    def store_file(self, file: File) -> File:
        number = next(self._file_ids)
        kind = "photos" if file.width is not None else "documents"
        stored = File(
            filename=file.filename,
            content=file.content,
            mime_type=file.mime_type,
            file_id=f"EMU{kind[0].upper()}{number:06d}{self.bot_id:x}",
            file_unique_id=f"emu{number:06d}",
            width=file.width,
            height=file.height,
        )
        self.files[stored.file_id] = stored
        suffix = ""
        if file.filename and "." in file.filename:
            suffix = "." + file.filename.rsplit(".", 1)[1]
        self.file_paths[f"{kind}/file_{number}{suffix}"] = stored.file_id
        return stored

    def file_path_of(self, file_id: str) -> str | None:
        return next((path for path, fid in self.file_paths.items() if fid == file_id), None)

    def _message_dict(self, message: BotMessage) -> dict[str, Any]:
        return message_dict(self, message)

    def _rejections_for(self, chat_id: int) -> list[tuple[str, int, str]]:
        return [(m, code, d) for m, code, d, chat in self._rejections if chat == chat_id]

    # -- HTTP ------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot") or "/" not in path[4:]:
            return self._reply(not_found().body(), 404)
        token, _, method_name = path[4:].partition("/")
        ctx = RequestContext(method=method_name, request=request)
        handler, ctx.method = methods.lookup(method_name)
        try:
            params = await Params.from_request(request)
            self.requests.append((ctx.method, params.decoded()))
            if token != self.token:
                raise unauthorized()
            if handler is None:
                raise not_found()
            if self._faults.get(ctx.method):
                raise self._faults[ctx.method].pop(0)
            result = await handler(self, params, ctx)
        except ApiError as exc:
            self._rejections.append((ctx.method, exc.code, exc.description, ctx.chat_id))
            _log.info("refused %s: %s %s", ctx.method, exc.code, exc.description)
            return self._reply(exc.body(), exc.code)
        return self._reply({"ok": True, "result": result}, 200)

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        file_id = self.file_paths.get(file_path)
        if token != self.token or file_id is None:
            return self._reply(not_found().body(), 404)
        file = self.files[file_id]
        return web.Response(body=file.content, content_type=file.mime_type or "application/octet-stream")

    @staticmethod
    def _reply(body: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
        )
