"""The schema: the timebank's tables, typed SQLAlchemy 2 models, and the Base they share.

The schema already holds what later work needs (shifts, time entries, the ledger,
vouchers, the outbox), so that each capability adds behaviour, not tables.
All times are aware UTC (see UTCDateTime); amounts are integer minutes.
Tables with one reason to change of their own live beside this module: the delivery
engine's bookkeeping (runtime_models), members' /settings (member_settings_models),
broadcasts (broadcast_models) and the weekly summary (summary_models); `bot.db`
imports them all, so the metadata Alembic and the tests read always holds every table.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.enums import (
    AccountKind,
    Attendance,
    Language,
    MemberKind,
    OrganisationKind,
    OutboxStatus,
    Role,
    ShiftStatus,
    SignupStatus,
    SpendKind,
    TimeEntryStatus,
    TransactionKind,
    VoucherStatus,
)
from bot.db.types import UTCDateTime

# The enums are the domain's (bot.db.enums); importing them from here is as good.
__all__ = [
    "NAMING_CONVENTION", "Account", "AccountKind", "ActivityType", "Attendance", "AuditEvent", "Base", "DbsCheck",
    "Dialogue", "GroupMembership", "Language", "LedgerEntry", "LedgerTransaction", "Member", "MemberKind",
    "Neighbourhood", "Organisation", "OrganisationKind", "OutboxMessage", "OutboxStatus", "Role", "RoleGrant",
    "Shift", "ShiftSignup", "ShiftStatus", "SignupStatus", "SpendKind", "SpendOpportunity", "TimeEntry",
    "TimeEntryStatus", "TransactionKind", "Voucher", "VoucherStatus", "stored_enum",
]

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model here is mapped to one Table (no joined or select mappings), so say so:
    # services use `Model.__table__` for Core inserts and updates.
    __table__: ClassVar[Table]


def stored_enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native enum, no CHECK), so adding a value later
    # needs no migration on either database.
    return Enum(cls, native_enum=False, create_constraint=False, length=32,
                values_callable=lambda members: [m.value for m in members])


def _now() -> Any:
    return func.now()


# --------------------------------------------------------------------------- places and organisations


class Neighbourhood(Base):
    __tablename__ = "neighbourhood"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_cy: Mapped[str] = mapped_column(String(120))


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(stored_enum(OrganisationKind))
    name_en: Mapped[str] = mapped_column(String(160))
    name_cy: Mapped[str] = mapped_column(String(160))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"))


class ActivityType(Base):
    __tablename__ = "activity_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_cy: Mapped[str] = mapped_column(String(120))
    # Default for new shifts of this type (children and vulnerable adults).
    requires_dbs: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by TSO staff for work that stands in for a public service that was cut back;
    # the weekly summary reports the share of hours in such activities.
    replaces_reduced_service: Mapped[bool] = mapped_column(Boolean, default=False)


# --------------------------------------------------------------------------- members and roles


class Member(Base):
    """A person or a group in the timebank.

    A member may have no Telegram account (coordinators record hours for them); a
    member who used /forget keeps the row, anonymised, because the ledger needs it.
    """

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MemberKind] = mapped_column(stored_enum(MemberKind), default=MemberKind.INDIVIDUAL)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[Language | None] = mapped_column(stored_enum(Language))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when Telegram says the member blocked the bot, so the outbox stops trying.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # For members without Telegram: the coordinator who recorded them.
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class RoleGrant(Base):
    __tablename__ = "role_grant"
    __table_args__ = (
        # NULL organisation (admin) must still be unique, hence coalesce.
        Index("uq_role_grant_member_role_org", "member_id", "role",
              text("coalesce(organisation_id, 0)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    role: Mapped[Role] = mapped_column(stored_enum(Role))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    granted_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class GroupMembership(Base):
    """Which individuals act for a group member (they may spend its credits)."""

    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("group_member_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)


class DbsCheck(Base):
    __tablename__ = "dbs_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    recorded_by_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())


class AuditEvent(Base):
    """Who did what with privilege: grants, revocations, erasures, reversals."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------------------- dialogue state


class Dialogue(Base):
    """A chat's half-finished dialogue: which flow, which step, what was typed so far.

    Kept here rather than in process memory so a restart or another bot process
    carries on where the member left off.
    """

    __tablename__ = "dialogue"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    # Bumped by every write; a write that expected another version changes nothing, so
    # two processes (or a redelivered press) handling one chat cannot lose or repeat a step.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


