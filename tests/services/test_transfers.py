"""Giving credits to a neighbour or a group, the balance view and the CSV statement,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from bot.db.models import AccountKind, LedgerTransaction, Member, MemberKind, TransactionKind
from bot.services.transfers import StatementRow, TransferOutcome
from ledger_helpers import World, count, key, new_member, outbox, world  # noqa: F401

HEADERS = ["Dyddiad", "Math", "Munudau", "Balans wedyn", "Gyda", "Nodyn"]


async def give(world: World, minutes: int, *, sender: int | None = None, recipient: int | None = None,
               idempotency_key: str | None = None, note: str | None = None):
    return await world.transfers.transfer(world.volunteer if sender is None else sender,
                                          world.neighbour if recipient is None else recipient, minutes,
                                          idempotency_key=idempotency_key or key("give"), note=note)


async def test_a_member_gives_credits_to_a_neighbour_who_is_told(world: World) -> None:
    await world.earn(world.volunteer, 120)
    result = await give(world, 45, note="Diolch am yr help!", idempotency_key="gift-1")
    assert result.outcome is TransferOutcome.TRANSFERRED and result.created
    assert (result.minutes, result.balance_after_minutes, result.recipient_display_name) == (45, 75, "Neighbour Ned")
    assert (await world.balance(world.volunteer), await world.balance(world.neighbour)) == (75, 45)
    [message] = await outbox(world.db, "credits_received")
    assert message.member_id == world.neighbour
    assert message.payload == {"transaction_id": result.transaction_id, "minutes": 45,
                               "from_member_id": world.volunteer, "from_display_name": "Siân Volunteer",
                               "note": "Diolch am yr help!", "balance_minutes": 45}

    again = await give(world, 45, note="Diolch am yr help!", idempotency_key="gift-1")
    assert again.outcome is TransferOutcome.TRANSFERRED and not again.created
    assert again.transaction_id == result.transaction_id
    assert await world.balance(world.neighbour) == 45
    assert len(await outbox(world.db, "credits_received")) == 1
    await world.sound()


async def test_credits_can_go_to_a_group(world: World) -> None:
    await world.earn(world.volunteer, 60)
    result = await give(world, 60, recipient=world.group)
    assert (result.outcome, result.recipient_kind) == (TransferOutcome.TRANSFERRED, MemberKind.GROUP)
    assert await world.balance(world.group) == 60
    assert await outbox(world.db, "credits_received") == []  # the group has no Telegram account itself


async def test_not_enough_credit(world: World) -> None:
    await world.earn(world.volunteer, 30)
    result = await give(world, 31)
    assert (result.outcome, result.balance_minutes, result.available_minutes) == (
        TransferOutcome.INSUFFICIENT_CREDIT, 30, 30)
    assert (await world.balance(world.volunteer), await world.balance(world.neighbour)) == (30, 0)
    assert await count(world.db, LedgerTransaction, LedgerTransaction.kind == TransactionKind.TRANSFER) == 0


async def test_transfer_refusals(world: World) -> None:
    await world.earn(world.volunteer, 600)
    half = await new_member(world.db, "Half registered", registered=False)
    erased = await new_member(world.db, "Gone")
    async with world.db.transaction() as session:
        await session.execute(update(Member).where(Member.id == erased).values(
            erased_at=world.clock.now(), display_name=None))
    cases = [
        (dict(minutes=0), TransferOutcome.NOT_POSITIVE),
        (dict(minutes=-5), TransferOutcome.NOT_POSITIVE),
        (dict(minutes=10, recipient=world.volunteer), TransferOutcome.SAME_MEMBER),
        (dict(minutes=10, recipient=999_999), TransferOutcome.UNKNOWN_RECIPIENT),
        (dict(minutes=10, recipient=half), TransferOutcome.UNKNOWN_RECIPIENT),
        (dict(minutes=10, recipient=erased), TransferOutcome.RECIPIENT_ERASED),
        (dict(minutes=10, sender=half), TransferOutcome.NOT_REGISTERED),
        (dict(minutes=10, note="n" * 201), TransferOutcome.NOTE_TOO_LONG),
    ]
    for arguments, outcome in cases:
        minutes = arguments.pop("minutes")
        assert (await give(world, minutes, **arguments)).outcome is outcome, (arguments, outcome)
    assert await world.balance(world.volunteer) == 600
    assert await count(world.db, LedgerTransaction) == 1


async def test_concurrent_gifts_never_overdraw(world: World) -> None:
    await world.earn(world.volunteer, 100)
    await world.earn(world.neighbour, 100)
    gifts = [give(world, 20), give(world, 20, sender=world.neighbour, recipient=world.volunteer)] * 8
    results = await asyncio.gather(*gifts)
    assert all(r.outcome in (TransferOutcome.TRANSFERRED, TransferOutcome.INSUFFICIENT_CREDIT) for r in results)
    volunteer, neighbour = await world.balance(world.volunteer), await world.balance(world.neighbour)
    assert volunteer >= 0 and neighbour >= 0 and volunteer + neighbour == 200
    await world.sound()


async def test_the_balance_summary(world: World) -> None:
    await world.earn(world.volunteer, 200)
    for _ in range(12):
        await give(world, 5)
    await world.hours.log_hours(world.volunteer, organisation_id=world.reference["splott-community"],
                                activity_type_id=world.reference["community-hub"], worked_on=world.clock.now().date(),
                                minutes=90, note=None, submitted_by_member_id=world.volunteer,
                                idempotency_key=key())
    summary = await world.transfers.balance_summary(world.volunteer)
    assert (summary.balance_minutes, summary.pending_minutes) == (140, 90)
    assert len(summary.recent) == 10
    assert all(m.kind is TransactionKind.TRANSFER and m.amount_minutes == -5 for m in summary.recent)
    assert summary.recent[0].balance_after_minutes == 140
    assert summary.recent[0].counterparty.member_id == world.neighbour
    assert await world.transfers.balance_summary(999_999) is None


async def test_the_statement_csv_opens_in_excel_with_welsh_letters(world: World) -> None:
    # Summer time: 23:30 UTC on 30 June is 00:30 on 1 July in Cardiff.
    world.clock.set(datetime(2027, 6, 30, 23, 30, tzinfo=timezone.utc))
    await world.earn(world.volunteer, 120)
    await give(world, 45, note="=HYPERLINK(\"http://evil\")")
    await world.earn(world.neighbour, 30)
    await give(world, 30, sender=world.neighbour, recipient=world.volunteer, note="Ŵyr a ŷd")
    issued = await world.spending.redeem(world.volunteer, world.opportunities["ely-cafe"], idempotency_key=key())

    def describe(row: StatementRow) -> str:
        party = row.counterparty
        if party.kind is AccountKind.SCHEME:
            return "Cynllun"
        if party.kind is AccountKind.ORGANISATION:
            return party.organisation.name("cy")
        return party.member_display_name

    data = await world.transfers.statement_csv(world.volunteer, headers=HEADERS, describe_counterparty=describe,
                                               describe_kind=lambda kind: {"earn": "Ennill"}.get(kind.value, kind))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert rows[1:] == [
        ["2027-07-01 00:30", "Ennill", "120", "120", "Cynllun", ""],
        ["2027-07-01 00:30", "transfer", "-45", "75", "Neighbour Ned", "'=HYPERLINK(\"http://evil\")"],
        ["2027-07-01 00:30", "transfer", "30", "105", "Neighbour Ned", "Ŵyr a ŷd"],
        ["2027-07-01 00:30", "spend", "-30", "75", "Hyb Cymunedol Trelái", issued.code],
    ]
    assert b"\r\n" in data
    with pytest.raises(ValueError):
        await world.transfers.statement_csv(world.volunteer, headers=HEADERS[:5], describe_counterparty=describe)


async def test_statement_rows_are_oldest_first_and_name_the_other_side(world: World) -> None:
    await world.earn(world.volunteer, 60)
    await give(world, 15, recipient=world.group)
    rows = await world.transfers.statement_rows(world.volunteer)
    assert [(r.kind, r.minutes, r.balance_after_minutes) for r in rows] == [
        (TransactionKind.EARN, 60, 60), (TransactionKind.TRANSFER, -15, 45)]
    assert rows[0].counterparty.kind is AccountKind.SCHEME
    assert (rows[1].counterparty.member_display_name, rows[1].counterparty.member_kind) == (
        "Splott Knitters", MemberKind.GROUP)
    assert rows[1].local_time.utcoffset().total_seconds() == 0  # December: GMT
    assert await world.transfers.statement_rows(999_999) == []


async def test_a_repeated_request_is_answered_as_the_first_was(world: World) -> None:
    await world.earn(world.volunteer, 60)
    first = await give(world, 60, idempotency_key="gift-before-erasure")
    async with world.db.transaction() as session:
        await session.execute(update(Member).where(Member.id == world.neighbour).values(erased_at=world.clock.now()))
    again = await give(world, 60, idempotency_key="gift-before-erasure")  # balance 0 now, recipient erased
    assert (again.outcome, again.transaction_id, again.created) == (
        TransferOutcome.TRANSFERRED, first.transaction_id, False)
    assert (await give(world, 1)).outcome is TransferOutcome.RECIPIENT_ERASED
