"""Every figure of a known week (2026-W43, the clocks going back on its Sunday), for the
whole scheme, one organisation and one neighbourhood; and the reconciliation line
catching a figure that disagrees with the ledger."""

from __future__ import annotations

from sqlalchemy import update

from bot.db.models import TimeEntry
from bot.services.ledger import Ledger
from bot.services.summary.model import Check, Credits, Figure, Hours, Scope, ScopeKind, Shifts, Volunteers
from bot.services.summary.reconciliation import checked_against
from bot.services.summary.service import SCHEME, SummaryService
from bot.services.summary.weeks import IsoWeek
from tests.summary.known_week import WEEK, KnownWeek, log_approved, utc


def service(world: KnownWeek) -> SummaryService:
    return SummaryService(world.db, world.config, world.clock)


async def scope(world: KnownWeek, kind: ScopeKind, slug: str) -> Scope:
    found = await service(world).scope(kind, slug)
    assert found is not None
    return found


def minutes(items: tuple) -> dict[str, int]:
    return {item.key: item.minutes for item in items}


def test_the_week_is_local_monday_to_sunday_across_the_clock_change() -> None:
    from zoneinfo import ZoneInfo
    tz = ZoneInfo("Europe/London")
    assert WEEK.starts_at(tz) == utc(2026, 10, 18, 23)  # 00:00 BST
    assert WEEK.ends_at(tz) == utc(2026, 10, 26, 0)  # 00:00 GMT
    assert (WEEK.ends_at(tz) - WEEK.starts_at(tz)).total_seconds() == 169 * 3600
    spring = IsoWeek.parse("2027-W12")  # Sunday 28 March 2027: the clocks go forward
    assert (spring.ends_at(tz) - spring.starts_at(tz)).total_seconds() == 167 * 3600
    assert str(IsoWeek.parse("2026-w48")) == "2026-W48"


async def test_the_whole_scheme_week(known_week: KnownWeek) -> None:
    summary = await service(known_week).build(SCHEME, WEEK)
    this = summary.this
    assert this.hours.total == 120 + 180 + 90
    assert minutes(this.hours.by_activity) == {"holiday-activities": 180, "day-centre": 120, "community-hub": 90}
    assert minutes(this.hours.by_organisation) == {"splott-community": 210, "ely-hub": 180}
    assert minutes(this.hours.by_neighbourhood) == {"splott": 210, "ely": 180}
    assert this.hours.replacing_reduced_service == 120
    assert this.volunteers == Volunteers(active=3, first_time=1, returning=2, lapsed=1)
    assert this.shifts == Shifts(run=4, filled=2, part_filled=1, unfilled=1, cancelled=1, places=8, booked=4,
                                 attended=2, no_shows=1)
    assert this.credits == Credits(earned=390, spent=150, transferred=30, expired=30, expired_vouchers=1,
                                   corporate_vouchers=2, corporate_spent=120, community_vouchers=1,
                                   community_spent=30)
    assert summary.next_week_short == 1
    assert [(p.key, p.redeemed, p.redeemed_minutes, p.outstanding, p.outstanding_minutes)
            for p in summary.partners] == [("cardiff-council", 1, 60, 1, 60)]
    assert [(e.key, e.minutes, e.registered_members) for e in summary.equity] == [
        ("ely", 180, known_week.registered["ely"]), ("splott", 210, known_week.registered["splott"])]
    assert summary.reconciliation.balanced
    assert [(c.figure, c.summary, c.ledger) for c in summary.reconciliation.checks] == [
        (Figure.EARNED, 390, 390), (Figure.SPENT, 150, 150), (Figure.TRANSFERRED, 30, 30)]
    assert not summary.so_far


async def test_the_weeks_before_and_the_trend(known_week: KnownWeek) -> None:
    summary = await service(known_week).build(SCHEME, WEEK)
    assert [str(week.week) for week in summary.history] == ["2026-W42", "2026-W41", "2026-W40", "2026-W39"]
    previous = summary.previous
    # Olwen's W41 hours were approved on Sunday 18 October at 23:30 BST: earned in W42.
    assert previous.credits.earned == 45 and previous.hours.total == 0
    assert summary.history[1].hours.total == 45
    assert summary.history[2].hours.total == 180 and summary.history[2].volunteers.first_time == 2
    assert summary.history[3].credits.community_spent == 30
    assert str(summary.trend[0].week) == "2026-W32"
    assert [str(week.week) for week in summary.trend][-1] == "2026-W43"
    assert summary.trend[-1].replacing_reduced_service == 120 and summary.trend[-1].total == 390
    assert (summary.trend[-1].corporate_spent, summary.trend[-1].community_spent) == (120, 30)