# --------------------------------------------------------------------------- ledger


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'scheme' AND member_id IS NULL AND organisation_id IS NULL)"
            " OR (kind = 'member' AND member_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (kind = 'organisation' AND organisation_id IS NOT NULL AND member_id IS NULL)",
            name="one_owner",
        ),
        # One scheme account: two processes starting at once must not each open one.
        Index("uq_account_single_scheme", "kind", unique=True,
              sqlite_where=text("kind = 'scheme'"), postgresql_where=text("kind = 'scheme'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(stored_enum(AccountKind))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), unique=True)
    # A cache of sum(ledger_entry.amount_minutes), changed only in the same database
    # transaction as the entries; it is what the overdraft guard compares against.
    balance_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())


class LedgerTransaction(Base):
    __tablename__ = "ledger_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(stored_enum(TransactionKind))
    # One operation, one transaction: a double tap or a redelivered update reuses the key.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    reverses_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transaction.id"), unique=True)
    memo: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class LedgerEntry(Base):
    """One leg of a transaction. Never updated or deleted (database triggers refuse it)."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_account_id_id", "account_id", "id"),
        CheckConstraint("amount_minutes <> 0", name="nonzero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    amount_minutes: Mapped[int] = mapped_column(BigInteger)


# --------------------------------------------------------------------------- hours


class TimeEntry(Base):
    __tablename__ = "time_entry"
    __table_args__ = (
        Index("ix_time_entry_org_status", "organisation_id", "status"),
        Index("ix_time_entry_member_worked_on", "member_id", "worked_on"),
        CheckConstraint("minutes > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_type.id"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"))
    worked_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[TimeEntryStatus] = mapped_column(stored_enum(TimeEntryStatus), default=TimeEntryStatus.PENDING)
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)


# --------------------------------------------------------------------------- spending


class SpendOpportunity(Base):
    __tablename__ = "spend_opportunity"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[SpendKind] = mapped_column(stored_enum(SpendKind))
    name_en: Mapped[str] = mapped_column(String(160))
    name_cy: Mapped[str] = mapped_column(String(160))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_cy: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(160))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"))
    cost_minutes: Mapped[int] = mapped_column(Integer)
    # False once the offer is withdrawn (dropped from the configuration); the row stays,
    # because vouchers refer to it.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Vouchers one member may take for this offer per week (Monday to Sunday, scheme time).
    weekly_limit: Mapped[int | None] = mapped_column(Integer)
    # Staff paused it in the bot (sold out, venue closed for the holidays): hidden from
    # members until resumed. Separate from `active`, which the configuration owns.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Created or edited in the bot: the configuration sync leaves it alone from then on.
    managed_in_bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class Voucher(Base):
    __tablename__ = "voucher"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    spend_opportunity_id: Mapped[int] = mapped_column(ForeignKey("spend_opportunity.id"))
    cost_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[VoucherStatus] = mapped_column(stored_enum(VoucherStatus), default=VoucherStatus.ISSUED)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    spend_transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"))
    refund_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"))


# --------------------------------------------------------------------------- shifts


class Shift(Base):
    __tablename__ = "shift"
    __table_args__ = (
        Index("ix_shift_status_starts_at", "status", "starts_at"),
        # /shifts filtered by activity or by neighbourhood, in start order.
        Index("ix_shift_status_activity_starts_at", "status", "activity_type_id", "starts_at"),
        Index("ix_shift_status_neighbourhood_starts_at", "status", "neighbourhood_id", "starts_at"),
        CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity_range"),
        CheckConstraint("booked_count >= 0 AND booked_count <= capacity", name="within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_type.id"))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"))
    venue: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[int] = mapped_column(Integer, default=1)
    requires_dbs: Mapped[bool] = mapped_column(Boolean, default=False)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_cy: Mapped[str] = mapped_column(Text, default="")
    # Shifts created together by "repeat weekly for N weeks" share a series id.
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[ShiftStatus] = mapped_column(stored_enum(ShiftStatus), default=ShiftStatus.OPEN)
    # Guarded counter: a booking increments it only while it is below capacity,
    # which is what keeps capacity under concurrent sign-ups on both databases.
    booked_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ShiftSignup(Base):
    __tablename__ = "shift_signup"
    __table_args__ = (
        # One live sign-up per member and shift; cancelled ones stay as history.
        Index("uq_shift_signup_live", "shift_id", "member_id", unique=True,
              sqlite_where=text("status <> 'cancelled'"),
              postgresql_where=text("status <> 'cancelled'")),
        Index("ix_shift_signup_member_status", "member_id", "status"),
        Index("ix_shift_signup_shift_status", "shift_id", "status"),
    )

    # The id orders the waitlist: first come, first promoted.
    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    status: Mapped[SignupStatus] = mapped_column(stored_enum(SignupStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance: Mapped[Attendance | None] = mapped_column(stored_enum(Attendance))
    minutes_attended: Mapped[int | None] = mapped_column(Integer)
    time_entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entry.id"))


# --------------------------------------------------------------------------- outbox


class OutboxMessage(Base):
    """A notification to send. Rendered at send time in the recipient's language.

    `dedupe_key` makes "remind member 7 of shift 12" a fact that can be recorded once,
    whichever process or restart tries to record it again.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),
                      Index("ix_outbox_status_priority_not_before", "status", "priority", "not_before"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(stored_enum(OutboxStatus), default=OutboxStatus.PENDING)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A claim is a lease: a dispatcher that dies mid-send lets it lapse and another retries.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    # Higher goes first: a reminder due in an hour before a newsletter (outbox.Priority).
    priority: Mapped[int] = mapped_column(Integer, default=20, server_default=text("20"))
    # Telegram's id of the message sent, so a progress message can be edited, a notice withdrawn.
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A recipient of this broadcast (its progress and report count these rows).
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcast.id"), index=True)
    # Sent to this chat rather than the member's own (a neighbourhood's group; the member wrote it).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
