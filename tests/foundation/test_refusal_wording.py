"""Every refusal (and outcome) a handler reports has its wording, in Welsh and English.

Handlers look an enum member's message up in one table per enum (handlers/refusals.py).
These tests check each table against its enum, each message against both catalogues,
and that every such enum a handler imports has a table: a new refusal without wording
fails here.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

import handlers
from bot.i18n import LOCALES_DIR, N_, Markup, Translator
from handlers.refusals import TABLES, IncompleteWording, RefusalTable, Say

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
handlers.build_registry()  # every handler module imported, so every table made
SAMPLE_PARAMS = {"days": 30, "limit": 2, "numbers": "12, 15", "cost": "2", "balance": "1", "amount": "1",
                 "name": "Sam"}
REPORTED = ("Refusal", "Outcome", "Problem", "Error")


def catalogue(language: str) -> dict[str, object]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return {message.id: message.string for message in read_po(po_file) if message.id}


def params_for(wording: object) -> dict[str, object]:
    """The sample parameters a wording takes (a Say takes any; a function, those it names)."""
    if isinstance(wording, Say):
        return SAMPLE_PARAMS
    parameters = inspect.signature(wording).parameters  # type: ignore[arg-type]
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()):
        return SAMPLE_PARAMS
    return {name: value for name, value in SAMPLE_PARAMS.items() if name in parameters}


def table_id(table: RefusalTable) -> str:  # type: ignore[type-arg]
    return table.kind.__name__


@pytest.mark.parametrize("table", TABLES, ids=table_id)
def test_every_table_is_complete_against_its_enum(table: RefusalTable) -> None:  # type: ignore[type-arg]
    assert set(table.wording) | set(table.excepted) == set(table.kind)
    assert not set(table.wording) & set(table.excepted)


class Recording(Translator):
    """A translator that notes every message it is asked for, so that a wording written as
    a function (a count, a limit) is checked message by message like a `Say`: gettext
    falls back to the English msgid, so its output alone would pass without Welsh."""

    def __init__(self, language: str) -> None:
        super().__init__(language, LONDON)
        self.asked: list[str | tuple[str, str]] = []

    def gettext(self, message: str, **params: object) -> Markup:
        self.asked.append(message)
        return super().gettext(message, **params)

    def plain(self, message: str, **params: object) -> str:
        self.asked.append(message)
        return super().plain(message, **params)

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> Markup:
        self.asked.append((singular, plural))
        return super().ngettext(singular, plural, n, **params)


def translated(text: object) -> bool:
    """A message's text in a catalogue: a string, or for a count every plural form."""
    return bool(text) and (isinstance(text, str) or all(text))  # type: ignore[arg-type]


def untranslated(wording: object, language: str) -> list[str]:
    """The messages a wording says that the language's catalogue has no text for (each
    plural form counts), or a note that it says nothing at all."""
    messages = catalogue(language)
    t = Recording(language)
    said = wording(t, **params_for(wording))  # type: ignore[operator]
    missing = [repr(asked) for asked in t.asked if not translated(messages.get(asked))]
    if not said.strip() or not t.asked:
        missing.append("(says nothing through the catalogue)")
    return missing


@pytest.mark.parametrize("language", ["cy", "en"])
@pytest.mark.parametrize("table", TABLES, ids=table_id)
def test_every_message_exists_in_welsh_and_english(table: RefusalTable, language: str) -> None:  # type: ignore[type-arg]
    for member, wording in table.wording.items():
        assert untranslated(wording, language) == [], f"{table.kind.__name__}.{member.name}: no {language} text"


def test_a_wording_function_without_welsh_is_caught() -> None:
    def unknown(t: Translator, **_params: object) -> str:
        return t.ngettext("No such message, {n} time", "No such message, {n} times", 2)

    assert untranslated(unknown, "cy") == ["('No such message, {n} time', 'No such message, {n} times')"]
    assert untranslated(Say(N_("No such message at all")), "en") == ["'No such message at all'"]
    assert untranslated(lambda t, **_params: "typed out, not translated", "en") == [
        "(says nothing through the catalogue)"]


def test_a_table_missing_a_member_fails_as_it_is_made() -> None:
    class Answer(enum.Enum):
        YES = "yes"
        NO = "no"

    with pytest.raises(IncompleteWording, match="NO"):
        RefusalTable(Answer, {Answer.YES: Say(N_("Done: the role is granted."))})


def reported_enums() -> set[type[enum.Enum]]:
    """The refusal and outcome enums handler modules import from services and parsing."""
    found: set[type[enum.Enum]] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("bot.services",
                                                                                            "bot.parsing")):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    value = getattr(module, alias.name, None)
                    if (isinstance(value, type) and issubclass(value, enum.Enum)
                            and value.__name__.endswith(REPORTED)):
                        found.add(value)
    return found


def test_every_refusal_enum_a_handler_reports_has_a_table() -> None:
    worded = {table.kind for table in TABLES}
    missing = {kind.__name__ for kind in reported_enums() - worded}
    assert missing == set(), "refusal enums a handler imports but no table words"

