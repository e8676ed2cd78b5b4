"""The delivery engine's own bookkeeping: the updates that arrived (the inbox) and who
leads the scheduled jobs and the dispatcher. No domain rule reads these tables; they
change with the runtime (bot/delivery, bot/services/inbox.py), not with the timebank.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.enums import InboxStatus
from bot.db.models import Base, stored_enum
from bot.db.types import UTCDateTime


class InboxUpdate(Base):
    """An update from Telegram, stored before Telegram is told it was received, so a
    process that dies leaves it for the next one, and one that arrives twice (Telegram
    redelivering what was never confirmed) is handled once.

    A process claims the rows it is handling with a short lease that it renews while it
    is alive; rows whose lease ran out belong to a process that died and are taken over.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_status_update_id", "status", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Which chat it belongs to: updates of one chat are handled in order.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[InboxStatus] = mapped_column(stored_enum(InboxStatus), default=InboxStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LeaderLease(Base):
    """Who runs the scheduled jobs and the dispatcher: one row per duty, held by the
    worker that renews it before `expires_at`; a lapsed row is anyone's to take."""

    __tablename__ = "leader_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped at each change of holder, so a holder can tell it lost the lease in between.
    term: Mapped[int] = mapped_column(Integer, default=1)
