"""`coprod-bot ledger check` and `ledger reverse` from the shell, on a real database file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.clock import SystemClock
from bot.config import parse_config
from bot.db.models import TransactionKind
from bot.runtime import prepare
from tests.conftest import TEST_CONFIG
from tests.foundation.test_config_and_cli import ROOT, run_cli


def seeded_database(path: Path) -> None:
    """A database where one member earned 2 hours."""
    async def seed() -> None:
        config = parse_config({**TEST_CONFIG, "database": {"url": f"sqlite+aiosqlite:///{path}"}})
        services = await prepare(config, clock=SystemClock())
        member = await services.members.register(77, language="en", display_name="Sam", neighbourhood_id=None)
        async with services.db.transaction() as session:
            await services.ledger.earn(session, member_id=member.id, minutes=120, idempotency_key="seed",
                                       now=services.clock.now())
        await services.db.dispose()

    asyncio.run(seed())


def test_ledger_check_passes_then_catches_a_tampered_balance(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    seeded_database(path)
    env = {"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    ok = run_cli("ledger", "check", cwd=tmp_path, env=env)
    assert ok.returncode == 0 and "ledger check: ok" in ok.stdout

    with sqlite3.connect(path) as connection:  # someone edits a cached balance behind the ledger's back
        connection.execute("UPDATE account SET balance_minutes = balance_minutes + 60 WHERE kind = 'member'")
    broken = run_cli("ledger", "check", cwd=tmp_path, env=env)
    assert broken.returncode == 1 and "stale_balance" in broken.stdout


def test_ledger_reverse_corrects_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    seeded_database(path)
    env = {"PYTHONPATH": str(ROOT), "COPROD_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    missing_reason = run_cli("ledger", "reverse", "1", "--reason", " ", cwd=tmp_path, env=env)
    assert missing_reason.returncode == 2
    reversed_ = run_cli("ledger", "reverse", "1", "--reason", "logged twice", cwd=tmp_path, env=env)
    assert reversed_.returncode == 0, reversed_.stderr
    again = run_cli("ledger", "reverse", "1", "--reason", "logged twice", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "already reversed by transaction 2" in again.stdout
    reversal = run_cli("ledger", "reverse", "2", "--reason", "undo the undo", cwd=tmp_path, env=env)
    assert reversal.returncode == 2 and "cannot be reversed" in reversal.stderr and "Traceback" not in reversal.stderr
    with sqlite3.connect(path) as connection:
        kinds = [row[0] for row in connection.execute("SELECT kind FROM ledger_transaction ORDER BY id")]
        balance = connection.execute("SELECT balance_minutes FROM account WHERE kind = 'member'").fetchone()[0]
    assert kinds == [TransactionKind.EARN.value, TransactionKind.REVERSAL.value] and balance == 0
    assert run_cli("ledger", "check", cwd=tmp_path, env=env).returncode == 0
