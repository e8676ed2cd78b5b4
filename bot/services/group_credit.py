"""Crediting a whole group activity at once: a coordinator names the attendees (and
optionally a group member), and each gets an approved time entry and an earn in one
transaction. The rule is `hour_rules.group_credit_refusal`; repeating the idempotency
key credits nobody twice. Each attendee reachable by Telegram is told ("hours_approved",
see `time_entries.credit_entry`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import ActivityType, Member, MemberKind, Organisation, Role, TimeEntry, TimeEntryStatus
from bot.db.session import Database
from bot.services import roles
from bot.services.dialogue_completion import DialogueCompletion, close
from bot.services.hour_rules import (
    GroupCreditFacts,
    GroupCreditRefusal,
    GroupCreditRefused,
    WorkFacts,
    group_credit_refusal,
)
from bot.services.ledger import Ledger
from bot.services.member_facts import is_registered
from bot.services.time_entries import check_key, credit_entries, has_similar_entry, minutes_on, row_exists

__all__ = ["CreditedEntry", "GroupCreditRefusal", "GroupCreditRefused", "GroupCreditService", "GroupCredited"]


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


class GroupCreditService:
    def __init__(self, db: Database, config: Config, clock: Clock, ledger: Ledger) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.ledger = ledger

    async def credit_group_activity(self, coordinator_member_id: int, *, organisation_id: int,
                                    activity_type_id: int, worked_on: date, minutes: int,
                                    attendee_member_ids: Iterable[int], group_member_id: int | None = None,
                                    idempotency_key: str, note: str | None = None,
                                    completion: DialogueCompletion | None = None
                                    ) -> GroupCredited | GroupCreditRefused:
        """Credit every attendee of one activity (and optionally a group) at once.

        Each gets an approved time entry and an earn, all in one transaction. The keys
        of the entries derive from `idempotency_key`, so repeating it credits nobody twice.
        With `completion`, the /groupcredit dialogue ends in the same transaction.
        """
        attendees = tuple(sorted(set(attendee_member_ids)))
        credited = attendees + ((group_member_id,) if group_member_id is not None
                                and group_member_id not in attendees else ())
        keys = {member_id: _group_key(idempotency_key, member_id) for member_id in credited}
        note = note.strip() or None if note is not None else None
        try:
            async with self.db.transaction() as session:
                existing = await self._group_entries(session, keys)
                now = self.clock.now()
                if existing is not None:
                    if completion is not None:
                        await close(session, completion, _outcome(existing), now=now)
                    return existing
                await session.execute(select(Member.id).where(Member.id.in_(credited)).order_by(Member.id)
                                      .with_for_update(key_share=True))
                organisation_known = await row_exists(session, Organisation, organisation_id)
                logged = await minutes_on(session, credited, worked_on)
                unknown = tuple([member_id for member_id in credited if not await is_registered(session, member_id)])
                group_kind = (await session.scalar(select(Member.kind).where(Member.id == group_member_id))
                              if group_member_id is not None else None)
                facts = GroupCreditFacts(
                    coordinator_member_id=coordinator_member_id,
                    coordinates_organisation=await roles.has_role(
                        session, coordinator_member_id, Role.COORDINATOR, organisation_id),
                    organisation_known=organisation_known,
                    activity_known=await row_exists(session, ActivityType, activity_type_id),
                    work=WorkFacts(minutes=minutes, note=note, worked_on=worked_on,
                                   today=now.astimezone(self.config.tz).date(),
                                   window_days=self.config.hours.log_window_days),
                    attendee_member_ids=attendees,
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
                        possible_duplicate=await has_similar_entry(
                            session, member_id, organisation_id, activity_type_id, worked_on),
                        submitted_at=now, submitted_by_member_id=coordinator_member_id, decided_at=now,
                        decided_by_member_id=coordinator_member_id, idempotency_key=keys[member_id])
                    session.add(entry)
                    entries.append(entry)
                await session.flush()
                transactions = await credit_entries(self.ledger, session, entries, coordinator_member_id, now)
                credited_now = GroupCredited(tuple(CreditedEntry(entry.member_id, entry.id, transactions[entry.id])
                                                   for entry in entries), minutes, created=True)
                if completion is not None:
                    await close(session, completion, _outcome(credited_now), now=now)
                return credited_now
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


def _outcome(credited: GroupCredited) -> dict[str, list[int]]:
    return {"entry_ids": [entry.entry_id for entry in credited.entries]}


def _group_key(idempotency_key: str, member_id: int) -> str:
    key = f"group:{idempotency_key}:{member_id}"
    check_key(key)
    return key
