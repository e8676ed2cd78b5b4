"""The layers hold: services never speak Telegram; handlers never write SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_services_never_import_telegram_or_handlers() -> None:
    for path in (ROOT / "bot" / "services").rglob("*.py"):
        bad = {name for name in imports_of(path) if name.split(".")[0] in ("telegram", "handlers")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_handlers_do_not_write_sql() -> None:
    for path in (ROOT / "handlers").rglob("*.py"):
        bad = {name for name in imports_of(path) if name.split(".")[0] == "sqlalchemy" or name == "bot.db.session"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def database_reaches(source: str) -> list[str]:
    """Where handler code touches the database handle: `services.db`, `turn.services.db`,
    or the reference functions that take it (handlers use the cached `services.reference`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("db", "session", "sessions", "engine"):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.module == "bot.services" and any(
                alias.name == "reference" for alias in node.names):
            found.append(f"line {node.lineno}: imports bot.services.reference (use services.reference)")
    return found


def test_handlers_never_reach_the_database_handle() -> None:
    for path in (ROOT / "handlers").rglob("*.py"):
        reaches = database_reaches(path.read_text(encoding="utf-8"))
        assert not reaches, f"{path.relative_to(ROOT)} reaches the database: {reaches}"


@pytest.mark.parametrize("code", [
    "names = await reference.by_id(turn.services.db)",
    "async with services.db.transaction() as session: ...",
    "from bot.services import reference",
], ids=str)
def test_reaching_the_database_from_a_handler_is_seen(code: str) -> None:
    assert database_reaches(code)
