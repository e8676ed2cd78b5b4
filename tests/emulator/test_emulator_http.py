"""The HTTP surface: tokens, unknown methods, JSON and GET requests."""

from __future__ import annotations

import httpx
import pytest
import telegram
from telegram.error import InvalidToken

from bot.emulator import EmulatedUser, TelegramEmulator


async def test_wrong_token_is_unauthorized(emu: TelegramEmulator, make_bot) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot("999:WRONG"):
            pass
    assert emu.rejections == [("getMe", 401, "Unauthorized")]


async def test_unknown_method_and_raw_requests(emu: TelegramEmulator, ceri: EmulatedUser) -> None:
    url = f"{emu.base_url}{emu.token}"
    async with httpx.AsyncClient() as client:
        unknown = await client.post(f"{url}/sendInvoice", data={"chat_id": 1001, "title": "x"})
        assert unknown.status_code == 404
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        # A JSON body with typed values, and a lower-case method name.
        sent = await client.post(f"{url}/sendmessage", json={"chat_id": 1001, "text": "123"})
        assert sent.json()["result"]["text"] == "123"
        # GET with query parameters works too.
        me = await client.get(f"{url}/getMe")
        assert me.json()["result"]["username"] == "coprod_test_bot"
        too_long = await client.get(f"{url}/sendMessage", params={"chat_id": "1001", "text": "x" * 4097})
        assert too_long.status_code == 400
    assert [r[0] for r in emu.requests] == ["sendInvoice", "sendMessage", "getMe", "sendMessage"]
    assert emu.requests[1][1] == {"chat_id": 1001, "text": "123"}
    assert [r[:2] for r in emu.rejections] == [("sendInvoice", 404), ("sendMessage", 400)]


async def test_form_values_keep_their_declared_types(
    bot: telegram.Bot, emu: TelegramEmulator, ceri: EmulatedUser
) -> None:
    # PTB sends strings unquoted and other values JSON-encoded; "true" stays text.
    sent = await bot.send_message(1001, "true")
    assert sent.text == "true"
    assert emu.requests[-1] == ("sendMessage", {"chat_id": 1001, "text": "true"})
