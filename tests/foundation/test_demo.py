"""`coprod-bot demo` starts the emulator and the bot, and answers in Welsh and English."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.demo.terminal import run_demo


async def play(tmp_path: Path, *lines: str) -> str:
    script = tmp_path / "chat.txt"
    script.write_text("\n".join([*lines, "/quit"]) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert await run_demo(script=str(script), out=out) == 0
    transcript = out.getvalue()
    assert "Traceback" not in transcript
    return transcript


async def test_demo_chat_answers_in_welsh_and_english(tmp_path: Path) -> None:
    transcript = await play(tmp_path, "/help", "/as sam", "/help", "/shifts", "#4", "/as newcomer", "/start", "#2")
    assert "Beth allwch chi ei wneud" in transcript  # Ceri, in Welsh
    assert "What you can do" in transcript  # Sam, in English
    assert "upcoming shifts" in transcript and re.search(r"\[#\d+\.4\]", transcript)
    assert "Sign up" in transcript  # pressing 4 opened a shift card
    assert "Your privacy" in transcript  # the newcomer chose English at /start


async def test_alerts_older_buttons_a_finished_shift_and_a_reminder(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path,
        "# Ceri is booked on a shift starting within the reminder window: she is reminded.",
        "/myshifts",
        "# Sam opens a shift that needs a DBS check he does not have: the refusal is an alert.",
        "/as sam", "/shifts", "#2.6", "#1",
        "# Tom's shift has just ended: he is asked who came, and presses that older message's buttons.",
        "/as tom", "/help", "#1.1", "#1.1", "#1.5",
        "# Ceri hears she was credited.",
        "/as ceri",
    )
    ceri = transcript.split("— you are now Sam")[0]
    assert "⏰" in ceri  # the reminder
    assert "⚠ alert: This shift needs a DBS check" in transcript
    tom = transcript.split("— you are now Tom")[1].split("— you are now Sam")[0]
    assert "has finished" in tom and "Who came?" in tom
    assert "Confirmed: 1 person credited." in tom  # pressed on message 1 after /help sent message 3
    assert "wedi cadarnhau eich bod chi wedi bod yno" in transcript.split("— you are now Ceri")[-1]


async def test_who_knows_the_newcomer_has_registered(tmp_path: Path) -> None:
    transcript = await play(tmp_path, "/who", "/as newcomer", "/start", "#1", "#1", "#1", "#1", "/who")
    before, after = transcript.split("Nia: /start")
    assert "Nia: not registered yet" in before
    assert "Nia: registered during this demo" in after and "not registered yet" not in after
