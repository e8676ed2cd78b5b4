"""`coprod-bot demo`: the real bot, the local Telegram emulator and a terminal chat.

Type as a member; press inline buttons by their number (`#2` on the newest message with
buttons, `#3.2` for message 3's second button); `/as NAME` switches member.
Everything runs on this machine: no Telegram account, no network.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import TextIO

from bot.config import parse_config
from bot.demo.seed import PERSONAS, DemoClock, Persona, seed_activity, seed_demo
from bot.emulator import BotMessage, EmulatedUser, TelegramEmulator
from bot.runtime import prepare, start_polling, stop
from bot.services.container import Services

DEMO_CONFIG = Path(__file__).with_name("cardiff.toml")
TOKEN = "424242:DEMO-TOKEN"
QUIET_AFTER_SECONDS = 0.8
# The bot always answers what a member sends; on a busy machine the first answer can take
# longer than the quiet pause, and a script would run ahead of it.
FIRST_ANSWER_SECONDS = 6.0
ANSWER_WAIT_SECONDS = 3.0
# "#2": button 2 of the newest message with buttons; "#3.2": button 2 of message 3.
PRESS = re.compile(r"#(?:(?P<message>\d+)\.)?(?P<button>\d+)")

HELP = """Commands of the demo itself:
  /as NAME   switch member ({names})
  /who       list the demo members
  #1, #2 ... press the inline button with that number on the newest message with buttons
  #3.2       press button 2 of message 3 (each message shows its number, each button #message.button)
  /quit      leave the demo
Anything else is sent to the bot as that member (try /start, /help, /me)."""


def render(message: BotMessage, speaker: str) -> str:
    lines = [f"┌─ bot → {speaker} · message {message.message_id}" + (" (edited)" if message.edited else "")]
    if message.document is not None:
        lines.append(f"│ 📎 {message.document.filename} ({message.document.size} bytes)")
    if message.photo is not None:
        lines.append(f"│ 🖼  picture ({len(message.photo)} bytes)")
    lines.extend(f"│ {line}" for line in message.text.splitlines() or [""])
    number = 1
    for row in message.buttons:
        cells = []
        for button in row:
            cells.append(f"[#{message.message_id}.{number}] {button.text}" if button.callback_data
                         else f"[{button.text} ↗ {button.url}]")
            number += 1
        lines.append("│ " + "   ".join(cells))
    if message.reply_keyboard:
        lines.append("│ menu: " + " | ".join(label for row in message.reply_keyboard for label in row))
    lines.append("└─")
    return "\n".join(lines)


def render_answer(answer: dict[str, object]) -> str | None:
    """The bot's answer to a button: an alert (a box the member must close) or a brief notice."""
    if not answer.get("text"):
        return None
    return f"{'⚠ alert' if answer.get('show_alert') else '💬 notice'}: {answer['text']}"


