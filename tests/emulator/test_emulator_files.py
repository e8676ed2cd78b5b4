"""sendDocument / sendPhoto multipart uploads, file_id reuse and downloads."""

from __future__ import annotations

import struct
import zlib

import pytest
import telegram
from telegram.error import BadRequest

from bot.emulator import EmulatedUser, TelegramEmulator


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


async def test_document_round_trips_bytes(bot: telegram.Bot, ceri: EmulatedUser, emu: TelegramEmulator) -> None:
    payload = "BEGIN:VCALENDAR\r\nSUMMARY:Gardd gymunedol ✿\r\nEND:VCALENDAR\r\n".encode()
    sent = await bot.send_document(
        1001, payload, filename="shifft.ics", caption="<b>Eich shifft</b>", parse_mode="HTML"
    )
    assert sent.document.file_name == "shifft.ics"
    assert sent.document.file_size == len(payload)
    assert sent.caption == "Eich shifft" and sent.caption_entities[0].type == "bold"

    message = await ceri.next_message(timeout=1)
    assert message.document is not None
    assert message.document.content == payload
    assert message.document.filename == "shifft.ics"
    assert message.document.mime_type == "text/calendar"
    assert message.text == "Eich shifft" and message.html == "<b>Eich shifft</b>"

    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    params = next(params for method, params in emu.requests if method == "sendDocument")
    assert params["chat_id"] == 1001 and params["parse_mode"] == "HTML"
    assert params["document"].content == payload  # the multipart part, as uploaded


async def test_resend_by_file_id(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    first = await bot.send_document(1001, b"rota", filename="rota.csv")
    again = await bot.send_document(1001, first.document.file_id)
    assert again.document.file_id == first.document.file_id
    assert ceri.last_message.document.content == b"rota"
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.send_document(1001, "no-such-file-id")


async def test_empty_file_and_long_caption_are_refused(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    with pytest.raises(BadRequest, match="(?i)file must be non-empty"):
        await bot.send_document(1001, b"", filename="empty.txt")
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_document(1001, b"x", filename="x.txt", caption="c" * 1025)


async def test_photo_upload(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    png = tiny_png(30, 20)
    sent = await bot.send_photo(1001, png, caption="Cod QR")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (30, 20)
    message = await ceri.next_message(timeout=1)
    assert message.photo == png and message.text == "Cod QR" and message.document is None
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(1001, b"definitely not an image")
    with pytest.raises(BadRequest, match="(?i)photo_invalid_dimensions"):
        await bot.send_photo(1001, tiny_png(400, 10))
