"""Resolving file parameters and checking photos the way Telegram does."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .errors import bad_request
from .models import File
from .params import Params, Upload, guess_mime

if TYPE_CHECKING:
    from .server import TelegramEmulator


def resolve_upload(emu: TelegramEmulator, params: Params, name: str) -> tuple[Upload | None, File | None]:
    """Return (new upload, or an already stored file re-sent by file_id)."""
    value = params.upload(name)
    if value is None or value == "":
        raise bad_request(f"there is no {name} in the request")
    if isinstance(value, Upload):
        if not value.content:
            raise bad_request("file must be non-empty")
        return value, None
    stored = emu.files.get(value)
    if stored is None:
        # URLs would be fetched by Telegram; the emulator is offline, so both
        # unknown ids and URLs get the answer Telegram gives for bad ones.
        raise bad_request("wrong file identifier/HTTP URL specified")
    return None, stored


def new_document(upload: Upload) -> File:
    return File(filename=upload.filename, content=upload.content, mime_type=guess_mime(upload))


def new_photo(upload: Upload) -> File:
    size = image_size(upload.content)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return File(
        filename=upload.filename,
        content=upload.content,
        mime_type=guess_mime(upload),
        width=width,
        height=height,
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF or WebP; None if not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return (width, height) if width and height else None
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return 512, 512  # dimensions vary by WebP flavour; they are not needed here
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):  # start of frame: the size lives here
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return (width, height) if width and height else None
        i += 2 + length
    return None
