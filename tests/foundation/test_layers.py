"""The layers hold: services never speak Telegram; handlers never write SQL; CI runs the
README's test command."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_command = next(block for block in blocks if "pytest" in block)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