async def test_one_organisation(known_week: KnownWeek) -> None:
    splott = await scope(known_week, ScopeKind.ORGANISATION, "splott-community")
    summary = await service(known_week).build(splott, WEEK)
    this = summary.this
    assert this.hours == Hours(total=210, replacing_reduced_service=120, by_activity=this.hours.by_activity,
                               by_organisation=this.hours.by_organisation,
                               by_neighbourhood=this.hours.by_neighbourhood)
    assert minutes(this.hours.by_activity) == {"day-centre": 120, "community-hub": 90}
    assert this.volunteers == Volunteers(active=2, first_time=0, returning=2, lapsed=0)
    assert this.shifts == Shifts(run=3, filled=1, part_filled=1, unfilled=1, cancelled=1, places=7, booked=3,
                                 attended=1, no_shows=1)
    assert this.credits.earned == 210 and this.credits.spent == 0 and this.credits.transferred is None
    assert summary.partners == ()  # Splott Community Trust is not a corporate partner
    assert summary.next_week_short == 1
    assert [c.figure for c in summary.reconciliation.checks] == [Figure.EARNED, Figure.SPENT]
    assert summary.reconciliation.balanced


async def test_one_neighbourhood(known_week: KnownWeek) -> None:
    ely = await scope(known_week, ScopeKind.NEIGHBOURHOOD, "ely")
    summary = await service(known_week).build(ely, WEEK)
    this = summary.this
    assert this.hours.total == 180 and this.hours.replacing_reduced_service == 0
    assert this.volunteers == Volunteers(active=1, first_time=1, returning=0, lapsed=1)
    assert this.shifts == Shifts(run=1, filled=1, places=1, booked=1, attended=1)
    assert this.credits == Credits(earned=180, spent=30, transferred=0, expired=30, expired_vouchers=1,
                                   community_vouchers=1, community_spent=30)
    assert summary.next_week_short == 0
    assert [(e.key, e.minutes) for e in summary.equity] == [("ely", 180)]
    assert summary.reconciliation.balanced


async def test_the_reconciliation_line_catches_a_broken_figure(known_week: KnownWeek) -> None:
    summary = await service(known_week).build(SCHEME, WEEK)
    broken = checked_against(summary.reconciliation, summary.this.credits.model_copy(update={"earned": 420}))
    assert not broken.balanced
    assert broken.differences == (Check(figure=Figure.EARNED, summary=420, ledger=390),)
    assert broken.differences[0].difference == 30


async def test_the_reconciliation_line_catches_records_that_disagree_with_the_ledger(known_week: KnownWeek) -> None:
    """A time entry edited after it was credited, and an earn posted with no time entry:
    the summary's figures and the ledger's movements no longer agree, and it says by how much."""
    async with known_week.db.transaction() as session:
        await session.execute(update(TimeEntry.__table__).where(TimeEntry.member_id == known_week.eli,
                                                                 TimeEntry.minutes == 180).values(minutes=150))
        await Ledger(known_week.config.ledger).earn(session, member_id=known_week.ned, minutes=15,
                                                    idempotency_key="stray", now=utc(2026, 10, 22, 12))
    summary = await service(known_week).build(SCHEME, WEEK)
    assert not summary.reconciliation.balanced
    assert summary.reconciliation.differences == (Check(figure=Figure.EARNED, summary=360, ledger=405),)


async def test_hours_approved_later_change_the_week(known_week: KnownWeek) -> None:
    """Hours of the week approved after it ended count in its hours (they were given then)
    and in the credits of the week they were approved in."""
    ledger = Ledger(known_week.config.ledger)
    await log_approved(known_week.db, ledger, known_week.clock, known_week.olwen,
                       organisation_id=known_week.reference["ely-hub"],
                       activity_type_id=known_week.reference["day-centre"], worked_on=WEEK.sunday, minutes=60,
                       approved_at=utc(2026, 10, 27, 9))
    summary = await service(known_week).build(SCHEME, WEEK)
    assert summary.this.hours.total == 450 and summary.this.credits.earned == 390
    assert summary.this.volunteers.lapsed == 0 and summary.this.volunteers.active == 4
