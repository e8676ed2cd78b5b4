"""Logging hours, and coordinators approving them into time credits.

A member (or a coordinator for them) logs a time entry; it waits as `pending` until a
coordinator of that entry's organisation approves it, which credits the member through
`Ledger.earn` in the same database transaction, or rejects it with a reason. The rules
are decided in `hour_rules`. The state change is a guarded UPDATE ... WHERE
status='pending', so a double tap or a redelivered update decides (and credits) exactly
once; the earn's idempotency key `time-entry:{id}` makes the crediting itself once-only too.

Notifications (outbox kinds) written here, with their payload keys. They are only
recorded for members who can receive them (a Telegram account, not erased):

* "hours_approved" to the volunteer, dedupe key "hours_approved:{time_entry_id}":
    time_entry_id (int), minutes (int), worked_on (ISO date), organisation_id (int),
    activity_type_id (int), transaction_id (int), balance_minutes (int, after the credit)
  (see `time_entries.credit_entry`; also sent for each attendee credited by
  `GroupCreditService.credit_group_activity`)
* "hours_rejected" to the volunteer, dedupe key "hours_rejected:{time_entry_id}":
    time_entry_id, minutes, worked_on, organisation_id, activity_type_id, reason (str)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ActivityType, Member, Organisation, Role, TimeEntry, TimeEntryStatus
from bot.db.session import rows_changed
from bot.services import roles
from bot.services.crediting import CreditingService
from bot.services.dialogue_completion import DialogueCompletion, close
from bot.services.hour_rules import (
    REASON_MAX,
    DecisionOutcome,
    LogFacts,
    LogRefusal,
    WorkFacts,
    decision_refusal,
    log_refusal,
)
from bot.services.member_facts import is_reachable, is_registered
from bot.services.outbox import enqueue
from bot.services.outbox_payloads import HoursRejected
from bot.services.reference import Named
from bot.services.time_entries import (
    check_key,
    credit_entries,
    credit_entry,
    entry_facts,
    has_similar_entry,
    minutes_on,
    pending_minutes,
    row_exists,
)

__all__ = ["ApproveAllResult", "Decision", "DecisionOutcome", "HoursService", "LogRefusal", "LoggedEntry",
           "PendingEntry"]


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


# --------------------------------------------------------------------------- the service


class HoursService(CreditingService):
    def today(self) -> date:
        """Today for members: the date in the scheme's time zone (Europe/London)."""
        return self.clock.now().astimezone(self.config.tz).date()

    # ------------------------------------------------------------------ logging

    async def log_hours(self, member_id: int, *, organisation_id: int, activity_type_id: int, worked_on: date,
                        minutes: int, note: str | None, submitted_by_member_id: int, idempotency_key: str,
                        shift_id: int | None = None,
                        completion: DialogueCompletion | None = None) -> LoggedEntry | LogRefusal:
        """With `completion`, the /log dialogue ends in the same transaction."""
        check_key(idempotency_key)
        note = note.strip() or None if note is not None else None
        try:
            async with self.db.transaction() as session:
                existing = await _entry_by_key(session, idempotency_key)
                now = self.clock.now()
                if existing is not None:
                    if completion is not None:
                        await close(session, completion, {"entry_id": existing.entry_id}, now=now)
                    return existing
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
                    organisation_known=await row_exists(session, Organisation, organisation_id),
                    activity_known=await row_exists(session, ActivityType, activity_type_id),
                    work=WorkFacts(minutes=minutes, note=note, worked_on=worked_on, today=self.today(),
                                   window_days=self.config.hours.log_window_days),
                    minutes_logged_that_day=(await minutes_on(session, [member_id], worked_on)).get(member_id, 0))
                refusal = log_refusal(facts)
                if refusal is not None:
                    return refusal
                duplicate = await has_similar_entry(session, member_id, organisation_id, activity_type_id, worked_on)
                entry = TimeEntry(
                    member_id=member_id, organisation_id=organisation_id, activity_type_id=activity_type_id,
                    shift_id=shift_id, worked_on=worked_on, minutes=minutes, note=note,
                    status=TimeEntryStatus.PENDING, possible_duplicate=duplicate, submitted_at=now,
                    submitted_by_member_id=submitted_by_member_id, idempotency_key=idempotency_key)
                session.add(entry)
                await session.flush()
                if completion is not None:
                    await close(session, completion, {"entry_id": entry.id}, now=now)
                return _logged(entry, created=True)
        except IntegrityError:
            # The same key committed by a concurrent request between our look-up and insert.
            async with self.db.transaction() as session:
                existing = await _entry_by_key(session, idempotency_key)
            if existing is None:
                raise
            return existing

    async def pending_minutes(self, member_id: int) -> int:
        """Minutes the member logged that still wait for a coordinator."""
        async with self.db.transaction() as session:
            return await pending_minutes(session, member_id)

    # ------------------------------------------------------------------ deciding

    async def waiting_for_another_coordinator(self, coordinator_member_id: int) -> int:
        """How many pending entries are their own or recorded by them: hours they may not
        decide, which wait for another coordinator."""
        async with self.db.read() as session:
            return await session.scalar(
                select(func.count(TimeEntry.id)).where(
                    TimeEntry.status == TimeEntryStatus.PENDING,
                    (TimeEntry.member_id == coordinator_member_id)
                    | (TimeEntry.submitted_by_member_id == coordinator_member_id))) or 0

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
                return _refused_or_repeated(refusal, entry_id, entry, coordinator_member_id, TimeEntryStatus.APPROVED)
            assert entry is not None  # decision_refusal refuses an entry that is not there
            now = self.clock.now()
            if not await _decide(session, entry_id, TimeEntryStatus.APPROVED, coordinator_member_id, now):
                await session.refresh(entry)  # decided meanwhile (the same press handled twice at once?)
                return _refused_or_repeated(DecisionOutcome.ALREADY_DECIDED, entry_id, entry, coordinator_member_id,
                                            TimeEntryStatus.APPROVED)
            transaction_id = await credit_entry(self.ledger, session, entry, coordinator_member_id, now)
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
                return _refused_or_repeated(refusal, entry_id, entry, coordinator_member_id, TimeEntryStatus.REJECTED)
            assert entry is not None  # decision_refusal refuses an entry that is not there
            now = self.clock.now()
            if not await _decide(session, entry_id, TimeEntryStatus.REJECTED, coordinator_member_id, now,
                                 reason=reason):
                await session.refresh(entry)
                return _refused_or_repeated(DecisionOutcome.ALREADY_DECIDED, entry_id, entry, coordinator_member_id,
                                            TimeEntryStatus.REJECTED)
            if await is_reachable(session, entry.member_id):
                await enqueue(session, member_id=entry.member_id,
                              payload=HoursRejected.model_validate({**entry_facts(entry), "reason": reason}),
                              dedupe_key=f"hours_rejected:{entry.id}", now=now)
            return Decision(DecisionOutcome.REJECTED, entry_id, entry.member_id, entry.minutes)

    async def may_decide(self, entry_id: int, *, coordinator_member_id: int) -> DecisionOutcome | None:
        """Why the coordinator may not decide this entry (None: they may), asked before they
        are asked for anything, such as a reason to reject."""
        async with self.db.read() as session:
            refusal, _entry = await self._decidable(session, entry_id, coordinator_member_id)
            return refusal

    async def approve_all(self, coordinator_member_id: int, *, up_to_entry_id: int | None = None
                          ) -> ApproveAllResult | DecisionOutcome:
        """Approve, in one transaction, the pending entries the coordinator was shown: up to
        `up_to_entry_id` (entries logged after the list was sent wait for the next look),
        never their own or ones they recorded, and never a possible duplicate, which needs
        a look of its own. Someone who coordinates nothing is refused (NOT_COORDINATOR),
        not told that nothing was approved."""
        async with self.db.transaction() as session:
            organisation_ids = await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
            if not organisation_ids:
                return DecisionOutcome.NOT_COORDINATOR
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
            await credit_entries(self.ledger, session, decided, coordinator_member_id, now)
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


