"""Welsh counts as Welsh writes them: every counted noun the bot uses, at 0, 1, 2, 3, 4, 6,
11 and 20, in both languages, read from the real catalogue.

Welsh counts with the singular noun, and the numeral mutates it (GLOSSARY-cy.md): soft
after 2, and after 1 for a feminine noun; aspirate after 3 for a masculine noun and after
6 for both; nothing after 0, 4, 5, 11 or 20. The expected forms are worked out from those
rules here, not copied from the catalogue, so a form written wrongly there fails.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import translator
from bot.i18n_tools import extract

TZ = ZoneInfo("Europe/London")
COUNTS = (0, 1, 2, 3, 4, 6, 11, 20)


class Gender(Enum):
    MASCULINE = "m"
    FEMININE = "f"


SOFT = (("ll", "l"), ("rh", "r"), ("p", "b"), ("t", "d"), ("c", "g"), ("b", "f"), ("d", "dd"), ("g", ""), ("m", "f"))
ASPIRATE = (("p", "ph"), ("t", "th"), ("c", "ch"))


def _mutate(word: str, table: tuple[tuple[str, str], ...]) -> str:
    for radical, mutated in table:
        if word.startswith(radical):
            return mutated + word[len(radical):]
    return word


def welsh_form(noun: str, gender: Gender, n: int) -> str:
    """The noun as it follows the numeral n."""
    if n == 2 or (n == 1 and gender is Gender.FEMININE and not noun.startswith(("ll", "rh"))):
        return _mutate(noun, SOFT)  # dau/dwy; un before a feminine noun (but "un llaw")
    if n == 6 or (n == 3 and gender is Gender.MASCULINE):
        return _mutate(noun, ASPIRATE)  # chwe; tri (not tair)
    return noun


def test_the_rules_give_the_glossary_table() -> None:
    """The mutation rules above reproduce GLOSSARY-cy.md's table, so they can be trusted."""
    table = {
        ("credyd", Gender.MASCULINE): ("credyd", "gredyd", "chredyd", "chredyd", "credyd"),
        ("person", Gender.MASCULINE): ("person", "berson", "pherson", "pherson", "person"),
        ("gwirfoddolwr", Gender.MASCULINE): ("gwirfoddolwr", "wirfoddolwr", "gwirfoddolwr", "gwirfoddolwr",
                                             "gwirfoddolwr"),
        ("cofnod", Gender.MASCULINE): ("cofnod", "gofnod", "chofnod", "chofnod", "cofnod"),
        ("lle", Gender.MASCULINE): ("lle", "le", "lle", "lle", "lle"),
        ("diwrnod", Gender.MASCULINE): ("diwrnod", "ddiwrnod", "diwrnod", "diwrnod", "diwrnod"),
        ("munud", Gender.MASCULINE): ("munud", "funud", "munud", "munud", "munud"),
        ("taleb", Gender.FEMININE): ("daleb", "daleb", "taleb", "thaleb", "taleb"),
        ("awr", Gender.FEMININE): ("awr", "awr", "awr", "awr", "awr"),
    }
    for (noun, gender), forms in table.items():
        assert tuple(welsh_form(noun, gender, n) for n in (1, 2, 3, 6, 5)) == forms, noun


@dataclass(frozen=True)
class Counted:
    msgid: str
    welsh: str  # the noun's radical form
    gender: Gender
    english: tuple[str, str]  # what follows "{n} " in English: one, many


