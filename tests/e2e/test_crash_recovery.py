"""The bot's machine loses power, three times, while members log hours, twenty sign up
for five places and a coordinator approves. Nobody's press is lost and nothing is done
twice: every update Telegram handed over is handled once in the end.

The bot is the real `coprod-bot run`, a child process killed with SIGKILL (no clean-up
of any kind) and started again; Telegram is the emulator, which keeps every update
that no getUpdates offset confirmed and hands it out again, as Telegram does.
"""

from __future__ import annotations

import asyncio
import copy
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.config import parse_config
from bot.db.enums import InboxStatus
from bot.db.models import (
    LedgerTransaction,
    Role,
    ShiftSignup,
    SignupStatus,
    TimeEntry,
    TimeEntryStatus,
    TransactionKind,
)
from bot.db.runtime_models import InboxUpdate
from bot.db.session import Database
from bot.emulator import EmulatedUser, EmulatorLimits, TelegramEmulator
from bot.services.container import Services
from bot.services.reference import sync_reference_data
from bot.services.shift_authoring import ShiftDraft
from tests.conftest import TEST_CONFIG
from tests.processes import BotProcess, config_file

KILLS = 3
LOGGERS = 6  # members who log hours through the /log dialogue
WAITING = 4  # hours already waiting for the coordinator when the story starts
SIGNERS = 20  # members signing up for one shift of five places
PLACES = 5
# Long enough to outlast a restart and the dead process's inbox lease (10 s).
PATIENCE = 90.0


