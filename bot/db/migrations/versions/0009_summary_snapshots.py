"""weekly summaries: snapshots of what was sent, and the indexes the figures read through

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("scope_kind", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_snapshot")),
    )
    op.create_index("uq_summary_snapshot_week_scope_hash", "summary_snapshot",
                    ["week", "scope_kind", sa.text("coalesce(scope_id, 0)"), "content_hash"], unique=True)
    op.create_index("ix_summary_snapshot_week_scope", "summary_snapshot", ["week", "scope_kind", "scope_id", "id"])
    op.create_index("ix_time_entry_status_worked_on", "time_entry",
                    ["status", "worked_on", "member_id", "activity_type_id", "organisation_id", "minutes"])
    op.create_index("ix_time_entry_org_status_worked_on", "time_entry", ["organisation_id", "status", "worked_on"])
    op.create_index("ix_time_entry_ledger_transaction_id", "time_entry", ["ledger_transaction_id"])
    op.create_index("ix_voucher_issued_at", "voucher", ["issued_at"])
    op.create_index("ix_voucher_status_redeemed_at", "voucher", ["status", "redeemed_at"])
    op.create_index("ix_member_neighbourhood_id", "member", ["neighbourhood_id"])


def downgrade() -> None:
    op.drop_index("ix_member_neighbourhood_id", table_name="member")
    op.drop_index("ix_voucher_status_redeemed_at", table_name="voucher")
    op.drop_index("ix_voucher_issued_at", table_name="voucher")
    op.drop_index("ix_time_entry_ledger_transaction_id", table_name="time_entry")
    op.drop_index("ix_time_entry_org_status_worked_on", table_name="time_entry")
    op.drop_index("ix_time_entry_status_worked_on", table_name="time_entry")
    op.drop_index("ix_summary_snapshot_week_scope", table_name="summary_snapshot")
    op.drop_index("uq_summary_snapshot_week_scope_hash", table_name="summary_snapshot")
    op.drop_table("summary_snapshot")
