"""A member's own data: export it all, or erase what identifies them.

Erasure keeps what the ledger needs (the member row, its account, approved hours,
ledger entries) but anonymised: the row loses its name and Telegram id, so the
scheme's totals stay true while nothing points back to the person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import (
    Account,
    AuditEvent,
    DbsCheck,
    Dialogue,
    GroupMembership,
    LedgerEntry,
    LedgerTransaction,
    Member,
    Neighbourhood,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    RoleGrant,
    ShiftSignup,
    TimeEntry,
    TimeEntryStatus,
    Voucher,
)
from bot.db.session import Database
from bot.services.dialogue_completion import DialogueCompletion, complete, finished_outcome
from bot.services.member_settings import export_preferences, forget_preferences
from bot.services.outbox_payloads import OutboxKind
from bot.services.shifts import ShiftService

EXPORT_FORMAT = "coprod-bot member export v1"


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _row(obj: Any, *columns: str) -> dict[str, Any]:
    return {column: _plain(getattr(obj, column)) for column in columns}


class PrivacyService:
    def __init__(self, db: Database, clock: Clock, shifts: ShiftService) -> None:
        self.db = db
        self.clock = clock
        self.shifts = shifts

    async def export(self, member_id: int) -> dict[str, Any]:
        """Everything the bot holds about the member, as JSON-ready data."""
        async with self.db.transaction() as session:
            member = await session.get(Member, member_id)
            if member is None:
                raise LookupError(member_id)
            neighbourhood = (await session.get(Neighbourhood, member.neighbourhood_id)
                             if member.neighbourhood_id else None)
            data: dict[str, Any] = {
                "format": EXPORT_FORMAT,
                "exported_at": self.clock.now().isoformat(),
                "member": _row(member, "id", "kind", "telegram_user_id", "display_name", "language",
                               "consented_at", "registered_at", "created_at"),
            }
            data["member"]["neighbourhood"] = neighbourhood.slug if neighbourhood else None
            data["roles"] = [
                {"role": _plain(role), "organisation": slug}
                for role, slug in (await session.execute(
                    select(RoleGrant.role, Organisation.slug)
                    .outerjoin(Organisation, Organisation.id == RoleGrant.organisation_id)
                    .where(RoleGrant.member_id == member_id))).all()
            ]
            data["time_entries"] = [
                _row(entry, "id", "worked_on", "minutes", "status", "note", "submitted_at", "decided_at",
                     "rejection_reason", "shift_id")
                for entry in await session.scalars(
                    select(TimeEntry).where(TimeEntry.member_id == member_id).order_by(TimeEntry.id))
            ]
            data["shift_signups"] = [
                _row(signup, "id", "shift_id", "status", "created_at", "booked_at", "cancelled_at")
                for signup in await session.scalars(
                    select(ShiftSignup).where(ShiftSignup.member_id == member_id).order_by(ShiftSignup.id))
            ]
            data["vouchers"] = [
                _row(voucher, "code", "spend_opportunity_id", "cost_minutes", "status", "issued_at",
                     "expires_at", "redeemed_at")
                for voucher in await session.scalars(
                    select(Voucher).where(Voucher.member_id == member_id).order_by(Voucher.id))
            ]
            data["dbs_checks"] = [
                _row(check, "checked_on", "recorded_at")
                for check in await session.scalars(select(DbsCheck).where(DbsCheck.member_id == member_id))
            ]
            data["settings"] = await export_preferences(session, member_id)
            data["ledger"] = await self._movements(session, member_id)
            return data

    async def _movements(self, session: AsyncSession, member_id: int) -> dict[str, Any]:
        account = await session.scalar(select(Account).where(Account.member_id == member_id))
        if account is None:
            return {"balance_minutes": 0, "movements": []}
        rows = await session.execute(
            select(LedgerTransaction.id, LedgerTransaction.created_at, LedgerTransaction.kind,
                   LedgerEntry.amount_minutes, LedgerTransaction.memo)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(LedgerEntry.account_id == account.id)
            .order_by(LedgerTransaction.id))
        return {
            "balance_minutes": account.balance_minutes,
            "movements": [
                {"transaction": tid, "at": _plain(at), "kind": _plain(kind), "minutes": minutes, "memo": memo}
                for tid, at, kind, minutes, memo in rows.all()
            ],
        }

    async def forget(self, member_id: int, *, completion: DialogueCompletion | None = None) -> None:
        """Erases personal data in one transaction; the ledger's records stay, anonymised.

        The member's dialogue goes too, except with `completion` (the /forget
        confirmation): that one is left done in the same transaction, holding nothing but
        that it was done, so a second press is told so and erases nothing more."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            if completion is not None and await finished_outcome(session, completion) is not None:
                return
            member = await session.get(Member, member_id)
            if member is None or member.erased_at is not None:
                return
            if completion is not None:
                await complete(session, completion, {"erased": True}, now=now)
            elif member.telegram_user_id is not None:
                await session.execute(delete(Dialogue).where(Dialogue.chat_id == member.telegram_user_id))
            await session.execute(delete(RoleGrant).where(RoleGrant.member_id == member_id))
            await session.execute(delete(GroupMembership).where(GroupMembership.member_id == member_id))
            await session.execute(delete(DbsCheck).where(DbsCheck.member_id == member_id))
            await forget_preferences(session, member_id)
            await session.execute(delete(OutboxMessage).where(
                OutboxMessage.member_id == member_id, OutboxMessage.status == OutboxStatus.PENDING))
            # Their places go to the next on each waiting list, as if they had cancelled.
            await self.shifts.withdraw_member(session, member_id, now=now)
            # Pending hours were never credited, so nothing in the ledger needs them.
            await session.execute(delete(TimeEntry).where(
                TimeEntry.member_id == member_id, TimeEntry.status == TimeEntryStatus.PENDING))
            await session.execute(update(TimeEntry).where(TimeEntry.member_id == member_id).values(note=None))
            await _scrub_name_from_notifications(session, member_id)
            member.display_name = None
            member.telegram_user_id = None
            member.consented_at = None
            member.erased_at = now
            session.add(AuditEvent(at=now, actor_member_id=None, action="member_erased",
                                   details={"member_id": member_id}))


async def _scrub_name_from_notifications(session: AsyncSession, member_id: int) -> None:
    """Other members' notifications that name this member ("Sam gave you 2 credits")
    keep the fact but lose the name."""
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CREDITS_RECEIVED))
    for message in rows:
        # As stored, not parsed: a row that no longer fits its type must lose the name too.
        payload = dict(message.payload or {})
        if payload.get("from_member_id") == member_id and payload.get("from_display_name") is not None:
            payload["from_display_name"] = None
            message.payload = payload
