"""The hostile-input suite: one bot per module on SQLite (what it checks is the handlers'
answers, not the database's; PostgreSQL adds nothing here and would only slow the
suite), a small world of members to attack and be attacked, and the checks every
hostile update must pass:

- the bot answers (a message, an edit or a callback answer);
- the emulator refused nothing (no invalid HTML, no text over Telegram's limits);
- no traceback or exception text reaches a chat, and the bot's error handler logged
  nothing;
- a Welsh member is answered in Welsh (tests/e2e/welsh_judge.py's catalogue check);
- no other member's private data shows up in the attacker's chat.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import Member, Role
from bot.emulator import BotMessage, EmulatedUser, EmulatorLimits, TelegramEmulator
from bot.services.shift_authoring import ShiftDraft
from bot.services.spending import OpportunitySeed
from tests.conftest import DEFAULT_NOW, TEST_CONFIG, sqlite_copy
from tests.e2e.conftest import ADMIN_ID, BotUnderTest, e2e_config, grant, register, running_bot
from tests.e2e.welsh_judge import judge

# Words that only an unhandled error would put in a chat.
LEAKED_ERROR = re.compile(r"Traceback|File \"|Exception|Error:|sqlalchemy|asyncpg|aiosqlite|telegram\.error"
                          r"|KeyError|ValueError|TypeError|AttributeError|NoneType|\bline \d+\b")


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger, while the module's bot runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        taken, self.records = self.records, []
        return [f"{record.name}: {record.getMessage()} {record.exc_text or ''}" for record in taken]


@dataclass
class World:
    """The bot and the members of the hostile suite.

    - `ceri` (the scheme's admin, Welsh): coordinator and staff of Splott Community Trust,
      partner staff of Cardiff Council: every text step is open to her.
    - `sam` (English volunteer) and `tom` (English coordinator of Ely Community Hub): the
      victims, whose buttons are replayed and whose details must never leak.
    - `mallory` (Welsh volunteer): replays their buttons.
    """

    bot: BotUnderTest
    errors: ErrorLog
    ceri: EmulatedUser
    sam: EmulatedUser
    tom: EmulatedUser
    mallory: EmulatedUser
    ids: dict[str, int]
    sam_id: int = 0
    shift_id: int = 0  # Splott's, Ceri's to edit
    ely_shift_id: int = 0  # Tom's
    secrets: list[str] = field(default_factory=list)  # what only the victims may see
    entries: int = 0  # Sam's hours logged for the suite
    walker: EmulatedUser | None = None  # who walks to the text steps (tests/hostile/walks.py)

    @property
    def emulator(self) -> TelegramEmulator:
        return self.bot.emulator


SPLOTT_GROUP = -100_700  # Splott's Telegram group, where broadcasts may be posted too
SAM_NAME = "Samwise Gamgee-Victim"
TOM_NAME = "Tomos Elycoordinator"
SAM_NOTE = "note only the coordinator reads 7001"


async def member_id(bot: BotUnderTest, telegram_user_id: int) -> int:
    async with bot.services.db.transaction() as session:
        found = await session.scalar(select(Member.id).where(Member.telegram_user_id == telegram_user_id))
    assert found is not None
    return found


async def _reference_ids(bot: BotUnderTest) -> dict[str, int]:
    from bot.services import reference

    items = [*await reference.neighbourhoods(bot.services.db), *await reference.organisations(bot.services.db),
             *await reference.activity_types(bot.services.db)]
    return {item.slug: item.id for item in items}


async def _shift(bot: BotUnderTest, coordinator: int, organisation: str, venue: str, ids: dict[str, int]) -> int:
    start = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    result = await bot.services.shifts.create_shifts(await member_id(bot, coordinator), ShiftDraft(
        organisation_id=ids[organisation], activity_type_id=ids["community-hub"],
        neighbourhood_id=ids["splott" if organisation == "splott-community" else "ely"], venue=venue,
        starts_at=start, ends_at=start + timedelta(hours=2), capacity=3,
        description_en="Serve lunch", description_cy="Gweini cinio"))
    return result.shift_ids[0]


async def build_world(bot: BotUnderTest, errors: ErrorLog) -> World:
    ceri = bot.user(ADMIN_ID, "Ceri", language_code="cy")
    sam, tom = bot.user(7001, "Sam"), bot.user(7002, "Tom")
    mallory = bot.user(7003, "Mallory", language_code="cy")
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    await register(bot, sam, name=SAM_NAME)
    await register(bot, tom, name=TOM_NAME, neighbourhood="Ely")
    await register(bot, mallory, language="Cymraeg", neighbourhood="Sblot")
    await grant(bot, ADMIN_ID, Role.COORDINATOR, "splott-community")
    await grant(bot, ADMIN_ID, Role.STAFF, "splott-community")
    await grant(bot, ADMIN_ID, Role.PARTNER, "cardiff-council")
    await grant(bot, 7002, Role.COORDINATOR, "ely-hub")
    ids = await _reference_ids(bot)
    world = World(bot, errors, ceri, sam, tom, mallory, ids, secrets=[SAM_NAME, TOM_NAME, SAM_NOTE])
    world.walker = ceri
    world.shift_id = await _shift(bot, ADMIN_ID, "splott-community", "Splott Hub", ids)
    world.ely_shift_id = await _shift(bot, 7002, "ely-hub", "Ely Hub", ids)
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="swim", organisation="splott-community", kind="corporate", name_en="Swimming session",
        name_cy="Sesiwn nofio", venue="Splott Pool", cost_minutes=60)])
    world.sam_id = await member_id(bot, 7001)
    await sams_hours(world)
    await bot.settled()
    for user in (ceri, sam, tom, mallory):
        await drain(user)
    return world


async def settle(world: World, user: EmulatedUser) -> list[BotMessage]:
    """What the bot sent `user` in answer to everything handed over so far (each update
    handled to its end: nothing more is coming, bar the outbox's notifications)."""
    deadline = asyncio.get_running_loop().time() + 10
    # Until python-telegram-bot has fetched and confirmed them, the updates are still the
    # emulator's, and `settled` would not wait for them.
    while world.emulator.updates.pending_count:
        assert asyncio.get_running_loop().time() < deadline, "the bot stopped fetching updates"
        await asyncio.sleep(0.005)
    await world.bot.settled()
    return await drain(user, quiet=0)


async def sams_hours(world: World) -> None:
    """Sam logs 90 minutes at Splott: an entry waiting for Ceri's approval."""
    world.entries += 1
    await world.bot.services.hours.log_hours(
        world.sam_id, organisation_id=world.ids["splott-community"], activity_type_id=world.ids["community-hub"],
        worked_on=DEFAULT_NOW.date() - timedelta(days=1), minutes=90, note=SAM_NOTE,
        submitted_by_member_id=world.sam_id, idempotency_key=f"hostile-sam-{world.entries}")


async def drain(user: EmulatedUser, quiet: float = 0.15) -> list[BotMessage]:
    """Everything the bot sends this user until it has been quiet for `quiet` seconds."""
    seen = []
    while True:
        try:
            seen.append(await user.next_event(timeout=quiet))
        except TimeoutError:
            return seen


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    emulator = TelegramEmulator(token=TEST_CONFIG["telegram"]["token"], bot_username="coprod_test_bot",
                                limits=EmulatorLimits(chat_burst=100_000, global_per_s=100_000))
    await emulator.start(host="127.0.0.1", port=0)
    url = sqlite_copy(sqlite_template, tmp_path_factory.mktemp("hostile"))
    try:
        config = e2e_config(emulator.base_url, url)
        splott = config.neighbourhoods[0].model_copy(update={"telegram_group_chat_id": SPLOTT_GROUP})
        config = config.model_copy(update={"neighbourhoods": [splott, *config.neighbourhoods[1:]]})
        emulator.user(SPLOTT_GROUP, "Splott group")  # the emulator has no groups: a chat that stands in for one
        async with running_bot(emulator, config, FrozenClock(DEFAULT_NOW)) as bot:
            yield await build_world(bot, errors)
    finally:
        logging.getLogger().removeHandler(errors)
        await emulator.stop()


def check_answers(world: World, user: EmulatedUser, answers: Iterable[BotMessage], *, typed: str = "",
                  welsh: bool | None = None) -> None:
    """What every hostile update must leave behind (see the module docstring)."""
    answers = list(answers)
    assert world.emulator.rejections == [], world.emulator.rejections
    assert world.errors.take() == []
    if welsh is None:
        welsh = user.language_code == "cy"
    for message in answers:
        shown = "\n".join([message.text, *message.button_labels()])
        assert not LEAKED_ERROR.search(shown.replace(typed, "")), message.describe()
        if user is world.mallory:
            assert not any(secret in shown for secret in world.secrets if secret not in typed), message.describe()
        if welsh:
            verdict = judge(shown.replace(typed, " ").replace(typed.strip(), " "))
            assert verdict.english_message is None, str(verdict)
