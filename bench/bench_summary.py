"""How fast is one week's whole-scheme summary with two years of history behind it?

Builds 10,000 members (85 of them groups) in four neighbourhoods, and two years of
approved time entries (about 1,000,000, each credited by an earn in the ledger), with
vouchers (corporate and community, some redeemed, some expired), gifts between members
and shifts with sign-ups, all by bulk inserts. Then measures, for the last full week:

* the build time of the whole-scheme summary (`summarise`: the week, the four before
  it, the 12-week trends, partners, equity, next week, the reconciliation), median of
  several runs, with the closed weeks' figures stored (summary_week: what every summary
  after the first reads); target under 100 ms on SQLite; and the build with none stored
  (every week worked out from the records, as the first summary after a change does);
* the same with one year of history and with two (the older year is added in between),
  and their ratio: the time should grow with the week's rows, not with history (target
  under 1.2); on SQLite the one-year database is a copy kept aside, and the two are
  measured in turn, so that both see the machine at the same speed;
* a floor measured in the same run: one indexed aggregate over the week's time entries
  (count and sum), the least any summary of the week must read; the build's ratio to it.

    python bench/bench_summary.py                      # SQLite, temporary file
    python bench/bench_summary.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

On PostgreSQL the same rules as bench_ledger.py: only a database named `bench`, or
--reset, has its schema dropped and recreated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ledger import prepare  # noqa: E402

from bot.config import Config, parse_config  # noqa: E402
from bot.db.models import (  # noqa: E402
    Account,
    AccountKind,
    Attendance,
    LedgerEntry,
    LedgerTransaction,
    Member,
    MemberKind,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    SpendOpportunity,
    TimeEntry,
    TimeEntryStatus,
    TransactionKind,
    Voucher,
    VoucherStatus,
)
from bot.db.session import Database  # noqa: E402
from bot.db.summary_models import SummaryWeek  # noqa: E402
from bot.services.reference import activity_types, neighbourhoods, organisations, sync_reference_data  # noqa: E402
from bot.services.spending import OpportunitySeed, SpendingService  # noqa: E402
from bot.services.summary.service import SCHEME, summarise  # noqa: E402
from bot.services.summary.weeks import IsoWeek  # noqa: E402

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # Monday: the summary of 2026-W49 is due
WEEK = IsoWeek(2026, 49)
YEAR_WEEKS = 52
CHUNK = 20_000

CONFIG: dict[str, Any] = {
    "telegram": {"token": "1:BENCH"},
    "neighbourhoods": [{"slug": slug, "name_en": slug.title(), "name_cy": slug.title()}
                       for slug in ("splott", "ely", "butetown", "llanrumney")],
    "organisations": [
        *({"slug": f"{slug}-tso", "kind": "neighbourhood_tso", "name_en": f"{slug.title()} TSO",
           "name_cy": f"STS {slug.title()}", "neighbourhood": slug}
          for slug in ("splott", "ely", "butetown", "llanrumney")),
        {"slug": "timebank-wales", "kind": "specialist_tso", "name_en": "Timebank Wales",
         "name_cy": "Banc Amser Cymru"},
        {"slug": "cardiff-council", "kind": "corporate_partner", "name_en": "Cardiff Council",
         "name_cy": "Cyngor Caerdydd"},
    ],
    "activity_types": [
        {"slug": "holiday", "name_en": "Holiday activities", "name_cy": "Gweithgareddau gwyliau"},
        {"slug": "day-centre", "name_en": "Day centre", "name_cy": "Canolfan ddydd", "replaces_reduced_service": True},
        {"slug": "hub", "name_en": "Community hub", "name_cy": "Hyb cymunedol"},
        {"slug": "library", "name_en": "Library", "name_cy": "Llyfrgell", "replaces_reduced_service": True},
        {"slug": "events", "name_en": "Community events", "name_cy": "Digwyddiadau cymunedol"},
        {"slug": "gardening", "name_en": "Gardening", "name_cy": "Garddio"},
    ],
}


class Seeder:
    """Bulk inserts with explicit ids, so entries, transactions and legs link without reads."""

    def __init__(self, db: Database, config: Config, members: int, entries_per_week: int, seed: int) -> None:
        self.db = db
        self.config = config
        self.members = members
        self.entries_per_week = entries_per_week
        self.rng = random.Random(seed)
        self.ids: dict[str, int] = {"entry": 0, "transaction": 0, "leg": 0, "voucher": 0, "shift": 0, "signup": 0}

    def account(self, member_id: int) -> int:
        return self.account_base + member_id

    def next_id(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    async def reference(self) -> None:
        await sync_reference_data(self.db, self.config)
        self.neighbourhoods = [item.id for item in await neighbourhoods(self.db)]
        self.organisations = {item.slug: item.id for item in await organisations(self.db)}
        self.activities = [item.id for item in await activity_types(self.db)]
        spending = SpendingService(self.db, self.config, _Clock())
        await spending.upsert_opportunities([
            OpportunitySeed(slug="swim", organisation="cardiff-council", kind="corporate", name_en="Swim",
                            name_cy="Nofio", venue="Pool", cost_minutes=60),
            OpportunitySeed(slug="gym", organisation="cardiff-council", kind="corporate", name_en="Gym",
                            name_cy="Campfa", venue="Centre", cost_minutes=90),
            OpportunitySeed(slug="cafe", organisation="ely-tso", kind="community", name_en="Cafe", name_cy="Caffi",
                            venue="Hub", cost_minutes=30)])
        async with self.db.read() as session:
            self.offers = list((await session.execute(
                select(SpendOpportunity.id, SpendOpportunity.cost_minutes, SpendOpportunity.organisation_id))).all())

    async def people(self) -> None:
        groups = 85
        rows = [{"id": member_id, "kind": MemberKind.GROUP if member_id <= groups else MemberKind.INDIVIDUAL,
                 "telegram_user_id": 10_000_000 + member_id, "display_name": f"Member {member_id}",
                 "neighbourhood_id": self.rng.choice(self.neighbourhoods),
                 "registered_at": NOW - timedelta(days=800), "consented_at": NOW - timedelta(days=800),
                 "created_at": NOW - timedelta(days=800)} for member_id in range(1, self.members + 1)]
        await self.insert(Member, rows)
        async with self.db.read() as session:  # the scheme's and some organisations' accounts exist already
            existing = (await session.execute(select(Account.id, Account.kind, Account.organisation_id))).all()
        self.scheme_account = next(id_ for id_, kind, _ in existing if kind == AccountKind.SCHEME) if any(
            kind == AccountKind.SCHEME for _, kind, _ in existing) else None
        self.organisation_accounts = {organisation_id: id_ for id_, _, organisation_id in existing
                                      if organisation_id is not None}
        self.account_base = max((id_ for id_, _, _ in existing), default=0) + 1
        accounts = [{"id": self.account_base + member_id, "kind": AccountKind.MEMBER, "member_id": member_id,
                     "organisation_id": None, "balance_minutes": 0} for member_id in range(1, self.members + 1)]
        next_id = self.account_base + self.members + 1
        if self.scheme_account is None:
            self.scheme_account = next_id
            accounts.append({"id": next_id, "kind": AccountKind.SCHEME, "member_id": None, "organisation_id": None,
                             "balance_minutes": 0})
            next_id += 1
        for organisation_id in sorted(set(self.organisations.values()) - set(self.organisation_accounts)):
            accounts.append({"id": next_id, "kind": AccountKind.ORGANISATION, "member_id": None,
                             "organisation_id": organisation_id, "balance_minutes": 0})
            self.organisation_accounts[organisation_id] = next_id
            next_id += 1
        await self.insert(Account, accounts)

    async def insert(self, model: Any, rows: list[dict[str, Any]]) -> None:
        async with self.db.transaction() as session:
            for start in range(0, len(rows), CHUNK):
                await session.execute(insert(model.__table__), rows[start:start + CHUNK])

    def transaction(self, kind: TransactionKind, at: datetime, legs: list[tuple[int, int]],
                    transactions: list[dict[str, Any]], legs_out: list[dict[str, Any]]) -> int:
        transaction_id = self.next_id("transaction")
        transactions.append({"id": transaction_id, "kind": kind, "idempotency_key": f"bench:{transaction_id}",
                             "created_at": at})
        for account_id, amount in legs:
            legs_out.append({"id": self.next_id("leg"), "transaction_id": transaction_id, "account_id": account_id,
                             "amount_minutes": amount})
        return transaction_id

    async def week(self, week: IsoWeek) -> None:
        """One week's records: hours and their earns, vouchers, gifts, shifts."""
        rng, tz = self.rng, self.config.tz
        entries: list[dict[str, Any]] = []
        transactions: list[dict[str, Any]] = []
        legs: list[dict[str, Any]] = []
        organisations = [self.organisations[slug] for slug in ("splott-tso", "ely-tso", "butetown-tso",
                                                               "llanrumney-tso", "timebank-wales")]
        regulars = max(1, self.members * 6 // 10)  # most weeks' volunteers come back
        for _ in range(self.entries_per_week):
            member_id = rng.randint(1, regulars) if rng.random() < 0.9 else rng.randint(1, self.members)
            worked_on = week.monday + timedelta(days=rng.randrange(7))
            decided_at = datetime.combine(worked_on, datetime.min.time(), tzinfo=tz).astimezone(UTC) + timedelta(
                hours=rng.randint(12, 60))
            minutes = rng.choice((30, 60, 90, 120, 150, 180, 240))
            transaction_id = self.transaction(
                TransactionKind.EARN, decided_at, [(self.scheme_account, -minutes), (self.account(member_id), minutes)],
                transactions, legs)
            entries.append({"id": self.next_id("entry"), "member_id": member_id,
                            "organisation_id": rng.choice(organisations),
                            "activity_type_id": rng.choice(self.activities),
                            "worked_on": worked_on, "minutes": minutes, "status": TimeEntryStatus.APPROVED,
                            "possible_duplicate": False, "submitted_at": decided_at - timedelta(hours=6),
                            "submitted_by_member_id": member_id, "decided_at": decided_at,
                            "ledger_transaction_id": transaction_id})
        vouchers: list[dict[str, Any]] = []
        starts = week.starts_at(tz)
        for _ in range(self.entries_per_week // 20):
            member_id = rng.randint(1, self.members)
            offer_id, cost, organisation_id = rng.choice(self.offers)
            issued_at = starts + timedelta(minutes=rng.randrange(7 * 24 * 60))
            transaction_id = self.transaction(
                TransactionKind.SPEND, issued_at,
                [(self.account(member_id), -cost), (self.organisation_accounts[organisation_id], cost)],
                transactions, legs)
            fate = rng.random()
            voucher_id = self.next_id("voucher")
            vouchers.append({"id": voucher_id, "code": f"B{voucher_id:09d}", "member_id": member_id,
                             "spend_opportunity_id": offer_id, "cost_minutes": cost,
                             "status": VoucherStatus.REDEEMED if fate < 0.8 else VoucherStatus.EXPIRED,
                             "issued_at": issued_at, "expires_at": issued_at + timedelta(days=30),
                             "redeemed_at": issued_at + timedelta(days=3) if fate < 0.8 else None,
                             "spend_transaction_id": transaction_id})
        for _ in range(self.entries_per_week // 50):
            giver, receiver = rng.sample(range(1, self.members + 1), 2)
            self.transaction(TransactionKind.TRANSFER, starts + timedelta(minutes=rng.randrange(7 * 24 * 60)),
                             [(self.account(giver), -30), (self.account(receiver), 30)], transactions, legs)
        shifts: list[dict[str, Any]] = []
        signups: list[dict[str, Any]] = []
        for _ in range(self.entries_per_week // 50):
            shift_id = self.next_id("shift")
            starts_at = starts + timedelta(hours=rng.randrange(7 * 24))
            capacity = rng.randint(1, 8)
            booked = rng.randint(0, capacity)
            cancelled = rng.random() < 0.05
            shifts.append({"id": shift_id, "organisation_id": rng.choice(organisations),
                           "activity_type_id": rng.choice(self.activities), "neighbourhood_id": rng.choice(
                               self.neighbourhoods), "venue": "Hall", "address": "", "starts_at": starts_at,
                           "ends_at": starts_at + timedelta(hours=2), "capacity": capacity, "minimum": 1,
                           "requires_dbs": False, "description_en": "", "description_cy": "",
                           "status": ShiftStatus.CANCELLED if cancelled else ShiftStatus.OPEN,
                           "booked_count": 0 if cancelled else booked, "created_by_member_id": 1,
                           "created_at": starts_at - timedelta(days=7)})
            for member_id in ([] if cancelled else rng.sample(range(1, self.members + 1), booked)):
                signups.append({"id": self.next_id("signup"), "shift_id": shift_id, "member_id": member_id,
                                "status": SignupStatus.BOOKED, "created_at": starts_at - timedelta(days=3),
                                "attendance": Attendance.ATTENDED if rng.random() < 0.9 else Attendance.NO_SHOW})
        await self.insert(LedgerTransaction, transactions)
        await self.insert(LedgerEntry, legs)
        await self.insert(TimeEntry, entries)
        await self.insert(Voucher, vouchers)
        await self.insert(Shift, shifts)
        await self.insert(ShiftSignup, signups)


class _Clock:
    def now(self) -> datetime:
        return NOW


FLOOR_QUERY = select(func.count(), func.sum(TimeEntry.minutes)).where(
    TimeEntry.status == TimeEntryStatus.APPROVED, TimeEntry.worked_on >= WEEK.monday,
    TimeEntry.worked_on < WEEK.shifted(1).monday)


class Timings:
    """One database's measurements: the build with the closed weeks stored (every run),
    with none stored and the Monday build (the week just ended worked out, the eleven
    before it stored; three of each), and the floor (every run)."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db, self.config = db, config
        self.builds: list[float] = []
        self.colds: list[float] = []
        self.mondays: list[float] = []
        self.floors: list[float] = []
        self.cold: Any = None

    async def _build(self, *where: Any) -> tuple[float, Any]:  # noqa: ANN401
        if where:
            async with self.db.transaction() as session:
                await session.execute(delete(SummaryWeek).where(*where))
        started = time.perf_counter()
        summary = await summarise(self.db, SCHEME, WEEK, self.config, NOW)
        return time.perf_counter() - started, summary

    async def run(self, run: int) -> None:
        if run % 3 == 1 and len(self.colds) < 3:  # nothing stored: every week worked out from the records
            elapsed, self.cold = await self._build(SummaryWeek.id.is_not(None))
            self.colds.append(elapsed)
        if run % 3 == 2 and len(self.mondays) < 3:  # the weekly run: only the week just ended is new
            self.mondays.append((await self._build(SummaryWeek.week == str(WEEK)))[0])
        build, summary = await self._build()
        started = time.perf_counter()
        async with self.db.read() as session:
            (await session.execute(FLOOR_QUERY)).one()
        floor = time.perf_counter() - started
        if run:  # the first is a warm-up (and stores the closed weeks)
            self.builds.append(build)
            self.floors.append(floor)
            assert summary == self.cold, "a stored week differs from the records"
            assert summary.reconciliation.balanced, summary.reconciliation
            assert summary.this.hours.total > 0

    def medians(self) -> tuple[float, float, float, float]:
        return tuple(statistics.median(values) for values in (  # type: ignore[return-value]
            self.builds, self.colds, self.mondays, self.floors))


async def timed(dbs: list[Database], config: Config, runs: int) -> list[tuple[float, float, float, float]]:
    """Each database's medians (seconds), the databases' runs taking turns, so that
    all see the same machine (two cores shared with others: its speed drifts)."""
    timings = [Timings(db, config) for db in dbs]
    for run in range(runs + 1):
        for each in timings:
            await each.run(run)
    return [each.medians() for each in timings]


async def analyse(db: Database) -> None:
    """Fresh planner statistics, as a database that has lived with its data would have."""
    if db.dialect == "sqlite":
        await db.engine.dispose()  # the last connection closed folds the bulk load's WAL back into the file
    async with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.exec_driver_sql("ANALYZE")
        await connection.commit()


async def run(url: str, *, reset: bool, members: int, entries: int, runs: int, seed: int) -> None:
    await prepare(url, reset=reset)
    config = parse_config(CONFIG)
    db = Database.from_url(url)
    weeks = 2 * YEAR_WEEKS
    seeder = Seeder(db, config, members, entries // weeks, seed)
    try:
        started = time.perf_counter()
        await seeder.reference()
        await seeder.people()
        # The recent year first (and next week, for its shifts), then measure; then the older year.
        for offset in range(-1, YEAR_WEEKS):
            await seeder.week(WEEK.shifted(-offset))
        recent = time.perf_counter() - started
        await analyse(db)
        one_year_db = None
        if db.dialect == "sqlite":  # a copy of the one-year database, measured in turn with the two-year one
            await db.engine.dispose()
            path = Path(db.engine.url.database or "")
            copy = path.with_name("one-year.db")
            shutil.copyfile(path, copy)
            one_year_db = Database.from_url(f"sqlite+aiosqlite:///{copy}")
        else:
            [one_year] = await timed([db], config, runs)
        started = time.perf_counter()
        for offset in range(YEAR_WEEKS, weeks):
            await seeder.week(WEEK.shifted(-offset))
        older = time.perf_counter() - started
        await analyse(db)
        if one_year_db is not None:
            try:
                one_year, two_years = await timed([one_year_db, db], config, runs)
            finally:
                await one_year_db.dispose()
        else:
            [two_years] = await timed([db], config, runs)
        async with db.read() as session:
            total = await session.scalar(select(func.count()).select_from(TimeEntry))
            in_week = await session.scalar(select(func.count()).select_from(TimeEntry).where(
                TimeEntry.worked_on >= WEEK.monday, TimeEntry.worked_on <= WEEK.sunday))
    finally:
        await db.dispose()
    print(f"database: {db.dialect} ({platform.python_implementation()} {platform.python_version()})")
    print(f"seeded: {members:,} members, {total:,} time entries over {weeks} weeks "
          f"({in_week:,} in {WEEK}); {recent:.0f} s for the recent year, {older:.0f} s for the older one")
    for label, (build, cold, monday, floor) in (("one year", one_year), ("two years", two_years)):
        print(f"summary build, {label} of history: {build * 1000:7.1f} ms with the closed weeks stored, "
              f"{monday * 1000:7.1f} ms with only the week just ended to work out, {cold * 1000:7.1f} ms with "
              f"none stored (floor {floor * 1000:.2f} ms: the week's entries counted)")
    print(f"summary build, two years of history, ms: {two_years[0] * 1000:.1f} (target < 100)")
    print(f"two years / one year: {two_years[0] / one_year[0]:.2f} (target < 1.2)")
    print(f"two years / one year, none stored: {two_years[1] / one_year[1]:.2f}")
    print(f"build / floor (two years): {two_years[0] / two_years[3]:.1f}")
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a new temporary directory")
    parser.add_argument("--reset", action="store_true", help="start from an empty schema (see bench_ledger.py)")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000, help="time entries over the two years")
    parser.add_argument("--runs", type=int, default=15, help="builds measured (after one warm-up)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    directory = None
    url = args.database_url
    if url is None:
        directory = tempfile.mkdtemp(prefix="coprod-bench-summary-")
        url = f"sqlite+aiosqlite:///{directory}/summary.db"
    try:
        asyncio.run(run(url, reset=args.reset, members=args.members, entries=args.entries, runs=args.runs,
                        seed=args.seed))
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
