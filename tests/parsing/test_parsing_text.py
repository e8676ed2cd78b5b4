"""Tests for the shared input cleaning in bot.parsing._text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.parsing._text import clean


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Dydd  Mercher ", "dydd mercher"),
        ("2PM\n", "2pm"),
        ("\t\r\n", ""),
        ("", ""),
        ("2pm\u20134pm", "2pm-4pm"),  # en dash
        ("\u22122", "-2"),  # minus sign
        ("90\u00a0mins", "90 mins"),  # no-break space
        ("9\u202fam", "9 am"),  # narrow no-break space
        ("\u0662", None),  # Arabic-Indic digit
        ("\u212a", None),  # Kelvin sign lower-cases to ASCII "k"
        ("caf\u00e9", None),
        ("2\x00", None),
        ("a\tb", None),  # inner tab is a control character
        ("x" * 21, None),
        ("x" * 20, "x" * 20),
        ("   " + "x" * 20 + "   ", "x" * 20),  # the limit applies after trimming
        ("y" * 5000, None),
    ],
)
def test_clean(raw: str, expected: str | None) -> None:
    assert clean(raw, max_len=20) == expected


def test_non_strings_are_unusable() -> None:
    assert clean(None, max_len=10) is None
    assert clean(b"2pm", max_len=10) is None


def test_parsing_package_imports_no_bot_framework_or_database() -> None:
    # These modules must stay usable without Telegram or SQLAlchemy.
    package = Path(__file__).resolve().parents[2] / "bot" / "parsing"
    forbidden = {"telegram", "sqlalchemy"}
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0].lower() not in forbidden, f"{source.name} imports {name}"
