"""On SQLite a read-only transaction does not wait for a writer; a writer still waits
for a writer. One update's reads share one read-only transaction until it writes or
talks to Telegram."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, text

from bot.db.session import READ_ONLY, Database, end_shared_read


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


def _count_begins(db: Database) -> list[bool]:
    began: list[bool] = []
    event.listen(db.engine.sync_engine, "begin",
                 lambda connection: began.append(bool(connection.get_execution_options().get(READ_ONLY))))
    return began


async def test_one_updates_reads_share_one_read_only_transaction(db: Database) -> None:
    began = _count_begins(db)
    async with db.reads_together():
        for _ in range(3):
            async with db.read() as session:
                assert await session.scalar(text("SELECT count(*) FROM neighbourhood")) is not None
    assert began == [True]


async def test_after_a_write_the_next_read_sees_it(db: Database) -> None:
    began = _count_begins(db)
    async with db.reads_together():
        async with db.read() as session:
            before = await session.scalar(text("SELECT count(*) FROM neighbourhood"))
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO neighbourhood (slug, name_en, name_cy) VALUES ('y', 'Y', 'Y')"))
        async with db.read() as session:
            assert await session.scalar(text("SELECT count(*) FROM neighbourhood")) == before + 1
    assert began == [True, False, True]


async def test_talking_to_telegram_ends_the_shared_read(db: Database) -> None:
    began = _count_begins(db)
    async with db.reads_together():
        async with db.read() as session:
            await session.scalar(text("SELECT 1"))
        await end_shared_read()  # what the interactive lane does before each request
        async with db.read() as session:
            await session.scalar(text("SELECT 1"))
    assert began == [True, True]


async def test_a_task_started_inside_reads_on_its_own(db: Database) -> None:
    async def count() -> int | None:
        async with db.read() as session:
            return await session.scalar(text("SELECT count(*) FROM neighbourhood"))

    async with db.reads_together():
        async with db.read() as session:
            await session.scalar(text("SELECT 1"))
            # Concurrent reads from tasks of its own: one session can't serve them at once.
            assert len(set(await asyncio.gather(count(), count(), count()))) == 1
