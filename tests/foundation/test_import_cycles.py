"""No import cycle among handler modules or among services: each module can be read,
tested and changed with only what it imports below it. Imports inside functions count
too (a lazy import is how a cycle hides)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_within(package: str) -> dict[str, set[str]]:
    """For each module of the package, the modules of the same package it imports."""
    paths = sorted((ROOT / Path(*package.split("."))).rglob("*.py"))
    modules = {module_name(path): path for path in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                # `from handlers import account` imports the module handlers.account
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {other for other in found if other in modules and other != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as the list of modules along it, or None (depth-first, three colours)."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


@pytest.mark.parametrize("package", ["handlers", "bot.services"])
def test_no_import_cycle(package: str) -> None:
    graph = imports_within(package)
    # A package's __init__ may gather its modules (handlers/__init__ composes the routers);
    # a module importing its package's __init__ back would be the cycle.
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_the_cycle_account_and_registration_had() -> None:
    graph = {"handlers.account": {"handlers.registration"}, "handlers.registration": {"handlers.account"},
             "handlers.base": set()}
    assert find_cycle(graph) == ["handlers.account", "handlers.registration", "handlers.account"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
