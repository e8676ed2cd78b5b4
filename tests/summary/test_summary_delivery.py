"""The weekly push: once a week at the configured local time (08:00 on Monday, before and
after the clocks go back), a run missed while the bot was down sent when it comes back,
once, with two workers; each staff member's summary in their language, kept as a
snapshot that a later /summary shows exactly, also after a member is erased."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select, update

from bot.clock import FrozenClock
from bot.config import Config
from bot.db.models import Member, OutboxMessage
from bot.db.summary_models import SummarySnapshot
from bot.i18n import translator
from bot.services.container import Services
from bot.services.ledger import Ledger
from bot.services.outbox_payloads import OutboxKind, WeeklySummary
from bot.services.summary.delivery import SummaryDelivery, due_at
from bot.services.summary.model import ScopeKind
from bot.services.summary.weeks import IsoWeek
from tests.summary.known_week import WEEK, KnownWeek, log_approved, utc


def monday_at(config: Config, hour: int, minute: int = 0) -> Config:
    return config.model_copy(update={"summaries": config.summaries.model_copy(
        update={"send_at": f"{hour:02d}:{minute:02d}"})})


def test_the_moment_is_local_time_on_both_sides_of_the_clock_change(config: Config) -> None:
    # Monday 19 October (BST): 08:00 is 07:00 UTC; Monday 26 October (GMT): 08:00 UTC.
    assert due_at(config, utc(2026, 10, 19, 6, 59)).week == IsoWeek(2026, 41)
    assert due_at(config, utc(2026, 10, 19, 7, 0)).moment == utc(2026, 10, 19, 7)
    assert due_at(config, utc(2026, 10, 19, 7, 0)).week == IsoWeek(2026, 42)
    assert due_at(config, utc(2026, 10, 26, 7, 59)).week == IsoWeek(2026, 42)
    assert due_at(config, utc(2026, 10, 26, 8, 0)).moment == utc(2026, 10, 26, 8)
    assert due_at(config, utc(2026, 10, 26, 8, 0)).week == WEEK
    # Spring: Monday 29 March 2027, BST again.
    assert due_at(config, utc(2027, 3, 29, 7)).moment == utc(2027, 3, 29, 7)
    assert due_at(config, utc(2027, 3, 29, 7)).week == IsoWeek(2027, 12)
    sunday_evening = config.model_copy(update={"summaries": config.summaries.model_copy(
        update={"send_weekday": "sunday", "send_at": "20:30"})})
    assert due_at(sunday_evening, utc(2026, 10, 25, 20, 30)).moment == utc(2026, 10, 25, 20, 30)


async def queued_rows(world: KnownWeek) -> list[OutboxMessage]:
    async with world.db.read() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.WEEKLY_SUMMARY).order_by(OutboxMessage.id))).all())


async def test_it_fires_once_a_week_at_the_local_time_across_the_clock_change(known_week: KnownWeek) -> None:
    clock = FrozenClock(utc(2026, 10, 18, 0))
    delivery = SummaryDelivery(known_week.db, known_week.config, clock)
    assert await delivery.queue_due() == 4  # 2026-W41's, due on Monday 12 October: caught up at once
    clock.advance(minutes=30)
    fired: list[tuple[str, int]] = []
    while clock.now() < utc(2026, 11, 3):
        queued = await delivery.queue_due()
        if queued:
            fired.append((clock.now().isoformat(), queued))
        clock.advance(minutes=30)
    # Two staff members, each for their organisation and its neighbourhood: four summaries a week.
    assert fired == [("2026-10-19T07:00:00+00:00", 4), ("2026-10-26T08:00:00+00:00", 4),
                     ("2026-11-02T08:00:00+00:00", 4)]
    weeks = {row.dedupe_key.split(":")[1] for row in await queued_rows(known_week)}
    assert weeks == {"2026-W41", "2026-W42", "2026-W43", "2026-W44"}


async def test_a_run_missed_while_down_is_sent_when_back_once_with_two_workers(known_week: KnownWeek) -> None:
    back = FrozenClock(utc(2026, 10, 26, 13, 5))  # down through Monday 08:00, back after lunch
    first = SummaryDelivery(known_week.db, known_week.config, back)
    second = SummaryDelivery(known_week.db, known_week.config, back)
    results = await asyncio.gather(first.queue_due(), second.queue_due())
    assert sum(results) == 4
    assert await first.queue_due() == 0 and await second.queue_due() == 0
    back.advance(days=1)
    assert await first.queue_due() == 0
    rows = await queued_rows(known_week)
    heads = [row for row in rows if row.dedupe_key.endswith(":0")]
    assert len(heads) == 4
    for head in heads:  # every part of one member's summary is of one snapshot, numbered 0..parts-1
        prefix = head.dedupe_key.rsplit(":", 1)[0]
        parts = [WeeklySummary.model_validate(row.payload) for row in rows if row.dedupe_key.startswith(prefix + ":")]
        assert [part.part for part in parts] == list(range(parts[0].parts))
        assert len({part.snapshot_id for part in parts}) == 1


async def test_each_staff_member_gets_theirs_in_their_language(known_week: KnownWeek) -> None:
    import handlers.summaries
    services = Services.build(known_week.db, known_week.config, known_week.clock)
    assert await services.summary_delivery.queue_due() == 4
    rows = await queued_rows(known_week)
    by_member: dict[int, list[str]] = {}
    for row in rows:
        payload = WeeklySummary.model_validate(row.payload)
        rendered = await handlers.summaries.render_weekly_summary(
            services, translator("en", known_week.config.tz), payload, row.member_id)
        assert rendered is not None
        by_member.setdefault(row.member_id, []).append(rendered.text)
    splott = "\n".join(by_member[known_week.splott_staff])
    ely = "\n".join(by_member[known_week.ely_staff])
    assert "<b>Crynodeb wythnosol: Ymddiriedolaeth Gymunedol Sblot</b>" in splott  # Welsh-speaking staff
    assert "<b>Crynodeb wythnosol: Sblot</b>" in splott
    assert "<b>Weekly summary: Ely Community Hub</b>" in ely and "<b>Weekly summary: Ely</b>" in ely
    assert "Splott Community Trust" not in ely  # each organisation's staff get their own


async def test_a_sent_week_shows_what_was_sent_after_erasure_and_says_when_figures_moved(
        known_week: KnownWeek) -> None:
    services = Services.build(known_week.db, known_week.config, known_week.clock)
    await services.summary_delivery.queue_due()
    ely = await services.summaries.scope(ScopeKind.NEIGHBOURHOOD, "ely")
    assert ely is not None
    sent = await services.summaries.on_demand(ely, WEEK)
    assert sent.sent is not None and not sent.recomputed_differs
    async with known_week.db.read() as session:
        stored = [row.figures for row in (await session.scalars(select(SummarySnapshot))).all()]
    assert stored and all("Eli" not in json.dumps(figures) for figures in stored)  # figures, no names
    # Eli is erased; Olwen's hours for the week are approved late.
    async with known_week.db.transaction() as session:
        await session.execute(update(Member.__table__).where(Member.id == known_week.eli).values(
            display_name=None, telegram_user_id=None, neighbourhood_id=None, erased_at=known_week.clock.now()))
    await log_approved(known_week.db, Ledger(known_week.config.ledger), known_week.clock, known_week.olwen,
                       organisation_id=known_week.reference["ely-hub"],
                       activity_type_id=known_week.reference["holiday-activities"], worked_on=WEEK.sunday,
                       minutes=60, approved_at=utc(2026, 10, 27, 9))
    again = await services.summaries.on_demand(ely, WEEK)
    assert again.summary == sent.summary  # exactly what was sent
    assert again.summary.this.hours.total == 180 and again.summary.this.volunteers.first_time == 1
    assert again.recomputed_differs
    rebuilt = await services.summaries.build(ely, WEEK)
    assert rebuilt.this.hours.total == 60  # Eli no longer lives anywhere; Olwen's late hour counts


async def test_nothing_goes_when_summaries_are_switched_off(known_week: KnownWeek) -> None:
    off = known_week.config.model_copy(update={"summaries": known_week.config.summaries.model_copy(
        update={"enabled": False})})
    assert await SummaryDelivery(known_week.db, off, known_week.clock).queue_due() == 0
    later = SummaryDelivery(known_week.db, monday_at(known_week.config, 9), known_week.clock)
    assert await later.queue_due() == 4  # at 08:00, last week's 09:00 run (never made) is caught up ...
    assert {row.dedupe_key.split(":")[1] for row in await queued_rows(known_week)} == {"2026-W42"}
    known_week.clock.advance(minutes=59)
    assert await later.queue_due() == 0  # ... and this week's waits for 09:00
    known_week.clock.advance(minutes=1)
    assert await later.queue_due() == 4


async def test_the_leader_worker_schedules_it(sqlite_db, config: Config, clock: FrozenClock) -> None:  # noqa: ANN001
    from bot.app import build_application
    from bot.delivery.roles import ProcessRole

    application = build_application(Services.build(sqlite_db, config, clock), role=ProcessRole.WORKER)
    jobs = {job.name: job for job in application.bot_data["worker"].jobs}
    assert jobs["weekly-summaries"].every_s <= 60  # within a minute of its local time
