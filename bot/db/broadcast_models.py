"""Broadcasts: a coordinator's message to the volunteers they may reach, fixed when
confirmed. Each recipient is an outbox row (`outbox_message.broadcast_id`); this row
holds what was written, to whom (the audience chosen, for the record), and how it went.

Kept apart from bot/db/models.py (one reason to change each); `bot.db` imports it so that the
metadata always holds these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import UTCDateTime


class Broadcast(Base):
    __tablename__ = "broadcast"
    __table_args__ = (Index("ix_broadcast_author_member_id_id", "author_member_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    # Either may be empty (not both): a recipient gets theirs, or the other with a marker.
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_cy: Mapped[str] = mapped_column(Text, default="")
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"))
    # The filters chosen (neighbourhoods, activity types, DBS-cleared only), as a record.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Also posted in this neighbourhood's Telegram group.
    group_neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"))
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # Fixed at confirmation: the outbox rows made, and those left out because they switched broadcasts off.
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    opted_out_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the progress message last said, and when, so it is edited at most every few seconds.
    progress_shown: Mapped[int] = mapped_column(Integer, default=0)
    progress_shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
