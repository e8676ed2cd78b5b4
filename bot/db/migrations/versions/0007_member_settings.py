"""member preferences: /settings (reminders, quiet hours, broadcasts) and activity interests

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_settings",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reminder_offsets", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("broadcasts", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_settings_member_id_member")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_settings")),
    )
    op.create_table(
        "member_interest",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("activity_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["activity_type_id"], ["activity_type.id"],
                                name=op.f("fk_member_interest_activity_type_id_activity_type")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_interest_member_id_member")),
        sa.PrimaryKeyConstraint("member_id", "activity_type_id", name=op.f("pk_member_interest")),
    )
    op.create_index("ix_member_interest_activity_type_id", "member_interest", ["activity_type_id"])


def downgrade() -> None:
    op.drop_index("ix_member_interest_activity_type_id", table_name="member_interest")
    op.drop_table("member_interest")
    op.drop_table("member_settings")
