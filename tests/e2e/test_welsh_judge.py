"""The judge of the Welsh life test catches English and passes Welsh: shown on the whole
catalogue, so a judge that let English through (or refused Welsh) fails here first."""

from __future__ import annotations

import string

import pytest
from babel.messages.pofile import read_po

from bot.i18n_tools import po_path
from tests.e2e.welsh_judge import _as_read, english_messages, judge, judge_file_name


def _filled(text: str) -> str:
    """A message as sent: placeholders filled with a name, tags dropped."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return _as_read(text.format(**{name: "Ceri" for name in names}))


# Role names an admin types as command arguments: the Welsh usage text shows them as typed.
TYPED_KEYWORDS = ["Ceri", "coordinator", "staff", "partner", "admin"]


def _catalogue():
    with po_path("cy").open("rb") as handle:
        return [m for m in read_po(handle, locale="cy") if m.id]


def test_every_welsh_translation_is_judged_welsh() -> None:
    refused = []
    for message in _catalogue():
        for translation in (message.string if message.pluralizable else [message.string]):
            verdict = judge(_filled(translation), names=TYPED_KEYWORDS)
            if not verdict.welsh:
                refused.append(str(verdict))
    assert refused == []


def test_every_english_message_whose_welsh_differs_is_caught() -> None:
    let_through = []
    for message in _catalogue():
        sources = list(message.id) if message.pluralizable else [message.id]
        translations = list(message.string) if message.pluralizable else [message.string]
        for source in sources:
            if source in translations or source in TYPED_KEYWORDS \
                    or not any(ch.isalpha() for ch in source.replace("{", "").replace("}", "")):
                continue
            if judge(_filled(source), names=["Ceri"]).welsh:
                let_through.append(source)
    assert let_through == []
    assert len(english_messages()) > 300


@pytest.mark.parametrize("name", ["time-credits-statement.csv", "coprod-my-data.json", "shift-6.ics", "my-shifts.ics"])
def test_english_file_names_are_caught(name: str) -> None:
    assert not judge_file_name(name).welsh


@pytest.mark.parametrize("name", ["datganiad-credydau-amser.csv", "fy-nata-coprod.json", "sifft-6.ics", "fy-sifftiau.ics"])
def test_welsh_file_names_pass(name: str) -> None:
    assert judge_file_name(name).welsh
