"""The weekly summary's table (migration 0009) and the indexes its figures read through.

Kept apart from bot/db/models.py (which is at its size); `bot.db` imports it, so the
metadata Alembic and the tests compare always holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, Member, TimeEntry, Voucher
from bot.db.types import UTCDateTime


class SummarySnapshot(Base):
    """A summary as it was sent: figures only (no member's name, id or number), so a
    past week re-sent reads exactly as it did, also after members are erased."""

    __tablename__ = "summary_snapshot"
    __table_args__ = (
        # One row per distinct content of a week and scope (the whole scheme's id is NULL).
        Index("uq_summary_snapshot_week_scope_hash", "week", "scope_kind", text("coalesce(scope_id, 0)"),
              "content_hash", unique=True),
        Index("ix_summary_snapshot_week_scope", "week", "scope_kind", "scope_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8))  # "2026-W48"
    scope_kind: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The week's rows found through an index, whatever the years of history behind them.
# Covering: a week's hours, volunteers and trends are read from the index alone.
Index("ix_time_entry_status_worked_on", TimeEntry.status, TimeEntry.worked_on, TimeEntry.member_id,
      TimeEntry.activity_type_id, TimeEntry.organisation_id, TimeEntry.minutes)
Index("ix_time_entry_org_status_worked_on", TimeEntry.organisation_id, TimeEntry.status, TimeEntry.worked_on)
Index("ix_time_entry_ledger_transaction_id", TimeEntry.ledger_transaction_id)
Index("ix_voucher_issued_at", Voucher.issued_at)
Index("ix_voucher_status_redeemed_at", Voucher.status, Voucher.redeemed_at)
Index("ix_member_neighbourhood_id", Member.neighbourhood_id)
