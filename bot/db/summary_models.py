"""The weekly summary's tables (migrations 0009 and 0010) and the indexes its figures read through.

Kept apart from bot/db/models.py (which is at its size); `bot.db` imports it, so the
metadata Alembic and the tests compare always holds it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, text
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


class SummaryWeek(Base):
    """One closed week's figures for one scope, worked out once and read by every later
    summary that shows the week (as itself, beside another, or in a trend).

    Kept exactly right by `stamp`: the sum of the `summary_week_stamp` generations of
    this week and every week before it when the figures were read. Database triggers
    (migration 0010) bump the generation of a week whose records change (a late
    approval, a reversal, attendance marked, a voucher expiring); a row whose stamp no
    longer matches is worked out again. Figures only, like a snapshot."""

    __tablename__ = "summary_week"
    __table_args__ = (
        Index("uq_summary_week_week_scope", "week", "scope_kind", text("coalesce(scope_id, 0)"), unique=True),
        # The triggers ask "is a week that ends after this moment stored?" (rows landing in the past).
        Index("ix_summary_week_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8))  # "2026-W48"
    scope_kind: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int | None] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stamp: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SummaryWeekStamp(Base):
    """How often the records of the week starting `monday` changed (bumped by triggers).
    Monday 5 January 1970 stands for changes that touch every week (a member moving
    neighbourhood, an activity type's flag)."""

    __tablename__ = "summary_week_stamp"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)


# The week's rows found through an index, whatever the years of history behind them.
# Covering: a week's hours, volunteers and trends are read from the index alone.
Index("ix_time_entry_status_worked_on", TimeEntry.status, TimeEntry.worked_on, TimeEntry.member_id,
      TimeEntry.activity_type_id, TimeEntry.organisation_id, TimeEntry.minutes)
Index("ix_time_entry_org_status_worked_on", TimeEntry.organisation_id, TimeEntry.status, TimeEntry.worked_on)
Index("ix_time_entry_ledger_transaction_id", TimeEntry.ledger_transaction_id)
Index("ix_voucher_issued_at", Voucher.issued_at)
Index("ix_voucher_status_redeemed_at", Voucher.status, Voucher.redeemed_at)
# Covering: each neighbourhood's registered members (the equity view) from the index alone.
Index("ix_member_neighbourhood_registered", Member.neighbourhood_id, Member.registered_at, Member.erased_at)
# What each corporate partner still owes in kind: its offers' issued vouchers, from the index alone.
Index("ix_voucher_status_offer_issued_at", Voucher.status, Voucher.spend_opportunity_id, Voucher.issued_at,
      Voucher.cost_minutes)
