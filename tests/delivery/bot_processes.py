"""`coprod-bot run` as child processes, for the delivery tests that kill them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db.models import OutboxMessage, OutboxStatus
from bot.db.runtime_models import LeaderLease
from bot.db.session import Database
from bot.emulator import TelegramEmulator
from tests.conftest import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def _toml(value: Any) -> str:  # noqa: ANN401
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(directory: Path, **delivery: object) -> Path:
    """TEST_CONFIG as a file, with [delivery] settings; token, API and database come
    from the environment."""
    lines: list[str] = [f"[delivery]", *(f"{key} = {_toml(value)}" for key, value in delivery.items())]
    for table, body in TEST_CONFIG.items():
        if table == "telegram":
            continue
        if isinstance(body, dict):
            lines += [f"[{table}]", *(f"{key} = {_toml(value)}" for key, value in body.items())]
        else:
            for item in body:
                lines += [f"[[{table}]]", *(f"{key} = {_toml(value)}" for key, value in item.items())]
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class BotProcess:
    def __init__(self, directory: Path, emulator: TelegramEmulator, database_url: str, config: Path, *,
                 role: str = "all") -> None:
        self.directory = directory
        self.arguments = ["run", "--config", str(config), "--role", role]
        self.environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
        self.environment.update({"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": database_url,
                                 "COPROD_TELEGRAM_TOKEN": emulator.token,
                                 "COPROD_TELEGRAM_BASE_URL": emulator.base_url})
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.starts += 1
        log = (self.directory / f"bot-{id(self)}-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *self.arguments, cwd=self.directory, env=self.environment,
            stdout=asyncio.subprocess.PIPE, stderr=log)
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        if b"is running" not in line:
            raise AssertionError(f"the bot did not start: {line!r}")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def sent_count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENT)) or 0)


async def pending_chats(db: Database) -> list[int]:
    """Members (by Telegram id offset: member ids equal row order here) still pending."""
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage.member_id).where(
            OutboxMessage.status == OutboxStatus.PENDING)))


async def leader(db: Database) -> tuple[str, float] | None:
    async with db.read() as session:
        row = await session.scalar(select(LeaderLease))
        return (row.holder, row.term) if row is not None else None
