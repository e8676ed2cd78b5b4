"""On SQLite a read-only transaction does not wait for a writer; a writer still waits
for a writer."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.db.session import Database


async def test_reads_do_not_queue_behind_a_write(sqlite_db: Database) -> None:
    release = asyncio.Event()
    writing = asyncio.Event()

    async def slow_writer() -> None:
        async with sqlite_db.transaction() as session:
            await session.execute(text("INSERT INTO neighbourhood (slug, name_en, name_cy) VALUES ('x', 'X', 'X')"))
            writing.set()
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await writing.wait()
    async with sqlite_db.read() as session:  # would wait up to the busy timeout if it took the write lock
        count = await asyncio.wait_for(session.scalar(text("SELECT count(*) FROM neighbourhood")), 2)
    assert count == 0  # the writer's row is not committed yet: a consistent snapshot
    release.set()
    await writer
    async with sqlite_db.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM neighbourhood")) == 1
