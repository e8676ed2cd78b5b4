"""broadcasts: the broadcast table; outbox rows name their broadcast and, for a group post, the chat

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_member_id", sa.Integer(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_cy", sa.Text(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("group_neighbourhood_id", sa.Integer(), nullable=True),
        sa.Column("group_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("opted_out_count", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("progress_shown", sa.Integer(), nullable=False),
        sa.Column("progress_shown_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_member_id"], ["member.id"], name=op.f("fk_broadcast_author_member_id_member")),
        sa.ForeignKeyConstraint(["group_neighbourhood_id"], ["neighbourhood.id"],
                                name=op.f("fk_broadcast_group_neighbourhood_id_neighbourhood")),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"], name=op.f("fk_broadcast_shift_id_shift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )
    op.create_index("ix_broadcast_author_member_id_id", "broadcast", ["author_member_id", "id"])
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(op.f("fk_outbox_message_broadcast_id_broadcast"), "broadcast",
                                 ["broadcast_id"], ["id"])
        batch.create_index(op.f("ix_outbox_message_broadcast_id"), ["broadcast_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index(op.f("ix_outbox_message_broadcast_id"))
        batch.drop_constraint(op.f("fk_outbox_message_broadcast_id_broadcast"), type_="foreignkey")
        batch.drop_column("chat_id")
        batch.drop_column("broadcast_id")
    op.drop_index("ix_broadcast_author_member_id_id", table_name="broadcast")
    op.drop_table("broadcast")
