"""`coprod-bot demo` starts the emulator and the bot, and answers in Welsh and English."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo.terminal import run_demo


async def test_demo_chat_answers_in_welsh_and_english(tmp_path: Path) -> None:
    script = tmp_path / "chat.txt"
    script.write_text("/help\n/as sam\n/help\n/shifts\n#4\n/as newcomer\n/start\n#2\n/quit\n", encoding="utf-8")
    out = io.StringIO()
    assert await run_demo(script=str(script), out=out) == 0
    transcript = out.getvalue()
    assert "Beth allwch chi ei wneud" in transcript  # Ceri, in Welsh
    assert "What you can do" in transcript  # Sam, in English
    assert "shifts you could take" in transcript and "[#4]" in transcript
    assert "Sign up" in transcript  # pressing 4 opened a shift card
    assert "Your privacy" in transcript  # the newcomer chose English at /start
    assert "Traceback" not in transcript
