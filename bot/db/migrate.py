"""Applying the Alembic migrations shipped inside the package, one process at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from filelock import FileLock
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from bot.db.session import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock's key: a fixed 64-bit number that nothing else in the bot locks.
SCHEMA_LOCK_KEY = 0x0C0_9A0D_5C4E_4A


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(database: Database, revision: str = "base") -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision())


@asynccontextmanager
async def schema_lock(database: Database) -> AsyncIterator[None]:
    """Holds the database's schema lock: migrations and the reference-data sync of two
    processes starting together run one after the other, never interleaved, so the
    second finds the schema at head and the reference rows already there instead of
    dying on a unique violation.

    PostgreSQL: a session advisory lock, on a connection of its own that holds nothing
    else; a process that dies loses its connection and with it the lock. SQLite: a lock
    file beside the database (the OS releases it when the process dies); an in-memory
    database belongs to one process and needs none.
    """
    if database.dialect == "postgresql":
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            await connection.commit()  # a session lock outlives the transaction that took it
            try:
                yield
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                await connection.commit()
        return
    path = make_url(str(database.engine.url)).database
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    lock = FileLock(f"{path}.lock")
    await asyncio.to_thread(lock.acquire)
    try:
        yield
    finally:
        lock.release()
