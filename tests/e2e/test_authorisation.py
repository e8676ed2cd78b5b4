"""No role reaches past its rights, and a forged button is refused at once.

Telegram lets anyone send any callback_data from any message, so these tests press
buttons built by hand (`press_data`): a volunteer pressing a coordinator's Edit, Reject,
Attendance or "Approve all", a staff member's activity switch, an admin's grant confirm;
a coordinator of another organisation pressing the buttons of a shift or an entry that
is not theirs. Each is refused at the first press: an alert, nothing asked (no new
message, no question), no dialogue begun and nothing changed in the database.

The privileged buttons are taken from the registry, so a new one is covered the day it
is declared.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import typing
from datetime import timedelta
from typing import Any, Literal, get_args, get_origin

import pytest
from sqlalchemy import select, text

import handlers
from bot.db.models import Member, Role, TimeEntry
from bot.services.shift_authoring import ShiftDraft
from handlers.approvals import ApproveAll, Decide
from handlers.callback_data import Between, CallbackData
from handlers.shift_buttons import Attendance, CancelShift, ConfirmAttendance, EditShift, MarkAttendance
from tests.e2e.conftest import ADMIN_ID, BotUnderTest, grant, register

# The tables a refused press must leave exactly as they were.
DOMAIN_TABLES = ("member", "role_grant", "dbs_check", "activity_type", "shift", "shift_signup", "time_entry",
                 "ledger_transaction", "ledger_entry", "voucher", "spend_opportunity", "dialogue", "audit_event")


async def snapshot(bot: BotUnderTest) -> dict[str, list[tuple[Any, ...]]]:
    async with bot.services.db.transaction() as session:
        return {table: sorted(map(tuple, (await session.execute(text(f"SELECT * FROM {table}"))).all()), key=repr)
                for table in DOMAIN_TABLES}


def example(kind: type[CallbackData], **given: object) -> CallbackData:
    """A well-formed press of this kind of button: ids 1 unless given, the first choice."""
    hints = typing.get_type_hints(kind, include_extras=True)
    values: dict[str, object] = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        if field.name in given:
            values[field.name] = given[field.name]
            continue
        hint = hints[field.name]
        low = 1
        if get_origin(hint) is typing.Annotated:
            hint, *extras = get_args(hint)
            low = next((extra.low for extra in extras if isinstance(extra, Between)), 1)
        if hint is bool:
            values[field.name] = True
        elif hint is int:
            values[field.name] = low
        elif hint is str:
            values[field.name] = "X"
        elif get_origin(hint) is Literal:
            values[field.name] = get_args(hint)[0]
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            values[field.name] = next(iter(hint))
    return kind(**values)


def privileged_buttons() -> list[type[CallbackData]]:
    registry = handlers.build_registry()
    return sorted((route.data_type for route in registry.callbacks.values() if route.needs.roles),
                  key=lambda kind: kind.prefix)


async def member_id(bot: BotUnderTest, telegram_user_id: int) -> int:
    async with bot.services.db.transaction() as session:
        return await session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_user_id))


async def splott_shift(bot: BotUnderTest, coordinator_telegram_id: int, *, starts_in: timedelta) -> int:
    names = {item.slug: item.id for item in [*await bot.services.reference.organisations(),
                                             *await bot.services.reference.activity_types(),
                                             *await bot.services.reference.neighbourhoods()]}
    starts_at = bot.clock.now() + starts_in
    result = await bot.services.shifts.create_shifts(await member_id(bot, coordinator_telegram_id), ShiftDraft(
        organisation_id=names["splott-community"], activity_type_id=names["community-hub"],
        neighbourhood_id=names["splott"], venue="Splott Hub", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), capacity=3))
    return result.shift_ids[0]


async def refused_at_once(bot: BotUnderTest, user, data: str, *, words: tuple[str, ...]) -> None:  # noqa: ANN001
    """Presses forged data: an alert with one of `words`, nothing asked, nothing changed."""
    await bot.settled()
    before = await snapshot(bot)
    dialogue_before = await bot.services.dialogues.get(user.chat_id)
    anchor = user.last_message
    query = await user.press_data(anchor.message_id, data)
    answer = await user.callback_answer(query)
    assert answer["show_alert"], data
    assert any(word in (answer["text"] or "") for word in words), (data, answer["text"])
    await user.expect_silence(0.2)  # no question, no new message, no edited one
    assert await bot.services.dialogues.get(user.chat_id) == dialogue_before, data
    assert await snapshot(bot) == before, data


async def test_a_volunteer_pressing_any_privileged_button_is_refused_at_once(bot: BotUnderTest) -> None:
    volunteer = bot.user(6001, "Sam")
    await register(bot, volunteer)
    buttons = privileged_buttons()
    assert {EditShift, CancelShift, Attendance, MarkAttendance, ConfirmAttendance, Decide, ApproveAll} <= set(buttons)
    for kind in buttons:
        # "Only ...", or, for a dialogue's button with no such dialogue open, "expired".
        await refused_at_once(bot, volunteer, example(kind).pack(), words=("Only", "expired"))


@pytest.mark.parametrize("role, organisation", [(None, None), (Role.PARTNER, "cardiff-council"),
                                                (Role.STAFF, "splott-community")],
                         ids=["volunteer", "partner", "staff"])
async def test_approve_all_is_refused_to_anyone_but_a_coordinator(bot: BotUnderTest, role, organisation) -> None:  # noqa: ANN001
    member = bot.user(6011, "Sam")
    await register(bot, member)
    if role is not None:
        await grant(bot, 6011, role, organisation)
    await refused_at_once(bot, member, ApproveAll(999).pack(), words=("Only coordinators can approve hours",))
    assert not any("Approved" in message.text for message in member.messages)


async def test_the_service_refuses_approve_all_to_someone_who_coordinates_nothing(bot: BotUnderTest) -> None:
    """The service checks the role itself too: a caller that skipped the handler's check
    is refused, not told that nothing was approved."""
    from bot.services.hour_rules import DecisionOutcome

    volunteer = bot.user(6021, "Sam")
    await register(bot, volunteer)
    assert await bot.services.hours.approve_all(await member_id(bot, 6021)) is DecisionOutcome.NOT_COORDINATOR


async def test_a_coordinator_of_another_organisation_is_refused_before_being_asked(bot: BotUnderTest) -> None:
    splott, ely, volunteer = bot.user(6031, "Tom"), bot.user(6032, "Eli"), bot.user(6033, "Sam")
    for user in (splott, ely, volunteer):
        await register(bot, user)
    await grant(bot, 6031, Role.COORDINATOR, "splott-community")
    await grant(bot, 6032, Role.COORDINATOR, "ely-hub")
    upcoming = await splott_shift(bot, 6031, starts_in=timedelta(days=2))
    running = await splott_shift(bot, 6031, starts_in=timedelta(hours=2))
    sam = await member_id(bot, 6033)
    await bot.services.shifts.sign_up(sam, running)
    bot.clock.set(bot.clock.now() + timedelta(hours=3))  # the second shift has started
    organisation = next(item.id for item in await bot.services.reference.organisations()
                        if item.slug == "splott-community")
    activity = next(item.id for item in await bot.services.reference.activity_types())
    await bot.services.hours.log_hours(sam, organisation_id=organisation, activity_type_id=activity,
                                       worked_on=bot.services.hours.today() - timedelta(days=1), minutes=60,
                                       note=None, submitted_by_member_id=sam, idempotency_key="forged-test")
    async with bot.services.db.transaction() as session:
        entry_id = await session.scalar(select(TimeEntry.id))
    await ely.send_text("/me")
    await ely.next_message()
    not_theirs = ("Only coordinators of that organisation", "Only a coordinator of that organisation")
    for data in (EditShift(upcoming), CancelShift(upcoming), CancelShift(upcoming, confirmed=True),
                 Attendance(running), MarkAttendance(running, sam, "a"),
                 ConfirmAttendance(running), Decide("no", entry_id), Decide("ok", entry_id)):
        await refused_at_once(bot, ely, data.pack(), words=not_theirs)


async def test_malformed_button_data_is_answered_as_expired_and_logs_no_error(
        bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    user = bot.user(6041, "Sam")
    await register(bot, user)
    await grant(bot, 6041, Role.COORDINATOR, "splott-community")  # so no role check stops them first
    await user.send_text("/shifts")
    listing = await user.next_message()
    caplog.set_level(logging.INFO)
    for forged in ("sh-f:when:" + "1" * 26 + ":" + "2" * 26, "sh-f:when:", "sh-l:0:0:fortnight:0", "att:1:2:3",
                   "nsh-rep:27", "appr:maybe:1", "appr-all:-1", "act-t:1:x:1", "vch-cancel:" + "A" * 40,
                   "shc-cancel:5:yes", "sh-c:", ":", "", "sh-c:1" + ":" * 60):
        query = await user.press_data(listing.message_id, forged)
        answer = await user.callback_answer(query)
        assert answer["show_alert"] and "expired" in answer["text"], (forged, answer)
    await user.expect_silence(0.2)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]
    assert not any("Sorry, something went wrong" in message.text for message in user.messages)


async def test_an_admin_passes_the_grant_confirmation_only_with_a_grant_waiting(bot: BotUnderTest) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    await register(bot, admin)
    await admin.send_text("/me")
    await admin.next_message()
    await refused_at_once(bot, admin, "grant:yes", words=("expired",))
