"""Is this Welsh? A judge for everything the bot shows a Welsh-speaking member.

Two checks, so one's blind spot is the other's catch:

1. **No English message of the catalogue.** Every English msgid whose Welsh differs is
   turned into a pattern (its placeholders as wildcards, its HTML tags dropped, as the
   member reads it); a text that matches one was sent in English.
2. **No English words.** After the names the test knows (members, venues typed by
   coordinators: data, not messages), /commands, links and codes are taken out, no word
   may be one of a list of common English words that are not also Welsh words.

`test_welsh_judge.py` shows the judge passes every Welsh translation of the catalogue
and refuses every English message whose Welsh differs.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from babel.messages.pofile import read_po

from bot.i18n_tools import po_path

# Common English words that are not also Welsh words ("a", "i", "am", "at", "can", "all",
# "data", "be", "dim", "to" are Welsh too, so they are not here).
ENGLISH_WORDS = frozenset("""
the and you your you're you've you'll we we're our us they their them he she his her it its it's
is are was were been being has have do did done not no yes nothing something there here my mine
this that these those what which who when where why how will would could should shall may might must
of for with from by on into onto about after before over under than then there's let's
please thanks thank sorry welcome hello sure ok okay
shift shifts hour hours minute minutes credit credits voucher vouchers balance statement time times
week weeks day days today yesterday tomorrow month
sign signed booked booking cancel cancelled approve approved approval reject rejected waiting list
send sent back next skip done saved create created change choose chose type typed enter share
member members volunteer volunteers coordinator coordinators organisation neighbourhood
settings language profile privacy agree spend spent give gave given log logged free full place places
only more less any every each some help approvals admin
""".split())

WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŴŵŶŷ]+(?:['’][A-Za-zŵŷ]+)*")
# Things in a Welsh message that are neither Welsh nor English text.
NOT_TEXT = [
    re.compile(r"https?://\S+|t\.me/\S+"),  # links (first: they hold slashes)
    re.compile(r"(?<!\w)/[a-z_]+(?:@\w+)?"),  # /commands
    re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b"),  # voucher codes
]


@dataclass(frozen=True)
class EnglishMessage:
    msgid: str
    pattern: re.Pattern[str]


def _as_read(text: str) -> str:
    """A message as the member reads it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _pattern(english: str, welsh_words: frozenset[str]) -> re.Pattern[str] | None:
    """English text with its placeholders as wildcards, or None if too little of it is words
    to tell (one word that Welsh text also uses, such as "admin" in a command's usage)."""
    parsed = list(string.Formatter().parse(_as_read(english)))
    pieces = [literal for literal, _field, _spec, _conv in parsed]
    words = WORD.findall(" ".join(pieces))
    bare_word = len(words) == 1 and "".join(pieces).strip() == words[0]  # "admin", not "📋 Rota" or "English: "
    if not words or (bare_word and (len(words[0]) < 3 or words[0].lower() in welsh_words)):
        return None
    body = "".join(re.escape(literal) + (".+?" if field is not None else "") for literal, field, _s, _c in parsed)
    if pieces[0][:1].isalnum():
        body = r"(?<!\w)" + body
    if parsed[-1][1] is None and pieces[-1][-1:].isalnum():
        body += r"(?!\w)"
    return re.compile(body, re.S)


@cache
def english_messages() -> tuple[EnglishMessage, ...]:
    """Every English message of the catalogue whose Welsh translation is different."""
    with po_path("cy").open("rb") as handle:
        welsh = read_po(handle, locale="cy")
    welsh_words = frozenset(word.lower() for message in welsh if message.id
                            for text in (message.string if message.pluralizable else [message.string])
                            for word in WORD.findall(re.sub(r"\{[^}]*\}", " ", _as_read(text or ""))))
    found = []
    for message in welsh:
        if not message.id:
            continue
        sources = list(message.id) if message.pluralizable else [message.id]
        translations = list(message.string) if message.pluralizable else [message.string]
        for source in sources:
            if source in translations:
                continue  # the same in Welsh (a name, a placeholder): nothing to catch
            pattern = _pattern(source, welsh_words)
            if pattern is not None:
                found.append(EnglishMessage(source, pattern))
    return tuple(found)


@dataclass(frozen=True)
class Verdict:
    text: str
    english_message: str | None
    english_words: tuple[str, ...]

    @property
    def welsh(self) -> bool:
        return self.english_message is None and not self.english_words

    def __str__(self) -> str:
        why = f"the English message {self.english_message!r}" if self.english_message else \
            f"English words {list(self.english_words)}"
        return f"{self.text!r}: {why}"


def judge(text: str, names: Iterable[str] = ()) -> Verdict:
    """Whether `text` (as the member reads it) is Welsh; `names` are data the test put in."""
    for message in english_messages():
        if message.pattern.search(text):
            return Verdict(text, message.msgid, ())
    rest = text
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, " ")
    for pattern in NOT_TEXT:
        rest = pattern.sub(" ", rest)
    words = tuple(word for word in WORD.findall(rest) if word.lower().replace("’", "'") in ENGLISH_WORDS)
    return Verdict(text, None, words)


def judge_file_name(name: str) -> Verdict:
    """A file name's words, split at - _ and ., judged as text."""
    return judge(" ".join(re.split(r"[-_.\s]+", name)))
