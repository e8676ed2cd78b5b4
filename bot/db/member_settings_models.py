"""A member's own choices (/settings) and the activity types they want to hear about.

Rules and defaults are in bot/services/member_settings.py; `bot.db` imports this module,
so the metadata always holds these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.enums import ReminderOffset
from bot.db.models import Base
from bot.db.types import UTCDateTime


class MemberSettings(Base):
    """A member's choices in /settings; a member with no row has the defaults
    (bot/services/member_settings.py). Quiet hours are local wall times "HH:MM"; equal
    start and end mean none."""

    __tablename__ = "member_settings"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    # ReminderOffset values, at most two; an empty list is "no reminders".
    reminder_offsets: Mapped[list[str]] = mapped_column(JSON, default=lambda: [ReminderOffset.DAY.value,
                                                                               ReminderOffset.TWO_HOURS.value])
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    broadcasts: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberInterest(Base):
    """An activity type a member wants to hear about (broadcasts, Find cover)."""

    __tablename__ = "member_interest"
    __table_args__ = (Index("ix_member_interest_activity_type_id", "activity_type_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_type.id"), primary_key=True)
