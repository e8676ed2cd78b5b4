"""Fixtures shared by the whole suite: databases (SQLite always, PostgreSQL when
COPROD_TEST_DATABASE_URL is set), a frozen clock, and a configuration.

Every test that takes `db` runs once per database; the PostgreSQL run is skipped
with a visible reason where no server was given.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text

from bot.clock import FrozenClock
from bot.config import Config, parse_config
from bot.db.migrate import upgrade
from bot.db.models import Base
from bot.db.session import Database

POSTGRES_URL = os.environ.get("COPROD_TEST_DATABASE_URL", "").strip()
NO_POSTGRES = "PostgreSQL tests skipped: set COPROD_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"

# A Monday in winter (GMT), far from either clock change, unless a test moves it.
DEFAULT_NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)

TEST_CONFIG = {
    "telegram": {"token": "123456:TEST-TOKEN", "bot_username": "coprod_test_bot"},
    "scheme": {"timezone": "Europe/London", "default_language": "cy"},
    "admins": {"telegram_user_ids": [9000]},
    "neighbourhoods": [
        {"slug": "splott", "name_en": "Splott", "name_cy": "Sblot"},
        {"slug": "ely", "name_en": "Ely", "name_cy": "Trelái"},
    ],
    "organisations": [
        {"slug": "splott-community", "kind": "neighbourhood_tso", "name_en": "Splott Community Trust",
         "name_cy": "Ymddiriedolaeth Gymunedol Sblot", "neighbourhood": "splott"},
        {"slug": "ely-hub", "kind": "neighbourhood_tso", "name_en": "Ely Community Hub",
         "name_cy": "Hyb Cymunedol Trelái", "neighbourhood": "ely"},
        {"slug": "cardiff-council", "kind": "corporate_partner", "name_en": "Cardiff Council",
         "name_cy": "Cyngor Caerdydd"},
    ],
    "activity_types": [
        {"slug": "holiday-activities", "name_en": "Children's holiday activities",
         "name_cy": "Gweithgareddau gwyliau i blant", "requires_dbs": True},
        {"slug": "day-centre", "name_en": "Seniors' day centre", "name_cy": "Canolfan ddydd i bobl hŷn",
         "requires_dbs": True, "replaces_reduced_service": True},
        {"slug": "community-hub", "name_en": "Community hub", "name_cy": "Hyb cymunedol"},
    ],
}


# In CI (CI=true) hypothesis draws the same examples every run, so a submission lands or
# not on its own merits, never on a lucky draw; on developers' machines it keeps exploring
# (and remembers what failed in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
    settings.load_profile("ci")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"PostgreSQL: {'at ' + POSTGRES_URL if POSTGRES_URL else NO_POSTGRES}",
            f"hypothesis profile: {settings.get_current_profile_name()}"]


@pytest.fixture
def config() -> Config:
    return parse_config(TEST_CONFIG)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_NOW)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: migrating once keeps the suite quick."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        database = Database.from_url(f"sqlite+aiosqlite:///{path}")
        await upgrade(database)
        await database.dispose()  # the last connection to close checkpoints the WAL into the file

    asyncio.run(build())
    return path


_postgres_migrated = False


async def _fresh_postgres() -> Database:
    global _postgres_migrated
    database = Database.from_url(POSTGRES_URL)
    if not _postgres_migrated:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await upgrade(database)
        _postgres_migrated = True
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return database


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / "coprod-test.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty, migrated database, once per database kind."""
    if request.param == "sqlite":
        yield sqlite_copy(sqlite_template, tmp_path)
    else:
        if not POSTGRES_URL:
            pytest.skip(NO_POSTGRES)
        yield POSTGRES_URL


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    if database_url.startswith("postgresql"):
        database = await _fresh_postgres()
    else:
        database = Database.from_url(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """For tests whose subject does not depend on the database kind."""
    database = Database.from_url(sqlite_copy(sqlite_template, tmp_path))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def reference(db: Database, config: Config) -> dict[str, int]:
    """Reference data synced from TEST_CONFIG; returns {slug: id} over all three tables."""
    from bot.services.reference import activity_types, neighbourhoods, organisations, sync_reference_data

    await sync_reference_data(db, config)
    ids: dict[str, int] = {}
    for listing in (neighbourhoods, organisations, activity_types):
        ids.update({item.slug: item.id for item in await listing(db)})
    return ids


@pytest.fixture
def make_member(db: Database, clock: FrozenClock):
    """Creates a registered member (with a ledger account) straight in the database."""
    from bot.db.models import Language, Member, MemberKind, Neighbourhood
    from bot.services.accounts import member_account

    async def make(name: str = "Member", *, telegram_user_id: int | None = None, language: str = "en",
                   neighbourhood: str | None = "splott", kind: MemberKind = MemberKind.INDIVIDUAL) -> int:
        async with db.transaction() as session:
            neighbourhood_id = None
            if neighbourhood is not None:
                from sqlalchemy import select
                neighbourhood_id = await session.scalar(
                    select(Neighbourhood.id).where(Neighbourhood.slug == neighbourhood))
            member = Member(kind=kind, telegram_user_id=telegram_user_id, display_name=name,
                            language=Language(language), neighbourhood_id=neighbourhood_id,
                            consented_at=clock.now(), registered_at=clock.now())
            session.add(member)
            await session.flush()
            await member_account(session, member.id)
            return member.id

    return make
