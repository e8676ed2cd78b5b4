"""The operator runs `coprod-bot run --verbose`: the log is full of requests, refusals
and errors, and nowhere in it is the bot token."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot.emulator import TelegramEmulator
from bot.log_redaction import REDACTED, RedactSecrets

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "654321:SECRET-part-of-the-token-xyz"
SECRET_HALF = TOKEN.split(":", 1)[1]


async def test_a_verbose_run_with_refusals_and_errors_never_logs_the_token(tmp_path: Path) -> None:
    emulator = TelegramEmulator(token=TOKEN, bot_username="coprod_test_bot")
    await emulator.start(host="127.0.0.1", port=0)
    port = emulator.port
    environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
    environment.update({"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/v.db",
                        "COPROD_TELEGRAM_TOKEN": TOKEN, "COPROD_TELEGRAM_BASE_URL": emulator.base_url})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--verbose", cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert b"is running" in await asyncio.wait_for(process.stdout.readline(), 30)
        member = emulator.user(user_id=42, first_name="Ceri", language_code="en")
        await member.send_text("/start")
        await member.next_message(timeout=15)
        # Refused by "Telegram": the member blocks the bot, then presses a button, so
        # the bot's answer comes back 403.
        member.block()
        await member.press(1)
        # An update python-telegram-bot cannot read is skipped with an error.
        emulator.enqueue_update({"message": {"message_id": "not a number", "chat": "nonsense"}})
        await asyncio.sleep(1.5)
        emulator.forget_rejections("sendMessage")
        emulator.forget_rejections("editMessageText")
        # Telegram goes away for a moment: polling fails with network errors.
        await emulator.stop()
        await asyncio.sleep(3)
        await emulator.start(host="127.0.0.1", port=port)
        other = emulator.user(user_id=43, first_name="Dai", language_code="en")
        await other.send_text("/help")
        await other.next_message(timeout=20)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await emulator.stop()
    log = (await process.stderr.read()).decode() + (await process.stdout.read()).decode()
    print(f"{len(log.splitlines())} log lines, {log.count(REDACTED)} redactions")
    assert "HTTP Request" in log, "httpx request lines are the ones that carried the token"
    assert "Forbidden" in log or "blocked" in log
    assert "could not be read" in log
    assert log.count(REDACTED) > 5
    assert TOKEN not in log and SECRET_HALF not in log


def test_exception_text_and_arguments_of_third_party_loggers_are_redacted() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.addFilter(RedactSecrets([TOKEN]))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("httpcore.connection").debug("connect_tcp url=%s", f"http://x/bot{TOKEN}/getMe")
        logging.getLogger("apscheduler.executors").info("job %r", {"url": f"/bot{TOKEN}/sendMessage"})
        try:
            raise RuntimeError(f"POST /bot{TOKEN.replace(':', '%3A')}/getUpdates failed")
        except RuntimeError:
            logging.getLogger("telegram.ext.Updater").exception("polling failed for %s", SECRET_HALF)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = "\n".join(records)
    assert len(records) == 3 and "Traceback" in text and "getUpdates failed" in text
    assert TOKEN not in text and SECRET_HALF not in text and "%3A" + SECRET_HALF not in text
    assert text.count(REDACTED) == 4


WEBHOOK_SECRET = "the-webhook-Secret_that-must-stay-0123"


async def test_a_webhook_replica_logging_json_at_debug_never_logs_the_token_or_the_secret(tmp_path: Path) -> None:
    """`coprod-bot serve` whose setWebhook Telegram refuses (python-telegram-bot logs the
    request's parameters at DEBUG, secret and all), refusing posts without the secret and
    handling one with it: every line is JSON, one per update with the member's id and no
    name, and neither the token nor the secret appears anywhere."""
    import json
    import socket

    import httpx

    from bot.webhook import SECRET_HEADER

    emulator = TelegramEmulator(token=TOKEN, bot_username="coprod_test_bot")
    await emulator.start(host="127.0.0.1", port=0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
    environment.update({
        "PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/w.db",
        "COPROD_TELEGRAM_TOKEN": TOKEN, "COPROD_TELEGRAM_BASE_URL": emulator.base_url,
        # A host that never resolves: Telegram refuses the webhook, the leader keeps trying.
        "COPROD_WEBHOOK__URL": f"https://hook.example.invalid/telegram/{WEBHOOK_SECRET}",
        "COPROD_WEBHOOK__SECRET": WEBHOOK_SECRET, "COPROD_WEBHOOK__LISTEN_PORT": str(port),
        "COPROD_LOGGING__FORMAT": "json", "COPROD_LOGGING__LEVEL": "DEBUG"})
    log_path = tmp_path / "serve.log"  # a file, not a pipe: DEBUG says more than a pipe holds
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", cwd=tmp_path, env=environment,
            stdout=asyncio.subprocess.PIPE, stderr=log_file)
    member = emulator.user(user_id=4242, first_name="Gwenllian", last_name="Prydderch", language_code="en")
    update = {"update_id": 501, "message": {"message_id": 1, "date": 0, "text": "/start",
                                             "from": member.as_user(), "chat": member.as_chat()}}
    try:
        assert b"is running" in await asyncio.wait_for(process.stdout.readline(), 30)
        endpoint = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            assert (await client.post(endpoint, json=update)).status_code == 403
            assert (await client.post(endpoint, json=update, headers={SECRET_HEADER: "guess"})).status_code == 403
            assert (await client.post(endpoint, content=b"{not json",
                                      headers={SECRET_HEADER: WEBHOOK_SECRET})).status_code == 400
            assert (await client.post(endpoint, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})).status_code \
                == 200
        await member.next_message(timeout=15)
        await asyncio.sleep(1.5)  # the leader's first refused setWebhook and its retry
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await emulator.stop()
    log = log_path.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON
    print(f"{len(lines)} log lines, {log.count(REDACTED)} redactions")
    assert any("could not register the webhook" in line["message"] for line in lines)
    assert any("refused a webhook request" in line["message"] for line in lines)
    assert any("setWebhook" in line["message"] and REDACTED in line["message"] for line in lines)
    updates = [line for line in lines if line.get("event") == "update"]
    assert [(line["update_id"], line["kind"], line["handler"], line["member_telegram_id"], line["outcome"])
            for line in updates] == [(501, "message", "/start", 4242, "handled")]
    assert isinstance(updates[0]["latency_ms"], float)
    assert "Gwenllian" not in json.dumps(updates) and "Prydderch" not in json.dumps(updates)
    assert TOKEN not in log and SECRET_HALF not in log and WEBHOOK_SECRET not in log
