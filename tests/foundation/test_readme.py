"""The README's commands are the ones that run: CI runs its check and test commands
exactly, the check first; the Makefile has every shortcut it names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def readme_command(containing: str) -> str:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    return next(block for block in blocks if containing in block)


def test_ci_runs_the_readme_test_command() -> None:
    assert readme_command("pytest") in CI.splitlines()


def test_ci_runs_the_readme_check_command_before_the_tests_and_stops_on_a_failure() -> None:
    lines = CI.splitlines()
    check, test = readme_command("mypy"), readme_command("pytest")
    assert check in lines and "ruff check bot handlers" in check
    at = lines.index(check)
    assert at < lines.index(test)
    # set -e ignores a failure inside an && list, so the check stands in a subshell of its
    # own, whose failure ends the run.
    assert "set -euo pipefail" in lines and lines[at - 1] == "(" and lines[at + 1] == ")"


def test_every_make_shortcut_the_readme_names_is_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z0-9-]+):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z0-9-]+)", README))
    assert {"lint", "typecheck", "test", "i18n", "bench", "demo"} <= named
    assert named <= targets, f"named in the README but not in the Makefile: {named - targets}"


def test_the_check_command_uses_the_configuration_in_pyproject() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.ruff.lint]" in pyproject and "[tool.mypy]" in pyproject and "strict = true" in pyproject
    assert re.search(r'^dev = \[\n\s+"ruff>=', pyproject, re.M)
