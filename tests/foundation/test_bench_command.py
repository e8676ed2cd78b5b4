"""`python -m bench` reads each script's figures against their targets and writes them,
with the machine and the date, into one RESULTS.md."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.__main__ import Run, report

ROOT = Path(__file__).resolve().parents[2]

OUTPUT = """delivery: 1000 recipients at 29.70/s; achieved / configured 0.990 (target >= 0.95)
/help, no delivery:     median 4.1 ms, p99 9.0 ms
interactive p99 during delivery / without: 1.71 (target <= 1.5)
/balance / bare bot: median 1.90x (target: <= 2.5), p99 2.20x (target <= 3)
"""


def test_figures_are_read_with_their_targets_and_judged() -> None:
    run = Run("bench_delivery.py", [sys.executable, "bench/bench_delivery.py"], 12.0, 0, OUTPUT)
    judged = [(figure.value, figure.op, figure.bound, figure.met) for figure in run.figures()]
    assert judged == [(0.99, ">=", 0.95, True), (1.71, "<=", 1.5, False), (1.9, "<=", 2.5, True),
                      (2.2, "<=", 3.0, True)]
    text = report([run], datetime(2026, 12, 1, 12, 0, tzinfo=UTC), ["- machine: test"])
    assert "- date: 2026-12-01 12:00 UTC" in text and "- machine: test" in text
    assert text.count("| met |") == 3 and text.count("| **not met** |") == 1
    assert "### bench_delivery.py (12 s, ok)" in text and OUTPUT.strip() in text


def test_an_unknown_script_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "nothing"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "no bench/ script matches" in done.stderr
