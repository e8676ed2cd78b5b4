"""The real `coprod-bot run` as a child process, for tests that start, kill and restart
it the way an operator or a crash would."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _toml_value(value: Any) -> str:  # noqa: ANN401
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_file(directory: Path, raw: dict[str, Any]) -> Path:
    """`raw` (a configuration as tests/conftest.py's TEST_CONFIG spells it) as a TOML
    file, without the [telegram] and [database] tables the environment sets."""
    lines: list[str] = []
    for table, body in raw.items():
        if table in ("telegram", "database"):
            continue
        if isinstance(body, dict):
            lines.append(f"[{table}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in body.items())
        else:
            for item in body:
                lines.append(f"[[{table}]]")
                lines.extend(f"{key} = {_toml_value(value)}" for key, value in item.items())
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class BotProcess:
    """`coprod-bot run` pointed at an emulator and a database."""

    def __init__(self, directory: Path, *, token: str, base_url: str, database_url: str,
                 config: Path | None = None, verbose: bool = False) -> None:
        self.directory = directory
        self.arguments = ["run", *(["--config", str(config)] if config else []), *(["--verbose"] if verbose else [])]
        self.environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
        self.environment.update({"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": database_url,
                                 "COPROD_TELEGRAM_TOKEN": token, "COPROD_TELEGRAM_BASE_URL": base_url})
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.directory / f"bot-{self.starts}.log"

    async def start(self) -> None:
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", *self.arguments, cwd=self.directory, env=self.environment,
                stdout=asyncio.subprocess.PIPE, stderr=log)
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        if b"is running" not in line:
            raise AssertionError(f"the bot did not start: {line!r}\n{self.log_path.read_text()[-3000:]}")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise
