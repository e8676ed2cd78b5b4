"""spend opportunities: weekly limit per member, paused by staff, managed in the bot

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spend_opportunity") as batch:
        batch.add_column(sa.Column("weekly_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paused_at", bot.db.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("managed_in_bot", sa.Boolean(), server_default=sa.text("false"),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("spend_opportunity") as batch:
        batch.drop_column("managed_in_bot")
        batch.drop_column("paused_at")
        batch.drop_column("weekly_limit")
