"""Engines and transactions for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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


@dataclass
class _SharedRead:
    """The read-only transaction one update's look-ups share (see Database.reads_together)."""

    database: Database
    task: asyncio.Task[Any] | None
    session: AsyncSession | None = None
    # Read blocks open on each session: one left behind by a write is closed by its last.
    in_use: dict[AsyncSession, int] = field(default_factory=dict)

    def detach(self) -> AsyncSession | None:
        """The session stops being shared; returned when nobody is using it (to close)."""
        session, self.session = self.session, None
        return session if session is not None and not self.in_use.get(session) else None


_shared_read: ContextVar[_SharedRead | None] = ContextVar("coprod_shared_read", default=None)


def _current_shared_read() -> _SharedRead | None:
    shared = _shared_read.get()
    # Only in the task that opened it: a task started from there (which inherits the
    # context) must not use the same session concurrently.
    return shared if shared is not None and shared.task is asyncio.current_task() else None


async def end_shared_read() -> None:
    """The current update's shared read ends here; reads after it begin a new one. Called
    before talking to Telegram, so no transaction stays open across a network call."""
    shared = _current_shared_read()
    if shared is not None:
        session = shared.detach()
        if session is not None:
            await session.close()


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
        """One database transaction: committed on success, rolled back on any error.
        A shared read under way ends first: what is read after this sees what it wrote."""
        await end_shared_read()
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads: on SQLite it does not take the write lock, so
        the lookups every update makes never queue behind a booking or a payment. Inside
        `reads_together`, every read joins one such transaction."""
        shared = _current_shared_read()
        if shared is None or shared.database is not self:
            async with self.sessions() as session:
                await session.connection(execution_options={READ_ONLY: True})
                # Closing the session ends the transaction (the pool rolls it back); objects
                # read keep their loaded values, as after a commit with expire_on_commit off.
                yield session
            return
        if shared.session is None:
            opened = self.sessions()
            try:
                await opened.connection(execution_options={READ_ONLY: True})
            except BaseException:
                await opened.close()
                raise
            shared.session = opened
        session = shared.session
        shared.in_use[session] = shared.in_use.get(session, 0) + 1
        try:
            yield session
        except BaseException:
            if shared.session is session:  # a failed read is not shared on
                shared.detach()
            raise
        finally:
            shared.in_use[session] -= 1
            if not shared.in_use[session]:
                del shared.in_use[session]
                if shared.session is not session:  # left behind by a write or a Telegram call
                    await session.close()

    @asynccontextmanager
    async def reads_together(self) -> AsyncIterator[None]:
        """One update's look-ups (member, roles, dialogue, what the handler shows) in one
        read-only transaction instead of one each: every `read()` in this task joins it,
        until a write begins or the bot talks to Telegram (`end_shared_read`), after
        which the next read begins afresh. One snapshot for the look-ups, and never a
        transaction held open across a write or a network call."""
        shared = _SharedRead(self, asyncio.current_task())
        token = _shared_read.set(shared)
        try:
            yield
        finally:
            _shared_read.reset(token)
            session = shared.detach()
            if session is not None:
                await session.close()

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
