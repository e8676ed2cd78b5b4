"""The domain's enums, stored as plain strings (see `bot.db.models._enum`) and used by
services and handlers alike: roles, kinds and statuses. `bot.db.models` exports them too."""

from __future__ import annotations

import enum


class Language(enum.StrEnum):
    CY = "cy"
    EN = "en"


class MemberKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class OrganisationKind(enum.StrEnum):
    NEIGHBOURHOOD_TSO = "neighbourhood_tso"
    SPECIALIST_TSO = "specialist_tso"
    COMMUNITY_GROUP = "community_group"
    CORPORATE_PARTNER = "corporate_partner"


class Role(enum.StrEnum):
    # "volunteer" is every registered member and is never stored as a grant.
    COORDINATOR = "coordinator"
    STAFF = "staff"
    PARTNER = "partner"
    ADMIN = "admin"

    @property
    def needs_organisation(self) -> bool:
        return self is not Role.ADMIN


class AccountKind(enum.StrEnum):
    SCHEME = "scheme"  # issues every credit earned; its balance is minus all credits in circulation
    MEMBER = "member"  # an individual's or a group's
    ORGANISATION = "organisation"  # a partner or venue that receives spent credits


class TransactionKind(enum.StrEnum):
    EARN = "earn"
    SPEND = "spend"
    TRANSFER = "transfer"
    REFUND = "refund"
    REVERSAL = "reversal"


class TimeEntryStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SpendKind(enum.StrEnum):
    CORPORATE = "corporate"
    COMMUNITY = "community"


class VoucherStatus(enum.StrEnum):
    ISSUED = "issued"
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ShiftStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class SignupStatus(enum.StrEnum):
    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanently: blocked bot, chat gone, too many attempts
    WITHDRAWN = "withdrawn"  # taken back before it went (a broadcast stopped by its author)


class InboxStatus(enum.StrEnum):
    RECEIVED = "received"  # stored before Telegram was told; not handled yet
    HANDLED = "handled"
    GIVEN_UP = "given_up"  # claimed too many times: each attempt died with its process


class ReminderOffset(enum.StrEnum):
    """How long before a shift a member wants to be reminded (`/settings`)."""

    WEEK = "1w"
    TWO_DAYS = "2d"
    DAY = "24h"
    TWO_HOURS = "2h"

    @property
    def minutes(self) -> int:
        return {"1w": 7 * 24 * 60, "2d": 2 * 24 * 60, "24h": 24 * 60, "2h": 2 * 60}[self.value]
