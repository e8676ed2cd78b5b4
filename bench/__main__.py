"""`python -m bench`: every benchmark in bench/, one after another, and bench/RESULTS.md.

Each `bench/bench_*.py` runs as its own process with its defaults (or the arguments given
with `--args NAME="..."`), so one script's database or event loop never colours the next.
Its output is kept whole in RESULTS.md; every line that states a figure against a target,
as `...: 1.23 (target <= 1.5)` or `... 1.23x (target: <= 2)`, also goes in the summary table
with its verdict. Each figure is the script's own ratio to a floor measured in the same
run (a bare python-telegram-bot bot, the same query without the bot, ...), never a time
compared with a number from another machine.

    python -m bench                       # all of them, then bench/RESULTS.md
    python -m bench --only delivery       # bench/bench_delivery.py alone
    python -m bench --args ledger="--entries 100000" --output /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# "<figure>: <value>[x] (target[:] <op> <bound>[x])", as the scripts print them.
TARGET = re.compile(r"(?P<value>-?\d+(?:\.\d+)?)\s*x?\s*\(target:?\s*(?P<op><=|>=|<|>|=)\s*"
                    r"(?P<bound>-?\d+(?:\.\d+)?)")
TIMEOUT_S = 60 * 60


@dataclass(frozen=True)
class Figure:
    script: str
    line: str
    value: float
    op: str
    bound: float

    @property
    def met(self) -> bool:
        return {"<=": self.value <= self.bound, "<": self.value < self.bound, ">=": self.value >= self.bound,
                ">": self.value > self.bound, "=": self.value == self.bound}[self.op]


@dataclass(frozen=True)
class Run:
    script: str
    command: list[str]
    seconds: float
    returncode: int
    output: str

    def figures(self) -> list[Figure]:
        found = []
        for line in self.output.splitlines():
            for match in TARGET.finditer(line):
                found.append(Figure(self.script, line.strip(), float(match["value"]), match["op"],
                                    float(match["bound"])))
        return found


def scripts(only: list[str]) -> list[Path]:
    every = sorted(HERE.glob("bench_*.py"))
    if not only:
        return every
    return [path for path in every if path.stem.removeprefix("bench_") in only or path.stem in only]


def run(path: Path, extra: list[str]) -> Run:
    command = [sys.executable, str(path), *extra]
    print(f"== {path.name} {' '.join(extra)}", flush=True)
    started = time.perf_counter()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get(
        "PYTHONPATH")]))}
    try:
        done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT_S)
        output, code = done.stdout + (f"\n[stderr]\n{done.stderr[-3000:]}" if done.returncode else ""), done.returncode
    except subprocess.TimeoutExpired as expired:
        output, code = f"{expired.stdout or ''}\n[stopped after {TIMEOUT_S} s]", -1
    seconds = time.perf_counter() - started
    print(output.rstrip(), flush=True)
    return Run(path.name, command, seconds, code, output if isinstance(output, str) else output.decode())


def machine() -> list[str]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next((line.split()[1] for line in meminfo.read_text().splitlines() if line.startswith("MemTotal")),
                     "")
        memory = f", {int(total) / 1024 / 1024:.1f} GiB memory" if total else ""
    load = ""
    if hasattr(os, "getloadavg"):
        load = "load average {:.2f} {:.2f} {:.2f} at the start".format(*os.getloadavg())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return [f"- machine: {platform.machine()}, {os.cpu_count()} CPUs{' (' + model + ')' if model else ''}{memory}",
            f"- system: {platform.platform()}, Python {platform.python_version()}",
            f"- {load}" if load else "- load average: unknown",
            f"- code: commit {commit or 'unknown'}"]


def report(runs: list[Run], started: datetime, header: list[str]) -> str:
    lines = ["# Benchmark results", "",
             "Written by `python -m bench` (bench/__main__.py): every bench/ script in one run. Each figure",
             "is a ratio measured in that run against its own floor; the verdict compares it with the",
             "target the script states. Figures from a loaded machine are only as good as the load allows:",
             "see the load average below.", "",
             f"- date: {started.strftime('%Y-%m-%d %H:%M UTC')}", *header, "",
             "## Figures against targets", "",
             "| script | figure | target | verdict |", "|---|---|---|---|"]
    figures = [figure for run in runs for figure in run.figures()]
    for figure in figures:
        text = figure.line.replace("|", "\\|")
        lines.append(f"| {figure.script} | {text} | {figure.op} {figure.bound:g} | "
                     f"{'met' if figure.met else '**not met**'} |")
    if not figures:
        lines.append("| | (no script stated a target) | | |")
    lines += ["", "## Each script's output", ""]
    for each in runs:
        status = "ok" if each.returncode == 0 else f"**exit {each.returncode}**"
        lines += [f"### {each.script} ({each.seconds:.0f} s, {status})", "",
                  f"`{shlex.join(['python', *each.command[1:]]).replace(str(ROOT) + '/', '')}`", "",
                  "```", each.output.rstrip(), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="a script's name (delivery, ledger ...)")
    parser.add_argument("--args", action="append", default=[], metavar='NAME="..."',
                        help="extra arguments for one script, e.g. ledger=\"--entries 100000\"")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)
    extra: dict[str, list[str]] = {}
    for given in args.args:
        name, _, rest = given.partition("=")
        extra[name.removeprefix("bench_")] = shlex.split(rest)
    started = datetime.now(UTC)
    header = machine()
    chosen = scripts(args.only)
    if not chosen:
        print(f"no bench/ script matches {args.only}", file=sys.stderr)
        return 2
    runs = [run(path, extra.get(path.stem.removeprefix("bench_"), [])) for path in chosen]
    Path(args.output).write_text(report(runs, started, header) + "\n", encoding="utf-8")
    failed = [each.script for each in runs if each.returncode != 0]
    print(f"wrote {args.output}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