class DemoChat:
    def __init__(self, emulator: TelegramEmulator, services: Services, out: TextIO, *, echo: bool) -> None:
        self.emulator = emulator
        self.services = services
        self.out = out
        self.echo = echo
        self.personas = {persona.key: persona for persona in PERSONAS}
        self.users: dict[str, EmulatedUser] = {}
        self.current = self.personas["ceri"]

    def user(self, persona: Persona) -> EmulatedUser:
        if persona.key not in self.users:
            self.users[persona.key] = self.emulator.user(
                user_id=persona.telegram_user_id, first_name=persona.name, language_code=persona.language)
        return self.users[persona.key]

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def show_replies(self, persona: Persona, *, expecting: bool = False) -> None:
        """What the bot sent this member, until it has been quiet for a moment; `expecting`
        an answer, the first is waited for longer."""
        user = self.user(persona)
        wait = FIRST_ANSWER_SECONDS if expecting else QUIET_AFTER_SECONDS
        while True:
            try:
                event = await user.next_event(timeout=wait)
            except TimeoutError:
                return
            self.say(render(event, persona.name))
            wait = QUIET_AFTER_SECONDS

    async def handle(self, line: str) -> bool:
        """One line typed by the person at the terminal; False to quit."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        if line == "/who":
            for persona in PERSONAS:
                mark = "→" if persona is self.current else " "
                self.say(f" {mark} /as {persona.key:<9} {persona.name}: {await self.describe(persona)}")
            return True
        if line.startswith("/as"):
            key = line[3:].strip().lower()
            if key not in self.personas:
                self.say(f"No demo member called {key!r}. Try /who.")
                return True
            self.current = self.personas[key]
            self.say(f"— you are now {self.current.name} ({self.current.describe}) —")
            await self.show_replies(self.current)  # anything the bot sent them meanwhile
            return True
        user = self.user(self.current)
        if self.echo:  # typed lines are on screen already; scripted ones are not
            self.say(f"{self.current.name}: {line}")
        press = PRESS.fullmatch(line)
        if press is not None:
            try:
                query_id = await self.press(user, press["message"], int(press["button"]))
            except (LookupError, ValueError, AssertionError) as error:
                self.say(f"(no button {line} to press: {error})")
                return True
            # An alert may be the whole answer to a press; a message always gets one.
            expecting = not await self.show_answer(user, query_id)
        else:
            await user.send_text(line)
            expecting = True
        await self.show_replies(self.current, expecting=expecting)
        return True

    async def describe(self, persona: Persona) -> str:
        """Who they are now: a newcomer who has registered since the demo began says so."""
        if not persona.registered and await self.services.members.by_telegram_id(persona.telegram_user_id):
            return "registered during this demo"
        return persona.describe

    @staticmethod
    async def press(user: EmulatedUser, message_id: str | None, button: int) -> str:
        if message_id is None:
            return await user.press(button)
        message = next((m for m in user.messages if m.message_id == int(message_id)), None)
        if message is None:
            raise LookupError(f"there is no message {message_id} in this chat")
        flat = [b for row in message.buttons for b in row]
        if not 1 <= button <= len(flat):
            raise LookupError(f"message {message_id} has {len(flat)} buttons")
        data = flat[button - 1].callback_data
        if data is None:
            raise LookupError(f"button {button} of message {message_id} is a link: {flat[button - 1].url}")
        return await user.press_data(message.message_id, data)

    async def show_answer(self, user: EmulatedUser, query_id: str) -> bool:
        """Shows the answer to a press; True when it said something (an alert or a notice)."""
        try:
            answer = await user.callback_answer(query_id, timeout=ANSWER_WAIT_SECONDS)
        except TimeoutError:
            return False
        shown = render_answer(answer)
        if shown:
            self.say(shown)
        return shown is not None


async def run_demo(*, database_path: str | None = None, script: str | None = None,
                   out: TextIO = sys.stdout) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="coprod-demo-") as scratch:
        database = Path(database_path) if database_path else Path(scratch) / "demo.db"
        emulator = TelegramEmulator(token=TOKEN, bot_username="coprod_demo_bot")
        await emulator.start(host="127.0.0.1", port=0)
        raw = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))
        raw["telegram"] = {"token": TOKEN, "base_url": emulator.base_url, "bot_username": "coprod_demo_bot"}
        raw["database"] = {"url": f"sqlite+aiosqlite:///{database}"}
        clock = DemoClock()
        services = await prepare(parse_config(raw), clock=clock)
        application = None
        try:
            if await services.members.by_telegram_id(PERSONAS[0].telegram_user_id) is None:
                await seed_demo(services)  # a fresh database; a --database kept from before is used as it is
                await seed_activity(services, clock)
            chat = DemoChat(emulator, services, out, echo=script is not None or not sys.stdin.isatty())
            for persona in PERSONAS:  # every demo member has a chat before the first notification goes
                chat.user(persona)
            application = await start_polling(services, poll_timeout=2, outbox_interval=0.5)
            chat.say("coprod-bot demo: the real bot on a local Telegram emulator, with a fresh demo database.")
            chat.say(HELP.format(names=", ".join(p.key for p in PERSONAS)))
            chat.say(f"— you are {chat.current.name} ({chat.current.describe}) —")
            lines = _script_lines(script) if script else None
            while True:
                if lines is not None:
                    if not lines:
                        break
                    line = lines.pop(0)
                else:
                    try:
                        line = await asyncio.to_thread(input, f"{chat.current.name}> ")
                    except EOFError:
                        break
                if not await chat.handle(line):
                    break
        finally:
            if application is not None:
                await stop(application)
            await services.db.dispose()
            await emulator.stop()
    return 0


def _script_lines(path: str) -> list[str]:
    # "# a comment" (hash and space) is skipped; "#2" presses button 2.
    return [line for line in Path(path).read_text(encoding="utf-8").splitlines()
            if not (line.startswith("# ") or line == "#")]
