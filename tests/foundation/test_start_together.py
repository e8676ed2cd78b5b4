"""Two bot processes start at the same moment on an empty database (a deploy with two
replicas, or an operator starting one twice): both come up, the schema is migrated
once, the reference data is there once, and both answer members."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.db.models import Neighbourhood, Organisation
from bot.db.session import Database
from bot.emulator import TelegramEmulator
from tests.conftest import NO_POSTGRES, POSTGRES_URL, TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 2


async def _empty_postgres() -> AsyncIterator[str]:
    """A database of its own, created empty for this test and dropped after it."""
    import asyncpg

    base = make_url(POSTGRES_URL)
    name = f"{base.database}_start_together"
    admin = await asyncpg.connect(host=base.host, port=base.port or 5432, user=base.username,
                                  password=base.password, database=base.database)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/together.db"
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    async for url in _empty_postgres():
        yield url


def _config_file(directory: Path) -> Path:
    """The test scheme's reference data, so both processes have something to sync."""
    lines = []
    for table in ("neighbourhoods", "organisations"):
        for item in TEST_CONFIG[table]:
            lines.append(f"[[{table}]]")
            lines.extend(f'{key} = "{value}"' for key, value in item.items())
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_two_processes_starting_together_on_an_empty_database_both_run(
        empty_database: str, tmp_path: Path) -> None:
    # Each process polls its own emulator (Telegram allows one poller per bot); they
    # share the one database.
    emulators = [TelegramEmulator(token=f"12345{n}:TOGETHER", bot_username=f"together_{n}_bot")
                 for n in range(PROCESSES)]
    for emulator in emulators:
        await emulator.start(host="127.0.0.1", port=0)
    config = _config_file(tmp_path)
    processes = []
    try:
        for emulator in emulators:
            environment = {key: value for key, value in os.environ.items() if not key.startswith("COPROD_")}
            environment.update({"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": empty_database,
                                "COPROD_TELEGRAM_TOKEN": emulator.token,
                                "COPROD_TELEGRAM_BASE_URL": emulator.base_url})
            processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--config", str(config), cwd=tmp_path,
                env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE))
        for process in processes:
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert b"is running" in line, (await process.stderr.read()).decode()[-3000:]
        for n, emulator in enumerate(emulators):
            member = emulator.user(user_id=100 + n, first_name="Ceri", language_code="en")
            await member.send_text("/start")
            assert "Cymraeg" in (await member.next_message(timeout=20)).button_labels()[0]
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(process.wait(), 30) for process in processes]
        for emulator in emulators:
            await emulator.stop()
    assert codes == [0] * PROCESSES
    database = Database.from_url(empty_database)
    try:
        async with database.read() as session:
            versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            neighbourhoods = await session.scalar(select(func.count()).select_from(Neighbourhood))
            organisations = await session.scalar(select(func.count()).select_from(Organisation))
    finally:
        await database.dispose()
    print(f"alembic_version rows: {versions}; neighbourhoods {neighbourhoods}, organisations {organisations}")
    assert len(versions) == 1
    assert (neighbourhoods, organisations) == (len(TEST_CONFIG["neighbourhoods"]), len(TEST_CONFIG["organisations"]))
