"""durable inbox of updates; a version on each dialogue

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("received", "handled", "given_up", name="inboxstatus", native_enum=False,
                                    create_constraint=False, length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox_update")),
    )
    op.create_index("ix_inbox_update_status_update_id", "inbox_update", ["status", "update_id"])
    op.create_index(op.f("ix_inbox_update_chat_id"), "inbox_update", ["chat_id"])
    with op.batch_alter_table("dialogue") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("dialogue") as batch:
        batch.drop_column("version")
    op.drop_index(op.f("ix_inbox_update_chat_id"), table_name="inbox_update")
    op.drop_index("ix_inbox_update_status_update_id", table_name="inbox_update")
    op.drop_table("inbox_update")
