"""Two bot processes start at the same moment on an empty database (a deploy that
overlaps the old process and the new, or replicas): both come up, the schema is
migrated once, the reference data is there once, and members are answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.db.models import Neighbourhood, Organisation
from bot.db.session import Database
from bot.emulator import TelegramEmulator
from tests.conftest import NO_POSTGRES, POSTGRES_URL, TEST_CONFIG
from tests.processes import BotProcess, config_file

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


async def test_two_processes_starting_together_on_an_empty_database_both_run(
        empty_database: str, tmp_path: Path) -> None:
    emulator = TelegramEmulator(token="123456:TOGETHER", bot_username="coprod_test_bot")
    await emulator.start(host="127.0.0.1", port=0)
    config = config_file(tmp_path, TEST_CONFIG)
    processes = [BotProcess(tmp_path / f"p{n}", token=emulator.token, base_url=emulator.base_url,
                            database_url=empty_database, config=config) for n in range(PROCESSES)]
    try:
        for process in processes:
            process.directory.mkdir()
        await asyncio.gather(*(process.start() for process in processes))
        member = emulator.user(user_id=100, first_name="Ceri", language_code="en")
        await member.send_text("/start")
        assert "Cymraeg" in (await member.next_message(timeout=20)).button_labels()[0]
        assert all(process.process.returncode is None for process in processes)  # both still running
    finally:
        codes = [await process.stop() for process in processes]
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
