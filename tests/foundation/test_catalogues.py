"""The Welsh catalogue is complete and in step with the code; nothing fuzzy, no English."""

from __future__ import annotations

import re

from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Translator
from bot.i18n_tools import drift, extract, po_path

TZ = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def template():
    return extract()


@pytest.mark.parametrize("language", ["cy", "en"])
def test_catalogue_matches_the_code(template, language: str) -> None:
    result = drift(template, language)
    assert result.missing == [], f"in the code but not in {language}: run `coprod-bot i18n`"
    assert result.obsolete == [], f"in {language} but gone from the code: run `coprod-bot i18n`"
    assert result.untranslated == [], f"{language} untranslated"
    assert result.fuzzy == []
    assert result.placeholder_mismatch == []


def test_welsh_catalogue_has_six_plural_forms() -> None:
    with po_path("cy").open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    assert catalogue.num_plurals == 6
    assert not catalogue.fuzzy
    plurals = [m for m in catalogue if m.id and m.pluralizable]
    assert plurals and all(len(m.string) == 6 and all(m.string) for m in plurals)


def test_welsh_is_not_english_copied(template) -> None:
    """A translation identical to its English source is allowed only where nothing is
    translatable (a placeholder, a proper noun)."""
    with po_path("cy").open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    allowed = {"staff", "partner"}  # the glossary keeps these words in Welsh

    def has_words(text: str) -> bool:
        return any(ch.isalpha() for ch in re.sub(r"\{[^}]*\}|<[^>]*>", "", text))

    copied = [m.id for m in catalogue if m.id and isinstance(m.id, str) and m.string == m.id
              and m.id not in allowed and has_words(m.id)]
    assert copied == []


def test_plural_forms_and_formatting_in_welsh() -> None:
    t = Translator("cy", TZ)
    assert t.duration(150) == "2 awr 30 munud"
    assert t.duration(60) == "1 awr"
    assert t.credits(180) == "3 chredyd amser"
    from datetime import date
    # Lower-case inside a sentence, as Welsh writes it; Babel's capital only where the date opens the line.
    assert t.date(date(2026, 12, 7)) == "dydd Llun 7 Rhagfyr"
    assert t.date(date(2026, 12, 7), opens_line=True) == "Dydd Llun 7 Rhagfyr"
    assert Translator("en", TZ).date(date(2026, 12, 7)) == "Monday 7 December"


def test_the_catalogue_used_at_run_time_is_the_po_file() -> None:
    # Changing .po and loading again must be what members see: no stale .mo in the way.
    t = Translator("cy", TZ)
    assert t.gettext("Cancelled.") != "Cancelled."


def test_user_values_are_escaped_for_html() -> None:
    t = Translator("en", TZ)
    assert t.gettext("Welcome back, {name}!", name="<b>Ceri & co</b>") == "Welcome back, &lt;b&gt;Ceri &amp; co&lt;/b&gt;!"
