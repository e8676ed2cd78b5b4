"""indexes for /shifts filtered by activity or neighbourhood

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_shift_status_activity_starts_at", "shift", ["status", "activity_type_id", "starts_at"])
    op.create_index("ix_shift_status_neighbourhood_starts_at", "shift", ["status", "neighbourhood_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_shift_status_neighbourhood_starts_at", table_name="shift")
    op.drop_index("ix_shift_status_activity_starts_at", table_name="shift")
