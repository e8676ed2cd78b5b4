"""Logging hours, and coordinators approving them into time credits.

A member (or a coordinator for them) logs a time entry; it waits as `pending` until a
coordinator of that entry's organisation approves it, which credits the member through
`Ledger.earn` in the same database transaction, or rejects it with a reason. One hour
given is one hour earned, whatever the work.

Rules, each decided in one place:
* `log_refusal` decides whether an entry may be logged (LogRefusal).
* `decision_refusal` decides whether a coordinator may approve or reject an entry:
  only a coordinator of that entry's organisation, never for their own hours, and only
  while it is pending. The state change is a guarded UPDATE ... WHERE status='pending',
  so a double tap or a redelivered update decides (and credits) exactly once; the
  earn's idempotency key `time-entry:{id}` makes the crediting itself once-only too.
* `group_credit_refusal` decides a coordinator's crediting of a whole group activity.

Notifications (outbox kinds) written here, with their payload keys. They are only
recorded for members who can receive them (a Telegram account, not erased):

* "hours_approved" to the volunteer, dedupe key "hours_approved:{time_entry_id}":
    time_entry_id (int), minutes (int), worked_on (ISO date), organisation_id (int),
    activity_type_id (int), transaction_id (int), balance_minutes (int, after the credit)
  (also sent for each attendee credited by `credit_group_activity`)
* "hours_rejected" to the volunteer, dedupe key "hours_rejected:{time_entry_id}":
    time_entry_id, minutes, worked_on, organisation_id, activity_type_id, reason (str)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import (
    ActivityType,
    AuditEvent,
    Member,
    MemberKind,
    Neighbourhood,
    Organisation,
    Role,
    TimeEntry,
    TimeEntryStatus,
)
from bot.db.session import Database
from bot.services import roles
from bot.services.accounts import member_account
from bot.services.ledger import Ledger
from bot.services.member_facts import is_reachable, is_registered
from bot.services.members import NameProblem, check_display_name
from bot.services.outbox import enqueue
from bot.services.reference import Named

MAX_MINUTES_PER_DAY = 720  # twelve hours: more in one day is almost certainly a typo
NOTE_MAX = 500
REASON_MAX = 500
IDEMPOTENCY_KEY_MAX = 120

_LIVE = (TimeEntryStatus.PENDING, TimeEntryStatus.APPROVED)


# --------------------------------------------------------------------------- results


class LogRefusal(enum.StrEnum):
    NOT_REGISTERED = "not_registered"  # the member (or the submitter) is unknown, unregistered or erased
    UNKNOWN_ORGANISATION = "unknown_organisation"
    UNKNOWN_ACTIVITY = "unknown_activity"
    NOT_ALLOWED = "not_allowed"  # submitted for someone else by a non-coordinator of the organisation
    ZERO = "zero"  # no minutes (or a negative number)
    NOTE_TOO_LONG = "note_too_long"  # more than NOTE_MAX characters
    IN_FUTURE = "in_future"  # after today in Europe/London
    TOO_OLD = "too_old"  # before today minus hours.log_window_days
    TOO_LONG_FOR_ONE_DAY = "too_long_for_one_day"  # with the day's pending/approved entries > 720 minutes


@dataclass(frozen=True)
class LoggedEntry:
    entry_id: int
    member_id: int
    organisation_id: int
    activity_type_id: int
    worked_on: date
    minutes: int
    status: TimeEntryStatus
    possible_duplicate: bool
    created: bool  # False: the idempotency key was used already; this is that entry


@dataclass(frozen=True)
class PendingEntry:
    entry_id: int
    member_id: int
    member_display_name: str | None
    organisation: Named
    activity: Named
    worked_on: date
    minutes: int
    note: str | None
    possible_duplicate: bool
    submitted_at: datetime
    submitted_by_member_id: int
    shift_id: int | None


class DecisionOutcome(enum.StrEnum):
    """The answer to approve() and reject() (they share every check)."""

    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_FOUND = "not_found"
    NOT_COORDINATOR = "not_coordinator"  # not a coordinator of this entry's organisation
    OWN_ENTRY = "own_entry"  # nobody decides on their own hours
    ALREADY_DECIDED = "already_decided"
    REASON_MISSING = "reason_missing"  # reject only
    REASON_TOO_LONG = "reason_too_long"  # reject only


@dataclass(frozen=True)
class Decision:
    outcome: DecisionOutcome
    entry_id: int
    member_id: int | None = None
    minutes: int | None = None
    transaction_id: int | None = None  # APPROVED: the earn


@dataclass(frozen=True)
class ApproveAllResult:
    approved: int  # entries approved now
    minutes: int  # minutes credited now
    skipped_own: int  # the coordinator's own pending entries, left for someone else
    members: int  # distinct members credited


class GroupCreditRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    UNKNOWN_ACTIVITY = "unknown_activity"
    ZERO = "zero"
    NOTE_TOO_LONG = "note_too_long"
    IN_FUTURE = "in_future"
    TOO_OLD = "too_old"
    NO_ATTENDEES = "no_attendees"
    UNKNOWN_ATTENDEE = "unknown_attendee"  # member_ids: the unknown, unregistered or erased ones
    INCLUDES_COORDINATOR = "includes_coordinator"  # nobody credits their own hours
    NOT_A_GROUP = "not_a_group"  # group_member_id is not a member of kind group
    TOO_LONG_FOR_ONE_DAY = "too_long_for_one_day"  # member_ids: whose day would pass 720 minutes


@dataclass(frozen=True)
class GroupCreditRefused:
    reason: GroupCreditRefusal
    member_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CreditedEntry:
    member_id: int
    entry_id: int
    transaction_id: int | None


@dataclass(frozen=True)
class GroupCredited:
    entries: tuple[CreditedEntry, ...]  # attendees, then the group (if any), by member id
    minutes_each: int
    created: bool  # False: the idempotency key was used already; nothing new was credited

    @property
    def total_minutes(self) -> int:
        return self.minutes_each * len(self.entries)


class RecordRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"  # of no organisation at all
    UNKNOWN_NEIGHBOURHOOD = "unknown_neighbourhood"
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    NAME_NOT_TEXT = "name_not_text"


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class LogFacts:
    """Everything `log_refusal` needs, read from the database in one transaction."""

    member_registered: bool
    submitter_registered: bool
    submitted_for_someone_else: bool
    submitter_coordinates_organisation: bool
    organisation_known: bool
    activity_known: bool
    minutes: int
    note: str | None
    worked_on: date
    today: date
    window_days: int
    minutes_logged_that_day: int  # the member's pending and approved entries of that date


def log_refusal(facts: LogFacts) -> LogRefusal | None:
    """The one rule for logging hours; None means the entry may be logged."""
    if not facts.member_registered or not facts.submitter_registered:
        return LogRefusal.NOT_REGISTERED
    if not facts.organisation_known:
        return LogRefusal.UNKNOWN_ORGANISATION
    if not facts.activity_known:
        return LogRefusal.UNKNOWN_ACTIVITY
    if facts.submitted_for_someone_else and not facts.submitter_coordinates_organisation:
        return LogRefusal.NOT_ALLOWED
    if facts.minutes <= 0:
        return LogRefusal.ZERO
    if facts.note is not None and len(facts.note) > NOTE_MAX:
        return LogRefusal.NOTE_TOO_LONG
    if facts.worked_on > facts.today:
        return LogRefusal.IN_FUTURE
    if facts.worked_on < facts.today - timedelta(days=facts.window_days):
        return LogRefusal.TOO_OLD
    if facts.minutes_logged_that_day + facts.minutes > MAX_MINUTES_PER_DAY:
        return LogRefusal.TOO_LONG_FOR_ONE_DAY
    return None


def decision_refusal(*, found: bool, entry_member_id: int | None, entry_organisation_id: int | None,
                     status: TimeEntryStatus | None, coordinator_member_id: int,
                     coordinated_organisation_ids: set[int], entry_submitted_by: int | None = None
                     ) -> DecisionOutcome | None:
    """The one rule for approving or rejecting an entry; None means the coordinator may.

    Nobody decides hours they gave, nor hours they recorded for someone else (a member
    without Telegram): a second person always looks at what is credited."""
    if not found:
        return DecisionOutcome.NOT_FOUND
    if entry_organisation_id not in coordinated_organisation_ids:
        return DecisionOutcome.NOT_COORDINATOR
    if coordinator_member_id in (entry_member_id, entry_submitted_by):
        return DecisionOutcome.OWN_ENTRY
    if status is not TimeEntryStatus.PENDING:
        return DecisionOutcome.ALREADY_DECIDED
    return None


@dataclass(frozen=True)
class GroupCreditFacts:
    coordinator_member_id: int
    coordinates_organisation: bool
    organisation_known: bool
    activity_known: bool
    minutes: int
    note: str | None
    worked_on: date
    today: date
    window_days: int
    attendee_member_ids: tuple[int, ...]
    unknown_member_ids: tuple[int, ...]  # attendees (or the group) not registered
    group_member_id: int | None
    group_is_group: bool
    minutes_logged_that_day: dict[int, int]  # per credited member


def group_credit_refusal(facts: GroupCreditFacts) -> GroupCreditRefused | None:
    """The one rule for crediting a group activity; None means it may be credited."""
    if not facts.organisation_known:
        return GroupCreditRefused(GroupCreditRefusal.UNKNOWN_ORGANISATION)
    if not facts.coordinates_organisation:
        return GroupCreditRefused(GroupCreditRefusal.NOT_COORDINATOR)
    if not facts.activity_known:
        return GroupCreditRefused(GroupCreditRefusal.UNKNOWN_ACTIVITY)
    if facts.minutes <= 0:
        return GroupCreditRefused(GroupCreditRefusal.ZERO)
    if facts.note is not None and len(facts.note) > NOTE_MAX:
        return GroupCreditRefused(GroupCreditRefusal.NOTE_TOO_LONG)
    if facts.worked_on > facts.today:
        return GroupCreditRefused(GroupCreditRefusal.IN_FUTURE)
    if facts.worked_on < facts.today - timedelta(days=facts.window_days):
        return GroupCreditRefused(GroupCreditRefusal.TOO_OLD)
    if not facts.attendee_member_ids:
        return GroupCreditRefused(GroupCreditRefusal.NO_ATTENDEES)
    if facts.unknown_member_ids:
        return GroupCreditRefused(GroupCreditRefusal.UNKNOWN_ATTENDEE, facts.unknown_member_ids)
    if facts.coordinator_member_id in facts.attendee_member_ids or \
            facts.coordinator_member_id == facts.group_member_id:
        return GroupCreditRefused(GroupCreditRefusal.INCLUDES_COORDINATOR, (facts.coordinator_member_id,))
    if facts.group_member_id is not None and not facts.group_is_group:
        return GroupCreditRefused(GroupCreditRefusal.NOT_A_GROUP, (facts.group_member_id,))
    too_long = tuple(sorted(member_id for member_id, logged in facts.minutes_logged_that_day.items()
                            if logged + facts.minutes > MAX_MINUTES_PER_DAY))
    if too_long:
        return GroupCreditRefused(GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY, too_long)
    return None


# --------------------------------------------------------------------------- the service


class HoursService:
    def __init__(self, db: Database, config: Config, clock: Clock, ledger: Ledger | None = None) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.ledger = ledger or Ledger(config.ledger)

    def today(self) -> date:
        """Today for members: the date in the scheme's time zone (Europe/London)."""
        return self.clock.now().astimezone(self.config.tz).date()

    # ------------------------------------------------------------------ logging

    async def log_hours(self, member_id: int, *, organisation_id: int, activity_type_id: int, worked_on: date,
                        minutes: int, note: str | None, submitted_by_member_id: int, idempotency_key: str,
                        shift_id: int | None = None) -> LoggedEntry | LogRefusal:
        _check_key(idempotency_key)
        note = note.strip() or None if note is not None else None
        try:
            async with self.db.transaction() as session:
                existing = await _entry_by_key(session, idempotency_key)
                if existing is not None:
                    return existing
                now = self.clock.now()
                # Serialise one member's logging on PostgreSQL (SQLite's BEGIN IMMEDIATE
                # already does), so two entries at once cannot both pass the daily limit.
                await session.execute(
                    select(Member.id).where(Member.id == member_id).with_for_update(key_share=True))
                submitter_coordinates = await roles.has_role(
                    session, submitted_by_member_id, Role.COORDINATOR, organisation_id)
                facts = LogFacts(
                    member_registered=await is_registered(session, member_id),
                    submitter_registered=await is_registered(session, submitted_by_member_id),
                    submitted_for_someone_else=submitted_by_member_id != member_id,
                    submitter_coordinates_organisation=submitter_coordinates,
                    organisation_known=await _exists(session, Organisation, organisation_id),
                    activity_known=await _exists(session, ActivityType, activity_type_id),
                    minutes=minutes, note=note, worked_on=worked_on, today=self.today(),
                    window_days=self.config.hours.log_window_days,
                    minutes_logged_that_day=(await _minutes_on(session, [member_id], worked_on)).get(member_id, 0))
                refusal = log_refusal(facts)
                if refusal is not None:
                    return refusal
                duplicate = await _has_similar_entry(session, member_id, organisation_id, activity_type_id, worked_on)
                entry = TimeEntry(
                    member_id=member_id, organisation_id=organisation_id, activity_type_id=activity_type_id,
                    shift_id=shift_id, worked_on=worked_on, minutes=minutes, note=note,
                    status=TimeEntryStatus.PENDING, possible_duplicate=duplicate, submitted_at=now,
                    submitted_by_member_id=submitted_by_member_id, idempotency_key=idempotency_key)
                session.add(entry)
                await session.flush()
                return _logged(entry, created=True)
        except IntegrityError:
            # The same key committed by a concurrent request between our look-up and insert.
            async with self.db.transaction() as session:
                existing = await _entry_by_key(session, idempotency_key)
            if existing is None:
                raise
            return existing

    async def pending_minutes(self, member_id: int) -> int:
        async with self.db.transaction() as session:
            return await pending_minutes(session, member_id)

    # ------------------------------------------------------------------ deciding

    async def pending_for_coordinator(self, coordinator_member_id: int, *, limit: int | None = None
                                      ) -> list[PendingEntry]:
        """Pending entries of the organisations they coordinate, oldest first.

        Their own entries are left out: another coordinator must decide those.
        """
        async with self.db.transaction() as session:
            organisation_ids = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
            if not organisation_ids:
                return []
            query = (select(TimeEntry, Member.display_name, Organisation, ActivityType)
                     .join(Member, Member.id == TimeEntry.member_id)
                     .join(Organisation, Organisation.id == TimeEntry.organisation_id)
                     .join(ActivityType, ActivityType.id == TimeEntry.activity_type_id)
                     .where(TimeEntry.status == TimeEntryStatus.PENDING,
                            TimeEntry.organisation_id.in_(organisation_ids),
                            TimeEntry.member_id != coordinator_member_id,
                            TimeEntry.submitted_by_member_id != coordinator_member_id)
                     .order_by(TimeEntry.submitted_at, TimeEntry.id))
            if limit is not None:
                query = query.limit(limit)
            rows = (await session.execute(query)).all()
            return [PendingEntry(
                entry_id=entry.id, member_id=entry.member_id, member_display_name=display_name,
                organisation=Named(organisation.id, organisation.slug, organisation.name_en, organisation.name_cy),
                activity=Named(activity.id, activity.slug, activity.name_en, activity.name_cy),
                worked_on=entry.worked_on, minutes=entry.minutes, note=entry.note,
                possible_duplicate=entry.possible_duplicate, submitted_at=entry.submitted_at,
                submitted_by_member_id=entry.submitted_by_member_id, shift_id=entry.shift_id)
                for entry, display_name, organisation, activity in rows]

    async def approve(self, entry_id: int, *, coordinator_member_id: int) -> Decision:
        async with self.db.transaction() as session:
            refusal, entry = await self._decidable(session, entry_id, coordinator_member_id)
            if refusal is not None:
                return _refused(refusal, entry_id, entry)
            now = self.clock.now()
            if not await _decide(session, entry_id, TimeEntryStatus.APPROVED, coordinator_member_id, now):
                return _refused(DecisionOutcome.ALREADY_DECIDED, entry_id, entry)
            transaction_id = await self._credit(session, entry, coordinator_member_id, now)
            return Decision(DecisionOutcome.APPROVED, entry_id, entry.member_id, entry.minutes, transaction_id)

    async def reject(self, entry_id: int, *, coordinator_member_id: int, reason: str) -> Decision:
        reason = " ".join((reason or "").split())
        async with self.db.transaction() as session:
            refusal, entry = await self._decidable(session, entry_id, coordinator_member_id)
            if refusal is None and not reason:
                refusal = DecisionOutcome.REASON_MISSING
            if refusal is None and len(reason) > REASON_MAX:
                refusal = DecisionOutcome.REASON_TOO_LONG
            if refusal is not None:
                return _refused(refusal, entry_id, entry)
            now = self.clock.now()
            if not await _decide(session, entry_id, TimeEntryStatus.REJECTED, coordinator_member_id, now,
                                 reason=reason):
                return _refused(DecisionOutcome.ALREADY_DECIDED, entry_id, entry)
            if await is_reachable(session, entry.member_id):
                await enqueue(session, member_id=entry.member_id, kind="hours_rejected", payload={
                    **_entry_payload(entry), "reason": reason,
                }, dedupe_key=f"hours_rejected:{entry.id}", now=now)
            return Decision(DecisionOutcome.REJECTED, entry_id, entry.member_id, entry.minutes)

    async def approve_all(self, coordinator_member_id: int, *, up_to_entry_id: int | None = None
                          ) -> ApproveAllResult:
        """Approve, in one transaction, the pending entries the coordinator was shown: up to
        `up_to_entry_id` (entries logged after the list was sent wait for the next look),
        never their own or ones they recorded, and never a possible duplicate, which needs
        a look of its own."""
        async with self.db.transaction() as session:
            organisation_ids = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
            if not organisation_ids:
                return ApproveAllResult(0, 0, 0, 0)
            query = select(TimeEntry).where(TimeEntry.status == TimeEntryStatus.PENDING,
                                            TimeEntry.organisation_id.in_(organisation_ids))
            if up_to_entry_id is not None:
                query = query.where(TimeEntry.id <= up_to_entry_id)
            pending = (await session.scalars(query.order_by(TimeEntry.id))).all()
            now = self.clock.now()
            own = [entry for entry in pending
                   if coordinator_member_id in (entry.member_id, entry.submitted_by_member_id)]
            # Take every entry first (in id order), then credit in account order: the
            # lock order that keeps this from deadlocking with single approvals.
            decided = [entry for entry in pending if entry not in own and not entry.possible_duplicate
                       and await _decide(session, entry.id, TimeEntryStatus.APPROVED, coordinator_member_id, now)]
            await self._credit_many(session, decided, coordinator_member_id, now)
            return ApproveAllResult(approved=len(decided), minutes=sum(entry.minutes for entry in decided),
                                    skipped_own=len(own), members=len({entry.member_id for entry in decided}))

    async def _decidable(self, session: AsyncSession, entry_id: int, coordinator_member_id: int
                         ) -> tuple[DecisionOutcome | None, TimeEntry | None]:
        entry = await session.get(TimeEntry, entry_id)
        coordinated = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
        refusal = decision_refusal(
            found=entry is not None, entry_member_id=entry.member_id if entry else None,
            entry_organisation_id=entry.organisation_id if entry else None,
            status=entry.status if entry else None, coordinator_member_id=coordinator_member_id,
            coordinated_organisation_ids=coordinated,
            entry_submitted_by=entry.submitted_by_member_id if entry else None)
        return refusal, entry

    async def _credit(self, session: AsyncSession, entry: TimeEntry, actor_member_id: int, now: datetime) -> int:
        """Earn for an entry just approved, link it, and tell the volunteer."""
        posted = await self.ledger.earn(session, member_id=entry.member_id, minutes=entry.minutes,
                                        idempotency_key=f"time-entry:{entry.id}", now=now, memo=entry.note,
                                        actor_member_id=actor_member_id)
        await session.execute(update(TimeEntry.__table__).where(TimeEntry.__table__.c.id == entry.id)
                              .values(ledger_transaction_id=posted.transaction_id))
        if await is_reachable(session, entry.member_id):
            balance = await self.ledger.balance(session, await self.ledger.member_account_id(session, entry.member_id))
            await enqueue(session, member_id=entry.member_id, kind="hours_approved", payload={
                **_entry_payload(entry), "transaction_id": posted.transaction_id, "balance_minutes": balance,
            }, dedupe_key=f"hours_approved:{entry.id}", now=now)
        return posted.transaction_id

    async def _credit_many(self, session: AsyncSession, entries: Sequence[TimeEntry], actor_member_id: int,
                           now: datetime) -> dict[int, int]:
        """Credit entries already marked approved, locking accounts in ascending id order."""
        account_of = {member_id: await self.ledger.member_account_id(session, member_id)
                      for member_id in {entry.member_id for entry in entries}}
        if entries:
            await self.ledger.lock_accounts(
                session, [await self.ledger.scheme_account_id(session), *account_of.values()])
        transactions = {}
        for entry in sorted(entries, key=lambda e: (account_of[e.member_id], e.id)):
            transactions[entry.id] = await self._credit(session, entry, actor_member_id, now)
        return transactions

    # ------------------------------------------------------------------ group activities

    async def credit_group_activity(self, coordinator_member_id: int, *, organisation_id: int,
                                    activity_type_id: int, worked_on: date, minutes: int,
                                    attendee_member_ids: Iterable[int], group_member_id: int | None = None,
                                    idempotency_key: str, note: str | None = None
                                    ) -> GroupCredited | GroupCreditRefused:
        """Credit every attendee of one activity (and optionally a group) at once.

        Each gets an approved time entry and an earn, all in one transaction. The keys
        of the entries derive from `idempotency_key`, so repeating it credits nobody twice.
        """
        attendees = tuple(sorted(set(attendee_member_ids)))
        credited = attendees + ((group_member_id,) if group_member_id is not None
                                and group_member_id not in attendees else ())
        keys = {member_id: _group_key(idempotency_key, member_id) for member_id in credited}
        note = note.strip() or None if note is not None else None
        try:
            async with self.db.transaction() as session:
                existing = await self._group_entries(session, keys)
                if existing is not None:
                    return existing
                now = self.clock.now()
                await session.execute(select(Member.id).where(Member.id.in_(credited)).order_by(Member.id)
                                      .with_for_update(key_share=True))
                organisation_known = await _exists(session, Organisation, organisation_id)
                logged = await _minutes_on(session, credited, worked_on)
                unknown = tuple([member_id for member_id in credited if not await is_registered(session, member_id)])
                group_kind = (await session.scalar(select(Member.kind).where(Member.id == group_member_id))
                              if group_member_id is not None else None)
                facts = GroupCreditFacts(
                    coordinator_member_id=coordinator_member_id,
                    coordinates_organisation=await roles.has_role(
                        session, coordinator_member_id, Role.COORDINATOR, organisation_id),
                    organisation_known=organisation_known,
                    activity_known=await _exists(session, ActivityType, activity_type_id),
                    minutes=minutes, note=note, worked_on=worked_on, today=self.today(),
                    window_days=self.config.hours.log_window_days, attendee_member_ids=attendees,
                    unknown_member_ids=unknown, group_member_id=group_member_id,
                    group_is_group=group_kind is MemberKind.GROUP,
                    minutes_logged_that_day={member_id: logged.get(member_id, 0) for member_id in credited})
                refusal = group_credit_refusal(facts)
                if refusal is not None:
                    return refusal
                entries = []
                for member_id in credited:
                    entry = TimeEntry(
                        member_id=member_id, organisation_id=organisation_id, activity_type_id=activity_type_id,
                        worked_on=worked_on, minutes=minutes, note=note, status=TimeEntryStatus.APPROVED,
                        possible_duplicate=await _has_similar_entry(
                            session, member_id, organisation_id, activity_type_id, worked_on),
                        submitted_at=now, submitted_by_member_id=coordinator_member_id, decided_at=now,
                        decided_by_member_id=coordinator_member_id, idempotency_key=keys[member_id])
                    session.add(entry)
                    entries.append(entry)
                await session.flush()
                transactions = await self._credit_many(session, entries, coordinator_member_id, now)
                return GroupCredited(tuple(CreditedEntry(entry.member_id, entry.id, transactions[entry.id])
                                           for entry in entries), minutes, created=True)
        except IntegrityError:
            async with self.db.transaction() as session:
                existing = await self._group_entries(session, keys)
            if existing is None:
                raise
            return existing

    @staticmethod
    async def _group_entries(session: AsyncSession, keys: dict[int, str]) -> GroupCredited | None:
        if not keys:
            return None
        rows = (await session.scalars(select(TimeEntry).where(
            TimeEntry.idempotency_key.in_(list(keys.values()))).order_by(TimeEntry.member_id))).all()
        if not rows:
            return None
        return GroupCredited(tuple(CreditedEntry(row.member_id, row.id, row.ledger_transaction_id) for row in rows),
                             rows[0].minutes, created=False)

    # ------------------------------------------------------------------ members without Telegram

    async def record_member_without_telegram(self, coordinator_member_id: int, *, display_name: str,
                                             neighbourhood_id: int | None) -> int | RecordRefusal:
        """A resident without a smartphone, recorded by a coordinator who logs hours for them."""
        name = check_display_name(display_name or "")
        async with self.db.transaction() as session:
            if not await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR):
                return RecordRefusal.NOT_COORDINATOR
            if isinstance(name, NameProblem):
                return {NameProblem.EMPTY: RecordRefusal.NAME_EMPTY,
                        NameProblem.TOO_LONG: RecordRefusal.NAME_TOO_LONG}.get(name, RecordRefusal.NAME_NOT_TEXT)
            if neighbourhood_id is not None and not await _exists(session, Neighbourhood, neighbourhood_id):
                return RecordRefusal.UNKNOWN_NEIGHBOURHOOD
            now = self.clock.now()
            member = Member(kind=MemberKind.INDIVIDUAL, telegram_user_id=None, display_name=name, language=None,
                            neighbourhood_id=neighbourhood_id, registered_at=now,
                            recorded_by_member_id=coordinator_member_id)
            session.add(member)
            await session.flush()
            await member_account(session, member.id)
            await session.execute(insert(AuditEvent.__table__).values(
                at=now, actor_member_id=coordinator_member_id, action="member.recorded_without_telegram",
                details={"member_id": member.id}))
            return member.id


