"""`coprod-bot summary` from the shell: the known week in each format, to a file."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import openpyxl
from matplotlib import image

from bot.cli import main
from tests.summary.known_week import KnownWeek


def config_file(tmp_path: Path, database_url: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\ntoken = "123456:TEST-TOKEN"\n[database]\nurl = "{database_url}"\n'
                    '[scheme]\ntimezone = "Europe/London"\ndefault_language = "cy"\n', encoding="utf-8")
    return str(path)


async def summary(*args: str) -> int:
    return await asyncio.to_thread(main, ["summary", *args])


async def test_every_format_from_the_shell(known_week: KnownWeek, database_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, database_url)
    text, table, book, chart = (tmp_path / name for name in ("s.txt", "s.csv", "s.xlsx", "s.png"))
    assert await summary("--config", config, "--week", "2026-W43", "--language", "en", "--format", "text",
                         "--output", str(text)) == 0
    written = text.read_text(encoding="utf-8")
    assert written.startswith("Weekly summary: the whole scheme\nWeek 43, 19 October to 25 October 2026\n")
    assert "Children's holiday activities: 3 hours" in written and "<b>" not in written
    assert await summary("--config", config, "--week", "2026-W43", "--organisation", "splott-community",
                         "--format", "csv", "--output", str(table)) == 0
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Crynodeb wythnosol", "Ymddiriedolaeth Gymunedol Sblot",
                       "2026-W43"]
    assert ["Ffigurau", "Oriau a roddwyd", "munudau", "210", "0", "45.0"] in rows
    assert await summary("--config", config, "--week", "2026-W43", "--neighbourhood", "ely", "--format", "xlsx",
                         "--output", str(book)) == 0
    assert openpyxl.load_workbook(book)["Ffigurau"]["C2"].value == 180
    assert await summary("--config", config, "--week", "2026-W43", "--format", "png", "--output", str(chart)) == 0
    assert image.imread(chart).shape[:2] == (900, 800)


async def test_mistakes_are_one_line_and_exit_two(known_week: KnownWeek, database_url: str, tmp_path: Path,
                                                  capfd) -> None:  # noqa: ANN001
    config = config_file(tmp_path, database_url)
    assert await summary("--config", config, "--week", "2026-W54") == 2
    assert await summary("--config", config, "--week", "48") == 2
    assert await summary("--config", config, "--week", "2026-W43", "--organisation", "nowhere") == 2
    assert await summary("--config", config, "--week", "2026-W43", "--organisation", "ely-hub",
                         "--neighbourhood", "ely") == 2
    errors = capfd.readouterr().err.strip().splitlines()
    assert errors == ["coprod-bot: --week: 2026-W54 is not a week",
                      "coprod-bot: --week: '48': write a week as 2026-W48",
                      "coprod-bot: --organisation: no organisation with slug 'nowhere'",
                      "coprod-bot: give --organisation or --neighbourhood, not both"]
