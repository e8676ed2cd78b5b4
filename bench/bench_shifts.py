"""How fast is the shift listing with a city's worth of shifts?

Seeds 5,000 upcoming shifts (plus some past and cancelled ones), 1,000 members and
their bookings and waitlists, then calls `ShiftService.list_upcoming` many times with
a mix of filters and pages and prints p50 / p95 / max latency per mix and overall.

    python bench/bench_shifts.py                                  # SQLite, temporary file
    python bench/bench_shifts.py --database-url sqlite+aiosqlite:///bench.db --reset
    python bench/bench_shifts.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_shifts --reset

The schema comes from the real migrations (`bot.db.migrate.upgrade`). A database that
already holds shifts is refused unless --reset is given; --reset drops and recreates
schema `public` on PostgreSQL (only that), or deletes the SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import FrozenClock  # noqa: E402
from bot.config import Config, parse_config  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import (  # noqa: E402
    ActivityType,
    Language,
    Member,
    Neighbourhood,
    Organisation,
    Role,
    RoleGrant,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
)
from bot.db.session import Database, is_sqlite  # noqa: E402
from bot.services.reference import sync_reference_data  # noqa: E402
from bot.services.shifts import ShiftService  # noqa: E402

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)

NEIGHBOURHOODS = [("splott", "Splott", "Sblot"), ("ely", "Ely", "Trelái"), ("caerau", "Caerau", "Caerau"),
                  ("butetown", "Butetown", "Butetown"), ("grangetown", "Grangetown", "Grangetown"),
                  ("tremorfa", "Tremorfa", "Tremorfa")]
ACTIVITIES = [("holiday-activities", "Children's holiday activities", "Gweithgareddau gwyliau i blant", True),
              ("day-centre", "Seniors' day centre", "Canolfan ddydd i bobl hŷn", True),
              ("community-hub", "Community hub", "Hyb cymunedol", False),
              ("community-event", "Community event", "Digwyddiad cymunedol", False),
              ("library", "Library", "Llyfrgell", False)]


def bench_config() -> Config:
    return parse_config({
        "neighbourhoods": [{"slug": s, "name_en": en, "name_cy": cy} for s, en, cy in NEIGHBOURHOODS],
        "organisations": [{"slug": f"{s}-trust", "kind": "neighbourhood_tso", "name_en": f"{en} Trust",
                           "name_cy": f"Ymddiriedolaeth {cy}", "neighbourhood": s} for s, en, cy in NEIGHBOURHOODS],
        "activity_types": [{"slug": s, "name_en": en, "name_cy": cy, "requires_dbs": dbs}
                           for s, en, cy, dbs in ACTIVITIES],
    })


async def reset(url: str) -> None:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
        return
    database = Database.from_url(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await database.dispose()


async def seed(db: Database, config: Config, *, shifts: int, members: int, rng: random.Random) -> dict[str, int]:
    await sync_reference_data(db, config)
    async with db.transaction() as session:
        if await session.scalar(select(func.count()).select_from(Shift)):
            raise SystemExit("the database already holds shifts; pass --reset to start again")
        neighbourhood_ids = list((await session.scalars(select(Neighbourhood.id).order_by(Neighbourhood.id))).all())
        organisation_ids = list((await session.scalars(select(Organisation.id).order_by(Organisation.id))).all())
        activity_rows = (await session.execute(select(ActivityType.id, ActivityType.requires_dbs))).all()

        coordinator = (await session.execute(insert(Member).values(
            display_name="Bench Coordinator", language=Language.EN, registered_at=NOW, consented_at=NOW,
            created_at=NOW).returning(Member.id))).scalar_one()
        await session.execute(insert(RoleGrant), [
            {"member_id": coordinator, "role": Role.COORDINATOR, "organisation_id": o, "granted_at": NOW}
            for o in organisation_ids])
        await session.execute(insert(Member), [
            {"display_name": f"Member {i}", "telegram_user_id": 1_000_000 + i,
             "language": Language.CY if i % 3 == 0 else Language.EN,
             "neighbourhood_id": neighbourhood_ids[i % len(neighbourhood_ids)], "registered_at": NOW,
             "consented_at": NOW, "created_at": NOW} for i in range(members)])
        member_ids = list((await session.scalars(select(Member.id).where(Member.id != coordinator))).all())

        def shift_row(starts_at: datetime, status: ShiftStatus) -> dict:
            activity_id, requires_dbs = rng.choice(activity_rows)
            neighbourhood_index = rng.randrange(len(neighbourhood_ids))
            return {"organisation_id": organisation_ids[neighbourhood_index], "activity_type_id": activity_id,
                    "neighbourhood_id": neighbourhood_ids[neighbourhood_index], "venue": "Community Centre",
                    "address": "1 High Street, Cardiff", "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(hours=rng.choice((2, 3, 4))),
                    "capacity": rng.choice((2, 4, 6, 10, 20)), "minimum": 1, "requires_dbs": requires_dbs,
                    "description_en": "Help wanted", "description_cy": "Angen help", "status": status,
                    "booked_count": 0, "created_by_member_id": coordinator, "created_at": NOW,
                    "cancelled_at": NOW if status is ShiftStatus.CANCELLED else None}

        def upcoming_start() -> datetime:  # on the hour, 08:00-19:00 UTC, over the next six months
            return (NOW + timedelta(days=rng.randrange(1, 183))).replace(hour=rng.randrange(8, 20), minute=0)

        rows = [shift_row(upcoming_start(), ShiftStatus.OPEN) for _ in range(shifts)]
        rows += [shift_row(NOW - timedelta(days=rng.randrange(1, 90), hours=rng.randrange(0, 10)), ShiftStatus.OPEN)
                 for _ in range(shifts // 10)]
        rows += [shift_row(upcoming_start(), ShiftStatus.CANCELLED) for _ in range(shifts // 25)]
        for start in range(0, len(rows), 1000):
            await session.execute(insert(Shift), rows[start:start + 1000])

        # Bookings: each member books a few open upcoming shifts; some full shifts gain a waitlist.
        open_shifts = (await session.execute(select(Shift.id, Shift.capacity).where(
            Shift.status == ShiftStatus.OPEN, Shift.starts_at > NOW))).all()
        booked: dict[int, int] = defaultdict(int)
        taken: set[tuple[int, int]] = set()
        signups: list[dict] = []
        for member_id in member_ids:
            for shift_id, capacity in rng.sample(open_shifts, 4):
                if (shift_id, member_id) in taken:
                    continue
                taken.add((shift_id, member_id))
                if booked[shift_id] < capacity:
                    booked[shift_id] += 1
                    signups.append({"shift_id": shift_id, "member_id": member_id, "status": SignupStatus.BOOKED,
                                    "created_at": NOW, "booked_at": NOW})
                else:
                    signups.append({"shift_id": shift_id, "member_id": member_id,
                                    "status": SignupStatus.WAITLISTED, "created_at": NOW})
        for start in range(0, len(signups), 2000):
            await session.execute(insert(ShiftSignup), signups[start:start + 2000])
        for shift_id, count in booked.items():
            await session.execute(update(Shift).where(Shift.id == shift_id).values(booked_count=count))
    # Fresh statistics and (PostgreSQL) a visibility map, as autovacuum keeps on a live database.
    async with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    return {"shifts": len(rows), "upcoming_open": shifts, "members": len(member_ids),
            "bookings": sum(booked.values()), "waitlisted": len(signups) - sum(booked.values()),
            "neighbourhoods": len(neighbourhood_ids), "activities": len(activity_rows),
            "member_ids_first": member_ids[0], "member_ids_last": member_ids[-1]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def measure(service: ShiftService, db: Database, *, calls: int, rng: random.Random,
                  member_range: tuple[int, int]) -> dict[str, list[float]]:
    async with db.transaction() as session:
        activity_ids = list((await session.scalars(select(ActivityType.id))).all())
        neighbourhood_ids = list((await session.scalars(select(Neighbourhood.id))).all())
    today = NOW.date()
    total_pages = (await service.list_upcoming(member_id=member_range[0])).total // service.queries.config.shifts.page_size

    def pick() -> tuple[str, dict]:
        roll = rng.random()
        if roll < 0.30:
            return "all, first pages", {"page": rng.randrange(0, 3)}
        if roll < 0.40:
            return "all, deep page", {"page": rng.randrange(0, total_pages + 1)}
        if roll < 0.55:
            return "by activity", {"activity_type_id": rng.choice(activity_ids), "page": rng.randrange(0, 3)}
        if roll < 0.70:
            return "by neighbourhood", {"neighbourhood_id": rng.choice(neighbourhood_ids), "page": rng.randrange(0, 3)}
        if roll < 0.85:
            start = today + timedelta(days=rng.randrange(0, 150))
            return "by date (one week)", {"date_from": start, "date_to": start + timedelta(days=6),
                                          "page": rng.randrange(0, 2)}
        start = today + timedelta(days=rng.randrange(0, 150))
        return "activity + neighbourhood + dates", {
            "activity_type_id": rng.choice(activity_ids), "neighbourhood_id": rng.choice(neighbourhood_ids),
            "date_from": start, "date_to": start + timedelta(days=30)}

    for _ in range(10):  # warm the pool and the caches
        await service.list_upcoming(member_id=member_range[0], **pick()[1])
    timings: dict[str, list[float]] = defaultdict(list)
    for _ in range(calls):
        label, kwargs = pick()
        member_id = rng.randint(*member_range)
        started = time.perf_counter()
        page = await service.list_upcoming(member_id=member_id, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        assert len(page.items) <= service.queries.config.shifts.page_size
        timings[label].append(elapsed)
        timings["(all calls)"].append(elapsed)
    return timings


async def explain(db: Database, service: ShiftService, member_id: int) -> str:
    """The plans of the statements one `list_upcoming` call sends (unfiltered, page 0):
    EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "shift" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await service.list_upcoming(member_id=member_id)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    lines = []
    async with db.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        for statement, parameters in captured:
            lines.append("  " + " ".join(statement.split())[:110] + " ...")
            if db.dialect == "postgresql":
                rows = [tuple(row) for row in await driver.fetch("EXPLAIN ANALYZE " + statement, *parameters)]
            else:
                async with driver.execute("EXPLAIN QUERY PLAN " + statement, parameters) as cursor:
                    rows = [tuple(row)[-1:] for row in await cursor.fetchall()]
            lines += ["      " + " | ".join(str(c) for c in row) for row in rows]
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--reset", action="store_true", help="start from an empty schema (see above)")
    parser.add_argument("--shifts", type=int, default=5000, help="upcoming open shifts (default 5000)")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the plan of the page query")
    args = parser.parse_args()

    temporary = None
    url = args.database_url
    if url is None:
        temporary = tempfile.TemporaryDirectory(prefix="bench-shifts-")
        url = f"sqlite+aiosqlite:///{temporary.name}/bench.db"
    if args.reset:
        await reset(url)
    rng = random.Random(args.seed)
    config = bench_config()
    db = Database.from_url(url)
    try:
        await upgrade(db)
        started = time.perf_counter()
        seeded = await seed(db, config, shifts=args.shifts, members=args.members, rng=rng)
        seed_seconds = time.perf_counter() - started
        service = ShiftService(db, config, FrozenClock(NOW))
        timings = await measure(service, db, calls=args.calls, rng=rng,
                                member_range=(seeded["member_ids_first"], seeded["member_ids_last"]))
        print(f"database: {db.dialect} ({make_url(url).render_as_string(hide_password=True)})")
        print(f"seeded in {seed_seconds:.1f}s: {seeded['upcoming_open']} upcoming open shifts "
              f"({seeded['shifts']} in all, with past and cancelled), {seeded['members']} members, "
              f"{seeded['bookings']} bookings, {seeded['waitlisted']} waitlisted; page size "
              f"{config.shifts.page_size}")
        print(f"list_upcoming over {args.calls} calls (ms):")
        print(f"  {'mix':36} {'calls':>5} {'p50':>7} {'p95':>7} {'max':>7}")
        for label in sorted(timings, key=lambda name: (name != "(all calls)", name)):
            values = timings[label]
            print(f"  {label:36} {len(values):>5} {statistics.median(values):>7.2f} "
                  f"{percentile(values, 0.95):>7.2f} {max(values):>7.2f}")
        if args.explain:
            print("plans of the statements of one call (unfiltered, first page):")
            print(await explain(db, service, seeded["member_ids_first"]))
    finally:
        await db.dispose()
        if temporary is not None:
            temporary.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
