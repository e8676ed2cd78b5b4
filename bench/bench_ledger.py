"""How fast is the ledger with a city's worth of history?

Builds 10,000 member accounts and 1,000,000 ledger entries (500,000 balanced
transactions: earns and transfers, two legs each, with cached balances that match),
then measures and prints:

* transactions per second through `Ledger.post`, one database transaction per posting
  (as every service call is), sequentially and from 8 concurrent tasks, separately for
  transfers (member -> member) and earns (which all debit the one scheme account);
* balance look-up latency, p50/p95: the cached `account.balance_minutes` read, and the
  sum over the account's entries (for a member account, and for the scheme account,
  which holds an entry of every earn);
* how long `Ledger.check` takes over the whole ledger (and that it finds nothing).

    python bench/bench_ledger.py                                   # SQLite, temporary file
    python bench/bench_ledger.py --database-url sqlite+aiosqlite:///ledger-bench.db --reset
    python bench/bench_ledger.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    python bench/bench_ledger.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test --reset

The schema comes from the real migrations (`bot.db.migrate.upgrade`). On PostgreSQL,
schema `public` is dropped and recreated first only when the database is named
`bench` or --reset is given; any other database that already has tables is refused,
so nothing is ever wiped silently. An existing SQLite file is deleted only with --reset.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import bindparam, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import LedgerConfig  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import (  # noqa: E402
    Account,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    Member,
    MemberKind,
    Organisation,
    OrganisationKind,
    TransactionKind,
)
from bot.db.session import Database  # noqa: E402
from bot.services.ledger import InsufficientCredit, Ledger, recomputed_balance  # noqa: E402
from bot.services.ledger_audit import audit_ledger  # noqa: E402

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
HISTORY = timedelta(days=730)
CHUNK = 5_000  # transactions per bulk-insert batch (10,000 entries)
SCHEME_ACCOUNT = 1


# --------------------------------------------------------------------------- preparing the database


async def prepare(url: str, *, reset: bool) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if path.exists() and path.stat().st_size > 0:
            if not reset:
                raise SystemExit(f"{path} exists; pass --reset to delete it and start again")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        database = Database.from_url(url)
        try:
            async with database.engine.begin() as connection:
                tables = await connection.scalar(text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
                if tables and not (reset or parsed.database == "bench"):
                    raise SystemExit(f"database {parsed.database!r} already has tables; pass --reset to drop "
                                     "and recreate its schema public (or use a database named 'bench')")
                if reset or parsed.database == "bench":
                    await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    await connection.execute(text("CREATE SCHEMA public"))
        finally:
            await database.dispose()
    database = Database.from_url(url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


# --------------------------------------------------------------------------- building the history


async def build(db: Database, *, members: int, entries: int, seed: int) -> list[int]:
    """Bulk-inserts the history; returns every account's balance (index = account id)."""
    rng = random.Random(seed)
    organisation_account = members + 2
    async with db.transaction() as session:
        await session.execute(Organisation.__table__.insert().values(
            id=1, slug="bench-council", kind=OrganisationKind.CORPORATE_PARTNER, name_en="Bench Council",
            name_cy="Cyngor Mainc"))
        for start in range(1, members + 1, CHUNK):
            await session.execute(Member.__table__.insert(), [
                {"id": i, "kind": MemberKind.INDIVIDUAL, "display_name": f"Bench member {i}", "language": "cy",
                 "registered_at": NOW - HISTORY, "consented_at": NOW - HISTORY, "created_at": NOW - HISTORY}
                for i in range(start, min(start + CHUNK, members + 1))])
        accounts = [{"id": SCHEME_ACCOUNT, "kind": AccountKind.SCHEME, "member_id": None, "organisation_id": None}]
        accounts += [{"id": i + 1, "kind": AccountKind.MEMBER, "member_id": i, "organisation_id": None}
                     for i in range(1, members + 1)]
        accounts.append({"id": organisation_account, "kind": AccountKind.ORGANISATION, "member_id": None,
                         "organisation_id": 1})
        for start in range(0, len(accounts), CHUNK):
            await session.execute(Account.__table__.insert(), [
                {**row, "balance_minutes": 0, "created_at": NOW - HISTORY} for row in accounts[start:start + CHUNK]])

    balance = [0] * (members + 3)
    transactions = entries // 2
    step = HISTORY / max(transactions, 1)
    entry_id = 0
    for start in range(1, transactions + 1, CHUNK):
        transaction_rows, entry_rows = [], []
        for transaction_id in range(start, min(start + CHUNK, transactions + 1)):
            if transaction_id <= members:  # everyone starts with ten hours
                kind, source, target, amount = TransactionKind.EARN, SCHEME_ACCOUNT, transaction_id + 1, 600
            else:
                source = rng.randint(2, members + 1)
                amount = rng.randint(5, 120)
                roll = rng.random()
                if roll < 0.3 or balance[source] < amount:
                    kind, source, target = TransactionKind.EARN, SCHEME_ACCOUNT, source
                elif roll < 0.4:
                    kind, target = TransactionKind.SPEND, organisation_account
                else:
                    kind, target = TransactionKind.TRANSFER, rng.randint(2, members + 1)
                    if target == source:
                        target = 2 if source != 2 else 3
            balance[source] -= amount
            balance[target] += amount
            transaction_rows.append({"id": transaction_id, "kind": kind, "idempotency_key": f"bench-{transaction_id}",
                                     "memo": None, "created_at": NOW - HISTORY + step * transaction_id})
            entry_rows.append({"id": entry_id + 1, "transaction_id": transaction_id, "account_id": source,
                               "amount_minutes": -amount})
            entry_rows.append({"id": entry_id + 2, "transaction_id": transaction_id, "account_id": target,
                               "amount_minutes": amount})
            entry_id += 2
        async with db.transaction() as session:
            await session.execute(LedgerTransaction.__table__.insert(), transaction_rows)
            await session.execute(LedgerEntry.__table__.insert(), entry_rows)

    table = Account.__table__
    async with db.transaction() as session:
        await session.execute(
            update(table).where(table.c.id == bindparam("account_id")).values(balance_minutes=bindparam("balance")),
            [{"account_id": account_id, "balance": value} for account_id, value in enumerate(balance) if value])
    if db.dialect == "postgresql":
        async with db.engine.begin() as connection:
            for name in ("member", "organisation", "account", "ledger_transaction", "ledger_entry"):
                await connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))  # planner statistics, as a live database would have
    return balance


