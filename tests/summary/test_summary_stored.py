"""Closed weeks' figures are stored once and read back (summary_week), and a change that
lands in a closed week later (a late approval, attendance marked, a member moving) makes
that week's stored figures be worked out again: what a summary shows stays exactly right."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bot.db.models import Attendance, Member, Neighbourhood, ShiftSignup
from bot.db.summary_models import SummaryWeek
from bot.services.ledger import Ledger
from bot.services.summary.model import ScopeKind
from bot.services.summary.service import SCHEME, SummaryService
from bot.services.summary.weeks import IsoWeek
from tests.summary.known_week import WEEK, KnownWeek, log_approved, utc


async def stored_rows(world: KnownWeek, scope_kind: str = "scheme") -> dict[str, dict[str, Any]]:
    async with world.db.read() as session:
        rows = (await session.scalars(select(SummaryWeek).where(SummaryWeek.scope_kind == scope_kind))).all()
        return {row.week: row.figures for row in rows}


async def tamper(world: KnownWeek, week: IsoWeek, total: int) -> None:
    """Write a figure into the stored row by hand, without touching any record: a build
    that shows it read the row rather than the records."""
    async with world.db.transaction() as session:
        row = (await session.scalars(select(SummaryWeek).where(
            SummaryWeek.week == str(week), SummaryWeek.scope_kind == "scheme"))).one()
        figures = dict(row.figures)
        figures["figures"] = {**figures["figures"], "hours": {**figures["figures"]["hours"], "total": total}}
        await session.execute(update(SummaryWeek).where(SummaryWeek.id == row.id).values(figures=figures))


async def test_closed_weeks_are_stored_and_read_back(known_week: KnownWeek) -> None:
    summaries = SummaryService(known_week.db, known_week.config, known_week.clock)
    first = await summaries.build(SCHEME, WEEK)
    rows = await stored_rows(known_week)
    assert len(rows) == 12  # the week, the four before it and the trend's others: all closed at 08:00 Monday
    assert rows[str(WEEK)]["figures"]["hours"]["total"] == 390
    assert rows["2026-W35"]["figures"] is None  # a trend week only: its figures were not needed
    assert await summaries.build(SCHEME, WEEK) == first  # read back: the same summary
    await tamper(known_week, WEEK, 12345)
    assert (await summaries.build(SCHEME, WEEK)).this.hours.total == 12345  # the stored row is what is read


async def test_a_late_approval_into_a_closed_week_is_worked_out_again(known_week: KnownWeek) -> None:
    summaries = SummaryService(known_week.db, known_week.config, known_week.clock)
    before = await summaries.build(SCHEME, WEEK)
    previous_week = (await stored_rows(known_week))[str(WEEK.shifted(-1))]
    await tamper(known_week, WEEK, 12345)  # would show, were the week not worked out again
    # Olwen's Sunday hour is approved on Tuesday of the week after: W43 is closed by then.
    await log_approved(known_week.db, Ledger(known_week.config.ledger), known_week.clock, known_week.olwen,
                       organisation_id=known_week.reference["ely-hub"],
                       activity_type_id=known_week.reference["holiday-activities"], worked_on=WEEK.sunday,
                       minutes=60, approved_at=utc(2026, 10, 27, 9))
    after = await summaries.build(SCHEME, WEEK)
    assert after.this.hours.total == before.this.hours.total + 60 == 450
    assert after.this.volunteers.active == before.this.volunteers.active + 1  # Olwen is back: not lapsed
    assert after.this.volunteers.lapsed == before.this.volunteers.lapsed - 1 == 0
    assert after.trend[-1].total == 450
    assert after.this.credits.earned == before.this.credits.earned  # its earn was posted in W44
    assert after.reconciliation.balanced
    rows = await stored_rows(known_week)
    assert rows[str(WEEK)]["figures"]["hours"]["total"] == 450  # the stored week itself was redone
    assert rows[str(WEEK)]["figures"]["volunteers"]["lapsed"] == 0
    # The week before is the same (a change in W43 does not touch it); the week after is not closed yet.
    assert rows[str(WEEK.shifted(-1))] == previous_week
    assert str(WEEK.shifted(1)) not in rows


async def test_attendance_marked_late_and_a_member_moving_redo_the_week(known_week: KnownWeek) -> None:
    summaries = SummaryService(known_week.db, known_week.config, known_week.clock)
    ely = await summaries.scope(ScopeKind.NEIGHBOURHOOD, "ely")
    assert ely is not None
    before = await summaries.build(SCHEME, WEEK)
    assert (await summaries.build(ely, WEEK)).this.hours.total == 180
    async with known_week.db.transaction() as session:  # Ned's Saturday booking: marked a no-show on Tuesday
        await session.execute(update(ShiftSignup).where(ShiftSignup.member_id == known_week.ned,
                                                        ShiftSignup.attendance.is_(None))
                              .values(attendance=Attendance.NO_SHOW))
    after = await summaries.build(SCHEME, WEEK)
    assert after.this.shifts.no_shows == before.this.shifts.no_shows + 1
    async with known_week.db.transaction() as session:  # Eli moves to Splott
        splott = await session.scalar(select(Neighbourhood.id).where(Neighbourhood.slug == "splott"))
        await session.execute(update(Member).where(Member.id == known_week.eli).values(neighbourhood_id=splott))
    assert (await summaries.build(ely, WEEK)).this.hours.total == 0
    moved = await summaries.build(SCHEME, WEEK)
    assert {item.key: item.minutes for item in moved.this.hours.by_neighbourhood} == {"splott": 390}