async def _entry_by_key(session: AsyncSession, idempotency_key: str) -> LoggedEntry | None:
    entry = await session.scalar(select(TimeEntry).where(TimeEntry.idempotency_key == idempotency_key))
    return _logged(entry, created=False) if entry is not None else None


async def _decide(session: AsyncSession, entry_id: int, status: TimeEntryStatus, coordinator_member_id: int,
                  now: datetime, *, reason: str | None = None) -> bool:
    """The guarded transition out of pending; False when someone else decided first."""
    table = TimeEntry.__table__
    return await rows_changed(session, update(table).where(table.c.id == entry_id,
                                                           table.c.status == TimeEntryStatus.PENDING)
                              .values(status=status, decided_at=now, decided_by_member_id=coordinator_member_id,
                                      rejection_reason=reason)) == 1


def _logged(entry: TimeEntry, *, created: bool) -> LoggedEntry:
    return LoggedEntry(entry_id=entry.id, member_id=entry.member_id, organisation_id=entry.organisation_id,
                       activity_type_id=entry.activity_type_id, worked_on=entry.worked_on, minutes=entry.minutes,
                       status=TimeEntryStatus(entry.status), possible_duplicate=entry.possible_duplicate,
                       created=created)


def _refused_or_repeated(refusal: DecisionOutcome, entry_id: int, entry: TimeEntry | None,
                         coordinator_member_id: int, decided: TimeEntryStatus) -> Decision:
    """An entry this coordinator decided so already: their press again (a double tap, the
    same update handled again after a crash, a second try after "Sorry, something went
    wrong") is answered with that decision, as the first press was. Anyone else, or a
    different decision, is told it has been decided."""
    if (refusal is DecisionOutcome.ALREADY_DECIDED and entry is not None and entry.status is decided
            and entry.decided_by_member_id == coordinator_member_id):
        if decided is TimeEntryStatus.APPROVED:
            return Decision(DecisionOutcome.APPROVED, entry.id, entry.member_id, entry.minutes,
                            entry.ledger_transaction_id)
        return Decision(DecisionOutcome.REJECTED, entry.id, entry.member_id, entry.minutes)
    return _refused(refusal, entry_id, entry)


def _refused(outcome: DecisionOutcome, entry_id: int, entry: TimeEntry | None) -> Decision:
    # Someone who may not decide on the entry learns nothing about it.
    if outcome in (DecisionOutcome.NOT_FOUND, DecisionOutcome.NOT_COORDINATOR) or entry is None:
        return Decision(outcome, entry_id)
    return Decision(outcome, entry_id, entry.member_id, entry.minutes)
