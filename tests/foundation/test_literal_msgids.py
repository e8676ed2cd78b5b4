"""Every message the bot translates is one the extractor can see.

Babel extracts only string literals: `t.gettext(message)` on a variable translates
nothing unless that string was marked with `N_("...")` where it was written (the /start
greeting once went out in English in both halves that way). So, over bot/ and handlers/,
the message arguments of gettext, ngettext, plain and _ must be

- a string literal, or
- a name bound to `N_("...")` in that module, or
- a parameter, field or attribute annotated `Msgid` (the type `N_` returns), and then every
  call that fills that parameter or field must pass one of these in turn.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers")
TRANSLATING = {"gettext": 1, "ngettext": 2, "plain": 1, "_": 1}
MARKER = "N_"
MSGID_TYPE = "Msgid"


@dataclass
class Slots:
    """Callables (functions, dataclasses) with Msgid parameters: name -> {position: parameter}."""

    positions: dict[str, dict[int, str]] = field(default_factory=dict)


def _is_msgid_annotation(annotation: ast.expr | None) -> bool:
    return annotation is not None and MSGID_TYPE in ast.unparse(annotation)


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _is_marker_call(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and _call_name(node) == MARKER and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def _collect_slots(trees: dict[Path, ast.Module]) -> tuple[Slots, set[str]]:
    """Where Msgid values are expected: function parameters and dataclass fields."""
    slots = Slots()
    msgid_attributes: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args.posonlyargs + node.args.args
                if arguments and arguments[0].arg in ("self", "cls"):  # a method: called without it
                    arguments = arguments[1:]
                wanted = {index: arg.arg for index, arg in enumerate(arguments) if _is_msgid_annotation(arg.annotation)}
                wanted |= {-1 - index: arg.arg for index, arg in enumerate(node.args.kwonlyargs)
                           if _is_msgid_annotation(arg.annotation)}
                if wanted:
                    slots.positions.setdefault(node.name, {}).update(wanted)
            elif isinstance(node, ast.ClassDef):
                fields = [item for item in node.body if isinstance(item, ast.AnnAssign)
                          and isinstance(item.target, ast.Name)]
                wanted = {index: item.target.id for index, item in enumerate(fields)
                          if _is_msgid_annotation(item.annotation)}
                if wanted:
                    slots.positions.setdefault(node.name, {}).update(wanted)
                    msgid_attributes |= set(wanted.values())
    return slots, msgid_attributes


@dataclass
class Problem:
    path: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}"


class Checker(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module, slots: Slots, msgid_attributes: set[str]) -> None:
        self.path = path
        self.slots = slots
        self.msgid_attributes = msgid_attributes
        self.marked_names = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                             and _is_marker_call(node.value) for target in node.targets
                             if isinstance(target, ast.Name)}
        self.msgid_parameters: list[set[str]] = [set()]
        self.problems: list[Problem] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        # A nested function (a decorator's inner one) sees its enclosing function's parameters.
        self.msgid_parameters.append(self.msgid_parameters[-1]
                                     | {arg.arg for arg in arguments if _is_msgid_annotation(arg.annotation)})
        self.generic_visit(node)
        self.msgid_parameters.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _seen_by_extractor(self, node: ast.expr) -> bool:
        """What a translating call may be given: a literal (its keyword makes Babel see it) or a marked value."""
        return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or self._marked(node)

    def _marked(self, node: ast.expr) -> bool:
        """What a Msgid parameter or field may be given: a bare literal there is never extracted."""
        if _is_marker_call(node):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.marked_names or node.id in self.msgid_parameters[-1]
        if isinstance(node, ast.Attribute):
            return node.attr in self.msgid_attributes
        return False

    def _refuse(self, node: ast.AST) -> None:
        self.problems.append(Problem(self.path, node.lineno, ast.unparse(node)[:160]))

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        receiver = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        if name in TRANSLATING and not receiver.endswith("_catalogue"):  # the gettext module itself
            for argument in node.args[:TRANSLATING[name]]:
                if not self._seen_by_extractor(argument):
                    self._refuse(node)
        if name in self.slots.positions:
            by_keyword = {keyword.arg: keyword.value for keyword in node.keywords}
            for position, parameter in self.slots.positions[name].items():
                given = node.args[position] if 0 <= position < len(node.args) else by_keyword.get(parameter)
                if given is not None and not self._marked(given):
                    self._refuse(node)
        self.generic_visit(node)


def problems_in(sources: dict[str, str]) -> list[Problem]:
    trees = {Path(path): ast.parse(text, filename=path) for path, text in sources.items()}
    slots, msgid_attributes = _collect_slots(trees)
    found: list[Problem] = []
    for path, tree in trees.items():
        checker = Checker(str(path), tree, slots, msgid_attributes)
        checker.visit(tree)
        found.extend(checker.problems)
    return found


def project_sources() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
            for directory in SOURCES for path in sorted((ROOT / directory).rglob("*.py"))}


def test_every_translated_message_is_a_literal_or_marked() -> None:
    problems = problems_in(project_sources())
    assert problems == [], "messages the extractor cannot see:\n" + "\n".join(map(str, problems))


GREETING_AS_IT_WAS = '''
def bilingual(turn, message: str) -> str:
    return "\\n\\n".join(translator(code, tz).gettext(message) for code in LANGUAGES)

async def start(turn, args):
    await turn.reply(bilingual(turn, "Welcome to the timebank! Which language would you like to use?"))
'''

GREETING_AS_IT_IS = '''
WELCOME = N_("Welcome to the timebank! Which language would you like to use?")

def bilingual(turn, message: Msgid) -> str:
    return "\\n\\n".join(translator(code, tz).gettext(message) for code in LANGUAGES)

async def start(turn, args):
    await turn.reply(bilingual(turn, WELCOME))
'''


def test_the_old_greeting_is_refused_and_the_fixed_one_passes() -> None:
    assert [problem.line for problem in problems_in({"handlers/registration.py": GREETING_AS_IT_WAS})] == [3]
    assert problems_in({"handlers/registration.py": GREETING_AS_IT_IS}) == []


@pytest.mark.parametrize("code", [
    "t.gettext(label)",  # a plain variable
    "t.gettext(f'Hello {name}')",  # an f-string is never in the catalogue
    "t.gettext('Hello ' + name)",
    "t.ngettext('{n} shift', plural, n)",
    "_.plain(item.text)",  # an attribute not declared Msgid
    "menu_item(10, 'Find a shift', 'shifts')",  # a Msgid slot filled with an unmarked literal
], ids=str)
def test_what_the_extractor_cannot_see_is_refused(code: str) -> None:
    sources = {"handlers/example.py": f"def menu_item(order: int, label: Msgid, command: str): ...\n{code}\n"}
    assert len(problems_in(sources)) == 1


def test_a_marked_field_can_be_translated_where_it_is_shown() -> None:
    source = '''
@dataclass
class MenuItem:
    order: int
    label: Msgid

ITEM = MenuItem(10, N_("Find a shift"))
text = t.gettext(ITEM.label)
'''
    assert problems_in({"handlers/example.py": source}) == []
    assert len(problems_in({"handlers/example.py": source.replace('N_("Find a shift")', 'label')})) == 1
