"""at most one scheme account

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_account_single_scheme", "account", ["kind"], unique=True,
                    sqlite_where=sa.text("kind = 'scheme'"), postgresql_where=sa.text("kind = 'scheme'"))


def downgrade() -> None:
    op.drop_index("uq_account_single_scheme", table_name="account")