# --------------------------------------------------------------------------- queries


async def pending_minutes(session: AsyncSession, member_id: int) -> int:
    """Minutes the member logged that still wait for a coordinator."""
    total = await session.scalar(select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.member_id == member_id, TimeEntry.status == TimeEntryStatus.PENDING))
    return int(total or 0)


async def _exists(session: AsyncSession, model: type, row_id: int) -> bool:
    return await session.scalar(select(model.id).where(model.id == row_id)) is not None


async def _minutes_on(session: AsyncSession, member_ids: Sequence[int], worked_on: date) -> dict[int, int]:
    rows = await session.execute(
        select(TimeEntry.member_id, func.sum(TimeEntry.minutes))
        .where(TimeEntry.member_id.in_(list(member_ids)), TimeEntry.worked_on == worked_on,
               TimeEntry.status.in_(_LIVE))
        .group_by(TimeEntry.member_id))
    return {member_id: int(total) for member_id, total in rows}


async def _has_similar_entry(session: AsyncSession, member_id: int, organisation_id: int, activity_type_id: int,
                             worked_on: date) -> bool:
    return await session.scalar(select(TimeEntry.id).where(
        TimeEntry.member_id == member_id, TimeEntry.organisation_id == organisation_id,
        TimeEntry.activity_type_id == activity_type_id, TimeEntry.worked_on == worked_on,
        TimeEntry.status.in_(_LIVE)).limit(1)) is not None


