"""delivery engine: outbox priority and Telegram message ids; the leader lease

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default=sa.text("20"), nullable=False))
        batch.add_column(sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_outbox_status_priority_not_before", "outbox_message", ["status", "priority", "not_before"])
    op.create_table(
        "leader_lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leader_lease")),
    )


def downgrade() -> None:
    op.drop_table("leader_lease")
    op.drop_index("ix_outbox_status_priority_not_before", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("telegram_message_id")
        batch.drop_column("priority")
