"""Extract, update and compile the catalogues: `coprod-bot i18n` (or `--check`).

English is the source language; its catalogue is filled from the msgids so it is
complete by construction. Welsh is translated by people; this tool never invents Welsh,
it reports what is missing, and refuses fuzzy matches so a guessed translation can
never reach a member.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR

ROOT = LOCALES_DIR.parent
SOURCES = ("bot", "handlers")
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "plain": None, "N_": None}
POT_PATH = LOCALES_DIR / f"{DOMAIN}.pot"
STABLE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
# Sorted by msgid with file names but no line numbers: a message stays where it is in
# the file when code moves around it, so catalogues merge cleanly.
class _PoLayout(TypedDict):
    width: int
    sort_output: bool
    include_lineno: bool


PO_LAYOUT: _PoLayout = {"width": 100, "sort_output": True, "include_lineno": False}


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    # A fixed creation date keeps the header still, so two branches that each add
    # messages do not conflict on a timestamp when they merge.
    catalogue = Catalog(project="coprod-bot", msgid_bugs_address="", charset="utf-8",
                        creation_date=STABLE_DATE)
    for directory in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / directory, method_map=[("**.py", "python")], keywords=KEYWORDS,
                comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            catalogue.add(message, None, [(f"{directory}/{filename}", lineno)],
                          auto_comments=comments, context=context,
                          flags=("python-brace-format",) if "{" in str(message) else ())
    return catalogue


@dataclass
class Drift:
    language: str
    missing: list[str] = field(default_factory=list)  # in code, not in the catalogue
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)  # in the catalogue, gone from code
    placeholder_mismatch: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.untranslated or self.fuzzy or self.obsolete or self.placeholder_mismatch)


def _ids(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _placeholders(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def drift(template: Catalog, language: str) -> Drift:
    result = Drift(language)
    path = po_path(language)
    if not path.exists():
        result.missing = [_ids(m) for m in template if m.id]
        return result
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    wanted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in template if m.id}
    have = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalogue if m.id}
    result.missing = sorted(str(key) for key in wanted - have.keys())
    result.obsolete = sorted(str(key) for key in have.keys() - wanted)
    for key, message in have.items():
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings) or len(strings) != (catalogue.num_plurals if message.pluralizable else 1):
            result.untranslated.append(str(key))
        if message.fuzzy:
            result.fuzzy.append(str(key))
        sources = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        expected = set().union(*(_placeholders(s) for s in sources))
        if message.pluralizable:
            expected.discard("n")
        for translated in strings:
            found = _placeholders(translated or "")
            found.discard("n") if message.pluralizable else None
            if translated and found != expected:
                result.placeholder_mismatch.append(str(key))
                break
    return result


def update_catalogues(*, check_only: bool = False) -> int:
    template = extract()
    if check_only:
        problems = [d for d in (drift(template, language) for language in LANGUAGES) if not d.clean]
        for problem in problems:
            for kind in ("missing", "untranslated", "fuzzy", "obsolete", "placeholder_mismatch"):
                for key in getattr(problem, kind):
                    print(f"{problem.language}: {kind}: {key}")
        print("catalogues are in sync" if not problems else "catalogues need work (run: coprod-bot i18n)")
        return 0 if not problems else 1
    LOCALES_DIR.mkdir(exist_ok=True)
    with POT_PATH.open("wb") as handle:
        write_po(handle, template, **PO_LAYOUT)
    for language in LANGUAGES:
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalogue = read_po(handle, locale=language)
        else:
            catalogue = Catalog(locale=language, project="coprod-bot", charset="utf-8")
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        catalogue.fuzzy = False
        catalogue.project, catalogue.version = "coprod-bot", "1"
        catalogue.language_team = "Cymraeg <cy@coprod-bot>" if language == "cy" else "English <en@coprod-bot>"
        if language == "en":
            _fill_english(catalogue)
        with path.open("wb") as handle:
            write_po(handle, catalogue, ignore_obsolete=True, **PO_LAYOUT)
        mo_path = path.with_suffix(".mo")
        buffer = io.BytesIO()
        write_mo(buffer, catalogue, use_fuzzy=False)
        mo_path.write_bytes(buffer.getvalue())
        todo = drift(template, language)
        print(f"{language}: {len(catalogue)} messages, {len(todo.untranslated)} to translate")
    return 0


def _fill_english(catalogue: Catalog) -> None:
    for message in catalogue:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id[0], message.id[1]
            message.string = (singular, plural)
        elif not message.string:
            message.string = message.id


if __name__ == "__main__":
    sys.exit(update_catalogues(check_only="--check" in sys.argv))