async def until(user: EmulatedUser, *words: str) -> str:
    """The member waits, as long as it takes, for the bot's message (or an edit) saying
    one of `words` (returned); whatever else arrives meanwhile (repeats after a crash)
    is passed over."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError(f"chat {user.user_id} never saw {words!r}")
        message = await user.next_event(timeout=remaining)
        for said in words:
            if said in (message.text or ""):
                return said


async def a_member_logs_hours(user: EmulatedUser) -> None:
    await user.send_text("/log")
    await until(user, "What did you do?")
    await user.press("Community hub")
    await until(user, "Which organisation")
    await user.press("Splott Community Trust")
    await until(user, "When was it?")
    await user.press("Yesterday")
    await until(user, "How long")
    await user.send_text("2")
    await until(user, "Anything the coordinator should know")
    await user.press("Skip")
    await until(user, "Activity:")
    await user.press("Send for approval")
    await until(user, "sent to the coordinator")


async def a_member_signs_up(user: EmulatedUser, shift_id: int) -> None:
    await user.send_text(f"/start shift_{shift_id}")
    await until(user, "Splott Hub")
    await user.press(1)  # "Sign up", or "Join the waiting list" once the places are gone
    if await until(user, "You're", "the last place has just gone") != "You're":
        await user.press("Join the waiting list")
        await until(user, "You're")


async def the_coordinator_approves(coordinator: EmulatedUser, expected: int) -> None:
    """Asks for /approvals and approves each entry, until `expected` have been."""
    approved: set[int] = set()
    while len(approved) < expected:
        await coordinator.send_text("/approvals")
        await asyncio.sleep(1.0)
        for message in list(coordinator.messages):
            for button in (b for row in message.buttons for b in row):
                if button.text == "Approve" and button.callback_data not in approved:
                    approved.add(button.callback_data)
                    await coordinator.press_data(message.message_id, button.callback_data)
        await asyncio.sleep(0.5)


async def kill_and_restart(bot: BotProcess, kills: list[float]) -> None:
    """SIGKILL at a random moment after each start, then start again."""
    for _ in range(KILLS):
        await asyncio.sleep(random.uniform(0.3, 1.5))
        await bot.kill()
        kills.append(asyncio.get_running_loop().time())
        await bot.start()


async def test_three_crashes_while_members_log_sign_up_and_are_approved_lose_nothing_and_repeat_nothing(
        db: Database, make_member, tmp_path: Path) -> None:
    raw = copy.deepcopy(TEST_CONFIG)
    raw["scheme"]["default_language"] = "en"
    config = parse_config(raw)
    await sync_reference_data(db, config)
    services = Services.build(db, config, SystemClock())
    ids = {item.slug: item.id for item in await _reference(db)}

    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot",
                                limits=EmulatorLimits(chat_burst=60))
    await emulator.start(host="127.0.0.1", port=0)
    coordinator_id = await make_member("Tom", telegram_user_id=7000)
    await services.members.grant(actor_member_id=None, role=Role.COORDINATOR, telegram_user_id=7000,
                                 organisation_slug="splott-community")
    loggers = [emulator.user(7100 + n, f"Logger{n}") for n in range(LOGGERS)]
    signers = [emulator.user(7200 + n, f"Signer{n}") for n in range(SIGNERS)]
    for user in [*loggers, *signers]:
        await make_member(user.first_name, telegram_user_id=user.user_id)
    yesterday = date.today() - timedelta(days=1)
    for n in range(WAITING):
        member_id = await make_member(f"Earlier{n}", telegram_user_id=7300 + n)
        await services.hours.log_hours(member_id, organisation_id=ids["splott-community"],
                                       activity_type_id=ids["community-hub"], worked_on=yesterday, minutes=60,
                                       note=None, submitted_by_member_id=member_id, idempotency_key=f"earlier-{n}")
    starts_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    shift = await services.shifts.create_shifts(coordinator_id, ShiftDraft(
        organisation_id=ids["splott-community"], activity_type_id=ids["community-hub"],
        neighbourhood_id=ids["splott"], venue="Splott Hub", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), capacity=PLACES))
    shift_id = shift.shift_ids[0]

    bot = BotProcess(tmp_path, token=emulator.token, base_url=emulator.base_url,
                     database_url=db.engine.url.render_as_string(hide_password=False),
                     config=config_file(tmp_path, raw))
    coordinator = emulator.user(7000, "Tom")
    kills: list[float] = []
    try:
        await bot.start()
        await asyncio.gather(
            kill_and_restart(bot, kills),
            *(a_member_logs_hours(user) for user in loggers),
            *(a_member_signs_up(user, shift_id) for user in signers),
            the_coordinator_approves(coordinator, WAITING + LOGGERS),
        )
        # Every press is in; wait until the bot has handled all it was handed.
        for _ in range(int(PATIENCE * 2)):
            async with db.read() as session:
                unhandled = await session.scalar(select(func.count()).select_from(InboxUpdate).where(
                    InboxUpdate.status == InboxStatus.RECEIVED))
            if unhandled == 0 and emulator.updates.pending_count == 0:
                break
            await asyncio.sleep(0.5)
        assert await bot.stop() == 0
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()
        await emulator.stop()

    handed_over = [update_id for update_id, _ in emulator.updates.delivered()]
    async with db.read() as session:
        inbox = dict((await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all())
        attempts = await session.scalar(select(func.sum(InboxUpdate.attempts)))
        entries = (await session.execute(select(TimeEntry.member_id, TimeEntry.status))).all()
        earned = await session.scalar(select(func.count()).select_from(LedgerTransaction).where(
            LedgerTransaction.kind == TransactionKind.EARN))
        signups = (await session.execute(select(ShiftSignup.member_id, ShiftSignup.status).where(
            ShiftSignup.shift_id == shift_id, ShiftSignup.status != SignupStatus.CANCELLED))).all()
    statuses = [status for _, status in signups]
    print(f"\n{len(kills)} SIGKILLs, {bot.starts} starts; updates handed to the bot: {len(handed_over)}; "
          f"inbox rows: {len(inbox)} ({sum(s is InboxStatus.HANDLED for s in inbox.values())} handled, "
          f"{attempts} claims in all); time entries: {len(entries)} "
          f"({sum(s is TimeEntryStatus.APPROVED for _, s in entries)} approved); ledger earn postings: {earned}; "
          f"sign-ups: {statuses.count(SignupStatus.BOOKED)} booked, {statuses.count(SignupStatus.WAITLISTED)} waiting")
    assert len(kills) == KILLS
    assert sorted(inbox) == handed_over
    assert set(inbox.values()) == {InboxStatus.HANDLED}
    assert len(entries) == WAITING + LOGGERS and len({member for member, _ in entries}) == WAITING + LOGGERS
    assert all(status is TimeEntryStatus.APPROVED for _, status in entries)
    assert earned == WAITING + LOGGERS
    assert len(signups) == SIGNERS and len({member for member, _ in signups}) == SIGNERS
    assert statuses.count(SignupStatus.BOOKED) == PLACES


async def _reference(db: Database):
    from bot.services import reference

    return [*await reference.neighbourhoods(db), *await reference.organisations(db),
            *await reference.activity_types(db)]
