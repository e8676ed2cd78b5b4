"""Giving credits to another member, and a member's own view of their account.

A member may give time credits to another member: an individual or a group (a
TRANSFER transaction). The sender's balance is guarded by the ledger's floor, so a
transfer never overdraws, even when several are sent at once.

`balance_summary` and `statement_rows`/`statement_csv` read the member's movements.
The CSV is UTF-8 with a byte-order mark so that Excel shows Welsh letters (ŵ, ŷ, â)
correctly; the handler passes the translated column headers and the functions that
word the transaction kind and the counterparty, so no translation lives here.

Notifications (outbox kinds) written here, with their payload keys:

* "credits_received" to the recipient, dedupe key "credits_received:{transaction_id}":
    transaction_id (int), minutes (int), from_member_id (int),
    from_display_name (str | None, the sender's name when sent), note (str | None),
    balance_minutes (int, the recipient's balance after)
  Only recorded when the recipient can receive it (a Telegram account, not erased).
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AccountKind,
    LedgerTransaction,
    Member,
    MemberKind,
    Organisation,
    TimeEntry,
    TransactionKind,
    Voucher,
)
from bot.services.crediting import CreditingService
from bot.services.dialogue_completion import DialogueCompletion, close
from bot.services.ledger import InsufficientCredit
from bot.services.ledger_statement import Movement, statement
from bot.services.outbox import enqueue
from bot.services.outbox_payloads import CreditsReceived
from bot.services.reference import Named
from bot.services.time_entries import pending_minutes

NOTE_MAX = 200
IDEMPOTENCY_KEY_MAX = 100  # leaves room for the "transfer:" prefix
RECENT_MOVEMENTS = 10
CSV_COLUMNS = 6  # date, kind, minutes, balance after, counterparty, memo


class TransferOutcome(enum.StrEnum):
    TRANSFERRED = "transferred"
    INSUFFICIENT_CREDIT = "insufficient_credit"  # balance_minutes / available_minutes say how much there is
    SAME_MEMBER = "same_member"
    UNKNOWN_RECIPIENT = "unknown_recipient"  # no such member, or not (yet) registered
    NOT_POSITIVE = "not_positive"
    RECIPIENT_ERASED = "recipient_erased"
    NOT_REGISTERED = "not_registered"  # the sender
    NOTE_TOO_LONG = "note_too_long"  # more than NOTE_MAX characters


@dataclass(frozen=True)
class TransferResult:
    outcome: TransferOutcome
    minutes: int
    recipient_member_id: int
    recipient_display_name: str | None = None
    recipient_kind: MemberKind | None = None
    transaction_id: int | None = None
    balance_after_minutes: int | None = None  # TRANSFERRED: the sender's balance now
    balance_minutes: int | None = None  # INSUFFICIENT_CREDIT: the sender's balance
    available_minutes: int | None = None  # INSUFFICIENT_CREDIT: the most they could give (floor allowing)
    created: bool = False  # TRANSFERRED: False when the idempotency key had been used already


@dataclass(frozen=True)
class BalanceSummary:
    member_id: int
    balance_minutes: int
    pending_minutes: int  # logged hours still waiting for a coordinator
    recent: tuple[Movement, ...]  # newest first, at most RECENT_MOVEMENTS


@dataclass(frozen=True)
class Counterparty:
    """Who was on the other side, as data for the handler to word."""

    kind: AccountKind  # scheme (credits earned), member, organisation
    member_id: int | None = None
    member_display_name: str | None = None
    member_kind: MemberKind | None = None
    organisation: Named | None = None


@dataclass(frozen=True)
class StatementRow:
    transaction_id: int
    created_at: datetime  # aware UTC
    local_time: datetime  # the same instant in the scheme's time zone (Europe/London)
    kind: TransactionKind
    minutes: int  # signed: + in, - out
    balance_after_minutes: int
    counterparty: Counterparty | None
    memo: str | None
    reverses_transaction_id: int | None
    reversed_by_transaction_id: int | None
    # What the movement was for, so the statement can say it in the member's words: the
    # voucher bought or refunded, the shift attended (the stored memo is the raw code or "shift 12").
    voucher_code: str | None = None
    shift_id: int | None = None


def transfer_refusal(*, minutes: int, note: str | None, same_member: bool, sender_registered: bool,
                     recipient_found: bool, recipient_registered: bool, recipient_erased: bool
                     ) -> TransferOutcome | None:
    """The one rule for a transfer, before the ledger checks the balance; None: it may go ahead."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        return TransferOutcome.NOT_POSITIVE
    if note is not None and len(note) > NOTE_MAX:
        return TransferOutcome.NOTE_TOO_LONG
    if same_member:
        return TransferOutcome.SAME_MEMBER
    if not sender_registered:
        return TransferOutcome.NOT_REGISTERED
    if not recipient_found:
        return TransferOutcome.UNKNOWN_RECIPIENT
    if recipient_erased:
        return TransferOutcome.RECIPIENT_ERASED
    if not recipient_registered:
        return TransferOutcome.UNKNOWN_RECIPIENT
    return None


