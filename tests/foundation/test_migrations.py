"""The migrations build exactly the schema the models describe, on both databases,
and go down and up again cleanly."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.migrate import current_revision, downgrade, upgrade
from bot.db.models import Base
from bot.db.session import Database


async def schema_differences(db: Database) -> list:
    def compare(connection):  # noqa: ANN001, ANN202
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the expression index cannot be reflected on SQLite
            return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as connection:
        return await connection.run_sync(compare)


async def test_migrations_match_the_models(db: Database) -> None:
    assert await schema_differences(db) == []


async def test_down_and_up_again(db: Database) -> None:
    await downgrade(db, "base")
    assert await current_revision(db) is None
    await upgrade(db)
    assert await current_revision(db) == "0010"
    assert await schema_differences(db) == []