async def _entry_by_key(session: AsyncSession, idempotency_key: str) -> LoggedEntry | None:
    entry = await session.scalar(select(TimeEntry).where(TimeEntry.idempotency_key == idempotency_key))
    return _logged(entry, created=False) if entry is not None else None


async def _decide(session: AsyncSession, entry_id: int, status: TimeEntryStatus, coordinator_member_id: int,
                  now: datetime, *, reason: str | None = None) -> bool:
    """The guarded transition out of pending; False when someone else decided first."""
    table = TimeEntry.__table__
    result = await session.execute(
        update(table).where(table.c.id == entry_id, table.c.status == TimeEntryStatus.PENDING)
        .values(status=status, decided_at=now, decided_by_member_id=coordinator_member_id,
                rejection_reason=reason))
    return result.rowcount == 1


def _logged(entry: TimeEntry, *, created: bool) -> LoggedEntry:
    return LoggedEntry(entry_id=entry.id, member_id=entry.member_id, organisation_id=entry.organisation_id,
                       activity_type_id=entry.activity_type_id, worked_on=entry.worked_on, minutes=entry.minutes,
                       status=TimeEntryStatus(entry.status), possible_duplicate=entry.possible_duplicate,
                       created=created)


def _refused(outcome: DecisionOutcome, entry_id: int, entry: TimeEntry | None) -> Decision:
    # Someone who may not decide on the entry learns nothing about it.
    if outcome in (DecisionOutcome.NOT_FOUND, DecisionOutcome.NOT_COORDINATOR) or entry is None:
        return Decision(outcome, entry_id)
    return Decision(outcome, entry_id, entry.member_id, entry.minutes)


def _entry_payload(entry: TimeEntry) -> dict[str, object]:
    return {"time_entry_id": entry.id, "minutes": entry.minutes, "worked_on": entry.worked_on.isoformat(),
            "organisation_id": entry.organisation_id, "activity_type_id": entry.activity_type_id}


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValueError(f"idempotency_key must be 1..{IDEMPOTENCY_KEY_MAX} characters")


def _group_key(idempotency_key: str, member_id: int) -> str:
    key = f"group:{idempotency_key}:{member_id}"
    _check_key(key)
    return key