class TransferService(CreditingService):
    async def transfer(self, from_member_id: int, to_member_id: int, minutes: int, *, idempotency_key: str,
                       note: str | None = None, completion: DialogueCompletion | None = None) -> TransferResult:
        """With `completion`, the /give dialogue ends in the same transaction."""
        if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
            raise ValueError(f"idempotency_key must be 1..{IDEMPOTENCY_KEY_MAX} characters")
        note = (" ".join(note.split()) or None) if note is not None else None
        ledger_key = f"transfer:{idempotency_key}"
        async with self.db.transaction() as session:
            # A repeated request is answered as the first was, whatever changed since.
            replay = await session.scalar(select(LedgerTransaction.id).where(
                LedgerTransaction.idempotency_key == ledger_key)) is not None
            sender = await _member(session, from_member_id)
            recipient = await _member(session, to_member_id)
            refusal = None if replay else transfer_refusal(
                minutes=minutes, note=note, same_member=from_member_id == to_member_id,
                sender_registered=sender is not None and sender.registered_at is not None and sender.erased_at is None,
                recipient_found=recipient is not None,
                recipient_registered=recipient is not None and recipient.registered_at is not None,
                recipient_erased=recipient is not None and recipient.erased_at is not None)
            base: dict[str, Any] = {"minutes": minutes, "recipient_member_id": to_member_id}
            if refusal is not None:
                return TransferResult(refusal, **base)
            # No refusal: both are members (a replay is of a transfer between members, and
            # member rows are never deleted, only erased).
            assert sender is not None and recipient is not None
            base |= {"recipient_display_name": recipient.display_name, "recipient_kind": MemberKind(recipient.kind)}
            from_account = await self.ledger.member_account_id(session, from_member_id)
            to_account = await self.ledger.member_account_id(session, to_member_id)
            now = self.clock.now()
            try:
                posted = await self.ledger.post(
                    session, kind=TransactionKind.TRANSFER, legs=[(from_account, -minutes), (to_account, minutes)],
                    idempotency_key=ledger_key, now=now, memo=note,
                    actor_member_id=from_member_id)
            except InsufficientCredit as refused:
                return TransferResult(TransferOutcome.INSUFFICIENT_CREDIT, **base,
                                      balance_minutes=refused.balance_minutes,
                                      available_minutes=refused.available_minutes)
            sender_balance = await self.ledger.balance(session, from_account)
            if posted.created and recipient.telegram_user_id is not None and recipient.erased_at is None:
                await enqueue(session, member_id=to_member_id, payload=CreditsReceived(
                    transaction_id=posted.transaction_id, minutes=minutes, from_member_id=from_member_id,
                    from_display_name=sender.display_name, note=note,
                    balance_minutes=await self.ledger.balance(session, to_account),
                ), dedupe_key=f"credits_received:{posted.transaction_id}", now=now)
            if completion is not None:
                await close(session, completion, {"transaction_id": posted.transaction_id}, now=now)
            return TransferResult(TransferOutcome.TRANSFERRED, **base, transaction_id=posted.transaction_id,
                                  balance_after_minutes=sender_balance, created=posted.created)

    async def balance_summary(self, member_id: int) -> BalanceSummary | None:
        """Balance, minutes waiting for approval, and the last ten movements; None for no such member."""
        async with self.db.read() as session:
            if await _member(session, member_id) is None:
                return None
            account_id = await self.ledger.member_account_id(session, member_id)
            # The cached balance, which the ledger keeps equal to the entries' sum in the
            # transaction that posts them (audit_ledger checks), also starts the running
            # balances: not every entry summed again for each /balance.
            balance = await self.ledger.balance(session, account_id)
            return BalanceSummary(
                member_id=member_id, balance_minutes=balance,
                pending_minutes=await pending_minutes(session, member_id),
                recent=tuple(await statement(session, account_id, limit=RECENT_MOVEMENTS, balance_now=balance)))

    async def statement_rows(self, member_id: int) -> list[StatementRow]:
        """Every movement of the member's account, oldest first (as a statement reads)."""
        async with self.db.transaction() as session:
            if await _member(session, member_id) is None:
                return []
            account_id = await self.ledger.member_account_id(session, member_id)
            movements = await statement(session, account_id)
            member_ids = {p.member_id for m in movements for p in m.counterparties if p.member_id is not None}
            organisation_ids = {p.organisation_id for m in movements for p in m.counterparties
                                if p.organisation_id is not None}
            members = {row.id: row for row in (await session.execute(
                select(Member.id, Member.display_name, Member.kind).where(Member.id.in_(member_ids)))).all()} \
                if member_ids else {}
            organisations = {row.id: Named(row.id, row.slug, row.name_en, row.name_cy) for row in (
                await session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids))))} \
                if organisation_ids else {}
            vouchers, shifts = await _what_movements_were_for(session, [m.transaction_id for m in movements])
        tz = self.config.tz
        rows = []
        for movement in reversed(movements):
            party = movement.counterparty
            counterparty = None
            if party is not None:
                member = members.get(party.member_id) if party.member_id is not None else None
                counterparty = Counterparty(
                    kind=party.kind, member_id=party.member_id,
                    member_display_name=member.display_name if member else None,
                    member_kind=MemberKind(member.kind) if member else None,
                    organisation=organisations.get(party.organisation_id) if party.organisation_id else None)
            rows.append(StatementRow(
                transaction_id=movement.transaction_id, created_at=movement.created_at,
                local_time=movement.created_at.astimezone(tz), kind=movement.kind, minutes=movement.amount_minutes,
                balance_after_minutes=movement.balance_after_minutes, counterparty=counterparty, memo=movement.memo,
                reverses_transaction_id=movement.reverses_transaction_id,
                reversed_by_transaction_id=movement.reversed_by_transaction_id,
                voucher_code=vouchers.get(movement.transaction_id), shift_id=shifts.get(movement.transaction_id)))
        return rows

    async def statement_csv(self, member_id: int, *, headers: Sequence[str],
                            describe_counterparty: Callable[[StatementRow], str],
                            describe_kind: Callable[[TransactionKind], str] = lambda kind: kind.value,
                            describe_memo: Callable[[StatementRow], str] = lambda row: row.memo or "") -> bytes:
        """The whole statement as CSV bytes (UTF-8 with BOM, CRLF), oldest first.

        Columns: date and time (Europe/London, "YYYY-MM-DD HH:MM"), kind, minutes
        (signed), balance after, counterparty, memo. `headers` are the six column titles,
        already translated by the caller.
        """
        if len(headers) != CSV_COLUMNS:
            raise ValueError(f"statement_csv needs {CSV_COLUMNS} headers, got {len(headers)}")
        rows = await self.statement_rows(member_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([_cell(header) for header in headers])
        for row in rows:
            writer.writerow([row.local_time.strftime("%Y-%m-%d %H:%M"), _cell(describe_kind(row.kind)),
                             row.minutes, row.balance_after_minutes, _cell(describe_counterparty(row)),
                             _cell(describe_memo(row))])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def _what_movements_were_for(session: AsyncSession, transaction_ids: list[int]
                                   ) -> tuple[dict[int, str], dict[int, int]]:
    """Voucher codes by spend or refund transaction, and shifts by attendance credit."""
    if not transaction_ids:
        return {}, {}
    vouchers: dict[int, str] = {}
    for code, spent, refunded in (await session.execute(
            select(Voucher.code, Voucher.spend_transaction_id, Voucher.refund_transaction_id).where(
                Voucher.spend_transaction_id.in_(transaction_ids)
                | Voucher.refund_transaction_id.in_(transaction_ids)))).all():
        vouchers[spent] = code
        if refunded is not None:
            vouchers[refunded] = code
    shifts = {transaction_id: shift_id for transaction_id, shift_id in (await session.execute(
        select(TimeEntry.ledger_transaction_id, TimeEntry.shift_id).where(
            TimeEntry.ledger_transaction_id.in_(transaction_ids), TimeEntry.shift_id.is_not(None)))).all()
        if transaction_id is not None and shift_id is not None}
    return vouchers, shifts


async def _member(session: AsyncSession, member_id: int
                  ) -> Row[int, str | None, MemberKind, int | None, datetime | None, datetime | None] | None:
    return (await session.execute(
        select(Member.id, Member.display_name, Member.kind, Member.telegram_user_id, Member.registered_at,
               Member.erased_at).where(Member.id == member_id))).one_or_none()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a memo could start with '=')."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