# --------------------------------------------------------------------------- measuring


async def post_many(db: Database, ledger: Ledger, jobs: list[tuple[TransactionKind, int, int, int]], label: str,
                    concurrency: int) -> tuple[float, int]:
    """Runs the postings with `concurrency` tasks; returns (transactions per second, refused)."""
    queue = list(enumerate(jobs))
    refused = 0

    async def worker() -> None:
        nonlocal refused
        while queue:
            index, (kind, source, target, amount) = queue.pop()
            try:
                async with db.transaction() as session:
                    await ledger.post(session, kind=kind, legs=[(source, -amount), (target, amount)],
                                      idempotency_key=f"{label}-{index}", now=NOW)
            except InsufficientCredit:
                refused += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return (len(jobs) - refused) / elapsed, refused


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def lookups(db: Database, ledger: Ledger, account_ids: list[int], *, recompute: bool) -> list[float]:
    samples = []
    async with db.transaction() as session:
        for account_id in account_ids:
            started = time.perf_counter()
            if recompute:
                await recomputed_balance(session, account_id)
            else:
                await ledger.balance(session, account_id)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


async def server_version(db: Database) -> str:
    async with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            return "PostgreSQL " + str(await connection.scalar(text("SHOW server_version")))
        return "SQLite " + str(await connection.scalar(text("SELECT sqlite_version()")))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a new temporary directory")
    parser.add_argument("--reset", action="store_true", help="start from an empty schema (see above)")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=2_000, help="postings per throughput measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.members < 3 or args.entries < 2 * args.members:
        raise SystemExit("need at least 3 members and two entries per member")

    scratch = None if args.database_url else tempfile.mkdtemp(prefix="ledger-bench-")
    url = args.database_url or f"sqlite+aiosqlite:///{scratch}/bench.db"
    await prepare(url, reset=args.reset)
    db = Database.from_url(url)
    ledger = Ledger(LedgerConfig())
    try:
        print(f"database        {await server_version(db)}  ({make_url(url).render_as_string()})")
        print(f"machine         {platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}")
        started = time.perf_counter()
        balance = await build(db, members=args.members, entries=args.entries, seed=args.seed)
        built = time.perf_counter() - started
        transactions = args.entries // 2
        print(f"history         {args.members:,} member accounts, {2 * transactions:,} ledger entries "
              f"({transactions:,} transactions), bulk-inserted in {built:.1f} s")

        rng = random.Random(args.seed + 1)
        rich = [account_id for account_id in range(2, args.members + 2) if balance[account_id] >= 50]

        def transfers(n: int) -> list[tuple[TransactionKind, int, int, int]]:
            jobs = []
            for _ in range(n):
                source, target = rng.sample(rich, 2)
                jobs.append((TransactionKind.TRANSFER, source, target, 1))
            return jobs

        def earns(n: int) -> list[tuple[TransactionKind, int, int, int]]:
            return [(TransactionKind.EARN, SCHEME_ACCOUNT, rng.randint(2, args.members + 1), 60) for _ in range(n)]

        results = {}
        for label, jobs, concurrency in (("transfers, sequential", transfers(args.posts), 1),
                                         ("earns, sequential", earns(args.posts), 1),
                                         (f"transfers, {args.concurrency} tasks", transfers(args.posts),
                                          args.concurrency),
                                         (f"earns, {args.concurrency} tasks", earns(args.posts), args.concurrency)):
            rate, refused = await post_many(db, ledger, jobs, f"bench-{label.replace(' ', '')}", concurrency)
            results[label] = rate
            print(f"Ledger.post     {label:<22} {rate:8.0f} tx/s  ({len(jobs):,} postings"
                  f"{f', {refused} refused' if refused else ''})")

        accounts = [rng.randint(2, args.members + 1) for _ in range(args.lookups)]
        cached = percentiles(await lookups(db, ledger, accounts, recompute=False))
        summed = percentiles(await lookups(db, ledger, accounts, recompute=True))
        scheme = percentiles(await lookups(db, ledger, [SCHEME_ACCOUNT] * 20, recompute=True))
        per_account = 2 * transactions / args.members
        print(f"balance         cached read          p50 {cached[0]:.3f} ms  p95 {cached[1]:.3f} ms"
              f"  ({args.lookups:,} member accounts)")
        print(f"balance         sum over entries     p50 {summed[0]:.3f} ms  p95 {summed[1]:.3f} ms"
              f"  (same accounts, ~{per_account:.0f} entries each)")
        async with db.transaction() as session:
            scheme_entries = await session.scalar(text(
                f"SELECT count(*) FROM ledger_entry WHERE account_id = {SCHEME_ACCOUNT}"))
        print(f"balance         sum, scheme account  p50 {scheme[0]:.3f} ms  p95 {scheme[1]:.3f} ms"
              f"  ({scheme_entries:,} entries, 20 reads)")

        started = time.perf_counter()
        async with db.transaction() as session:
            violations = await audit_ledger(session, ledger.config)
        print(f"audit_ledger    whole ledger         {time.perf_counter() - started:.2f} s, "
              f"{len(violations)} violations")
        if violations:
            raise SystemExit(f"the ledger is not sound: {violations[:5]}")
    finally:
        await db.dispose()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    asyncio.run(main())