# Every ngettext message of the code, with the noun it counts.
COUNTED = [
    Counted("<b>The last {n} broadcast</b>", "neges", Gender.FEMININE, ("broadcast", "broadcasts")),
    Counted("👥 It would go to {n} volunteer now.", "gwirfoddolwr", Gender.MASCULINE, ("volunteer", "volunteers")),
    Counted("📣 Send it to {n} volunteer", "gwirfoddolwr", Gender.MASCULINE, ("volunteer", "volunteers")),
    Counted("📣 Sending it to {n} volunteer.", "gwirfoddolwr", Gender.MASCULINE, ("volunteer", "volunteers")),
    Counted("{n} member has switched broadcasts off and is left out.", "aelod", Gender.MASCULINE,
            ("member", "members")),
    Counted("<b>Your {n} upcoming shift</b>", "sifft", Gender.FEMININE, ("upcoming shift", "upcoming shifts")),
    Counted("<b>{n} upcoming shift</b>.", "sifft", Gender.FEMININE, ("upcoming shift", "upcoming shifts")),
    Counted("Approved {n} entry, {duration} in all.", "cofnod", Gender.MASCULINE, ("entry", "entries")),
    Counted("Confirmed: {n} person credited.", "person", Gender.MASCULINE, ("person", "people")),
    Counted("Credit {duration} to each of {n} person?", "person", Gender.MASCULINE, ("person", "people")),
    Counted("Credited {n} account, {duration} in all.", "cyfrif", Gender.MASCULINE, ("account", "accounts")),
    Counted("Every week for {n} week", "wythnos", Gender.FEMININE, ("week", "weeks")),
    Counted("Saved. {n} booked volunteer has been told.", "gwirfoddolwr", Gender.MASCULINE,
            ("booked volunteer", "booked volunteers")),
    Counted("That is more than {n} day ago: please ask your coordinator to record it.", "diwrnod",
            Gender.MASCULINE, ("day", "days")),
    Counted("That is too long for a shift card: please keep it under {n} character.", "nod", Gender.MASCULINE,
            ("character", "characters")),
    Counted("The shift is cancelled; {n} person has been told.", "person", Gender.MASCULINE, ("person", "people")),
    Counted("A member can have {n} voucher a week for this; they have had theirs.", "taleb", Gender.FEMININE,
            ("voucher", "vouchers")),
    Counted("At most {n} voucher a week for each member.", "taleb", Gender.FEMININE, ("voucher", "vouchers")),
    Counted("Please keep it under {n} character.", "nod", Gender.MASCULINE, ("character", "characters")),
    Counted("You can have {n} voucher a week for this; please come back next week.", "taleb", Gender.FEMININE,
            ("voucher", "vouchers")),
    Counted("You have {n} voucher waiting to be used.", "taleb", Gender.FEMININE, ("voucher", "vouchers")),
    Counted("{date} is more than {n} day ago: please ask your coordinator to record it.", "diwrnod",
            Gender.MASCULINE, ("day", "days")),
    Counted("{n} entry is waiting for approval.", "cofnod", Gender.MASCULINE, ("entry", "entries")),
    Counted("{n} entry of your own (or recorded by you) waits for another coordinator.", "cofnod",
            Gender.MASCULINE, ("entry", "entries")),
    Counted("{n} day", "diwrnod", Gender.MASCULINE, ("day", "days")),
    Counted("{n} hour", "awr", Gender.FEMININE, ("hour", "hours")),
    Counted("{n} minute", "munud", Gender.MASCULINE, ("minute", "minutes")),
    Counted("{n} person is not marked yet.", "person", Gender.MASCULINE, ("person", "people")),
    Counted("{n} place free", "lle", Gender.MASCULINE, ("place", "places")),
    Counted("{n} time credit", "credyd", Gender.MASCULINE, ("time credit", "time credits")),
    Counted("{n} week", "wythnos", Gender.FEMININE, ("week", "weeks")),
    Counted("✅ Created {n} shift.", "sifft", Gender.FEMININE, ("shift", "shifts")),
    # The weekly summary (bot/reports/text.py).
    Counted("{n} active volunteer", "gwirfoddolwr", Gender.MASCULINE, ("active volunteer", "active volunteers")),
    Counted("{n} registered member", "aelod", Gender.MASCULINE, ("registered member", "registered members")),
    Counted("{n} shift run", "sifft", Gender.FEMININE, ("shift run", "shifts run")),
    Counted("{n} voucher", "taleb", Gender.FEMININE, ("voucher", "vouchers")),
    Counted("{n} voucher outstanding", "taleb", Gender.FEMININE, ("voucher outstanding", "vouchers outstanding")),
    Counted("{n} voucher redeemed", "taleb", Gender.FEMININE, ("voucher redeemed", "vouchers redeemed")),
    Counted("📣 The shift has gone to {n} volunteer who could take it.", "gwirfoddolwr", Gender.MASCULINE,
            ("volunteer", "volunteers")),
    # Limits said from the rules that set them (bot/services/shift_rules.py, hour_rules.py, members.py).
    Counted("A shift can be at most {n} hour long.", "awr", Gender.FEMININE, ("hour", "hours")),
    Counted("Please keep the address under {n} character.", "nod", Gender.MASCULINE, ("character", "characters")),
    Counted("Please keep the note under {n} character.", "nod", Gender.MASCULINE, ("character", "characters")),
    Counted("Please keep the reason under {n} character.", "nod", Gender.MASCULINE, ("character", "characters")),
    Counted("Please type the venue's name (up to {n} character).", "nod", Gender.MASCULINE,
            ("character", "characters")),
    Counted("That name is a little long: please use {n} character or fewer.", "nod", Gender.MASCULINE,
            ("character", "characters")),
]
# Counts with no noun after the number.
NOT_A_NOUN = {"full, {n} waiting", "…and {n} more. Approve these first, then send /approvals again."}


