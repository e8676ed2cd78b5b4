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
