"""Engines and transactions for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "coprod_read_only"


class DatabaseUrlError(ValueError):
    pass


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"database.url: {url!r} is not a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise DatabaseUrlError("database.url: use the sqlite+aiosqlite:// driver")
        engine = create_async_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "asyncpg":
            raise DatabaseUrlError("database.url: use the postgresql+asyncpg:// driver")
        return create_async_engine(parsed, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)
    raise DatabaseUrlError(f"database.url: {backend!r} is not supported; use SQLite or PostgreSQL")


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE.

    BEGIN IMMEDIATE takes SQLite's write lock when a transaction starts. Without it, two
    transactions that both read and then write can deadlock on the lock upgrade and one
    fails with "database is locked" at once, whatever the busy timeout. With it,
    transactions queue, which is what makes "read balance, then write" safe.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # 32 MiB of page cache a connection (SQLite's default is 2 MiB): a week's summary
        # over years of history reads through indexes that no longer fit in 2 MiB.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only transaction (Database.read) begins deferred: in WAL mode it reads a
        # snapshot without waiting for, or holding up, any writer.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine plus a session factory; each service call is one transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        return cls(create_engine(url, echo=echo))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One database transaction: committed on success, rolled back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads: on SQLite it does not take the write lock, so
        the lookups every update makes never queue behind a booking or a payment."""
        async with self.sessions() as session:
            await session.connection(execution_options={READ_ONLY: True})
            # Closing the session ends the transaction (the pool rolls it back); objects
            # read keep their loaded values, as after a commit with expire_on_commit off.
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE in the session; how many rows it changed (what a
    guarded update's WHERE clause let through)."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount


_Model = TypeVar("_Model")


async def referenced(session: AsyncSession, model: type[_Model], row_id: Any) -> _Model:
    """The row a foreign key points at: it exists, so a missing one is a broken database."""
    row = await session.get(model, row_id)
    if row is None:
        raise LookupError(f"{getattr(model, '__name__', model)} {row_id!r} is referenced but missing")
    return row