@pytest.fixture(scope="module")
def plural_messages() -> dict[str, tuple[str, str]]:
    return {message.id[0]: tuple(message.id) for message in extract() if message.id and message.pluralizable}


def test_every_count_in_the_code_is_checked_here(plural_messages) -> None:
    """A new ngettext message must be added to COUNTED (or NOT_A_NOUN) with its noun."""
    assert set(plural_messages) == {item.msgid for item in COUNTED} | NOT_A_NOUN


def _say(language: str, item: Counted, plural_messages, n: int) -> str:
    singular, plural = plural_messages[item.msgid]
    others = {name for _, name, _, _ in string.Formatter().parse(singular) if name and name != "n"}
    return translator(language, TZ).ngettext(singular, plural, n, **{name: "…" for name in others})


def _counts(text: str, n: int, words: str) -> bool:
    """The number n followed by exactly these words (not "12 ..." for 2, nor "lleoedd" for "lle")."""
    return re.search(rf"(?<![\d.,]){n} {re.escape(words)}(?!\w)", text) is not None


@pytest.mark.parametrize("n", COUNTS)
@pytest.mark.parametrize("item", COUNTED, ids=lambda item: item.msgid[:40])
def test_welsh_count(item: Counted, n: int, plural_messages) -> None:
    said = _say("cy", item, plural_messages, n)
    assert _counts(said, n, welsh_form(item.welsh, item.gender, n)), said


@pytest.mark.parametrize("n", COUNTS)
@pytest.mark.parametrize("item", COUNTED, ids=lambda item: item.msgid[:40])
def test_english_count(item: Counted, n: int, plural_messages) -> None:
    said = _say("en", item, plural_messages, n)
    assert _counts(said, n, item.english[0] if n == 1 else item.english[1]), said


@pytest.mark.parametrize("item", COUNTED, ids=lambda item: item.msgid[:40])
def test_mutated_forms_at_two_three_and_six(item: Counted, plural_messages) -> None:
    """The "Done when" line: the Welsh at 2, 3 and 6 is each the rule's form, and differs
    from the radical wherever the rule mutates the noun."""
    for n in (2, 3, 6):
        form = welsh_form(item.welsh, item.gender, n)
        said = _say("cy", item, plural_messages, n)
        assert _counts(said, n, form), said
        if form != item.welsh:
            assert not _counts(said, n, item.welsh), said


def test_a_whole_duration_and_balance_in_welsh() -> None:
    t = translator("cy", TZ)
    assert t.duration(2 * 60 + 2) == "2 awr 2 funud"
    assert t.credits(3 * 60) == "3 chredyd amser"
    assert t.credits(2 * 60) == "2 gredyd amser"
    assert t.credits(5 * 60 + 30) == "5 awr 30 munud o gredydau amser"
    assert translator("en", TZ).credits(5 * 60 + 30) == "5 hours 30 minutes of time credits"


def test_a_balance_is_always_in_hours_and_minutes() -> None:
    """Balances read in the unit of the movements under them, whole hours or not."""
    assert translator("cy", TZ).balance(3 * 60) == "3 awr o gredydau amser"
    assert translator("cy", TZ).balance(2 * 60 + 2) == "2 awr 2 funud o gredydau amser"
    assert translator("en", TZ).balance(5 * 60 + 30) == "5 hours 30 minutes of time credits"
