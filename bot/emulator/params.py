"""Decoding Bot API request parameters the way the real server does.

PTB sends form fields where strings are sent as-is and every other value is
JSON-encoded (so ``chat_id=1001`` and ``text="1001"`` look identical on the
wire); uploads arrive as multipart parts.  The server therefore decodes each
parameter by the type it expects, never by guessing - which is what these
typed getters do.  A JSON body and query-string parameters are accepted too.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import bad_request

_JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "allowed_updates", "commands",
        "scope", "menu_button", "link_preview_options", "reply_parameters",
    }
)
_INT_FIELDS = frozenset(
    {"message_id", "offset", "limit", "timeout", "reply_to_message_id", "cache_time", "message_thread_id"}
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content: bytes
    content_type: str | None


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self._values = values
        self._uploads = uploads or {}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON request body")  # pragma: no cover
                values.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[name] = Upload(
                            filename=value.filename,
                            content=value.file.read(),
                            content_type=value.content_type,
                        )
                    else:
                        values[name] = value
        return cls(values, uploads)

    def __contains__(self, name: str) -> bool:
        return name in self._values or name in self._uploads

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float | None = None) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")

    def get_json(self, name: str) -> Any:
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self) -> int | str | None:
        value = self._values.get("chat_id")
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text  # "@channelusername": never a chat the emulator knows

    def upload(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part, or a file_id / URL string."""
        if name in self._uploads:
            return self._uploads[name]
        value = self.get_str(name)
        if value and value.startswith("attach://"):
            return self._uploads.get(value[len("attach://") :])
        return value

    def decoded(self) -> dict[str, Any]:
        """Typed view of all parameters, recorded in ``TelegramEmulator.requests``."""
        out: dict[str, Any] = {}
        for name in self._values:
            if name in _JSON_FIELDS:
                try:
                    out[name] = self.get_json(name)
                except Exception:
                    out[name] = self._values[name]
            elif name in _INT_FIELDS:
                try:
                    out[name] = self.get_int(name)
                except Exception:
                    out[name] = self._values[name]
            elif name == "chat_id":
                out[name] = self.chat_id()
            else:
                out[name] = self._values[name]
        for name, upload in self._uploads.items():
            out[name] = upload
        return out


def guess_mime(upload: Upload) -> str:
    if upload.content_type and upload.content_type != "application/octet-stream":
        return upload.content_type
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return guessed or upload.content_type or "application/octet-stream"
