"""Refusals to wording: one complete table per refusal enum.

A service answers with an enum member saying why not; the handler looks its wording up
in the table for that enum. A table that leaves a member out fails as the module is
imported (so at start-up and in every test run), and tests/foundation/test_refusal_wording.py
checks every message exists in Welsh and English. No silent fallback.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.i18n import Msgid, Translator

E = TypeVar("E", bound=enum.Enum)



@dataclass(frozen=True)
class Say:
    """A refusal's message, marked where the table is written: `Say(N_("..."))`."""

    message: Msgid

    def __call__(self, t: Translator, **params: object) -> str:
        return t.gettext(self.message, **params)


# A marked message, or (for one with a count, which ngettext must see written out) a
# function of the translator and the same keyword arguments.
Wording = Say | Callable[..., str]

TABLES: list[RefusalTable[enum.Enum]] = []  # every table made, for the completeness test


class IncompleteWording(ValueError):
    """A refusal enum has a member with no wording."""


class RefusalTable(Generic[E]):
    def __init__(self, kind: type[E], wording: Mapping[E, Wording], *, except_: frozenset[E] = frozenset()) -> None:
        """`except_`: members a handler never reports with this table (e.g. the ones it
        answers with a question instead); listed, so leaving one out is a decision."""
        missing = [member for member in kind if member not in wording and member not in except_]
        if missing:
            raise IncompleteWording(f"{kind.__name__} has no wording for {', '.join(m.name for m in missing)}")
        self.kind = kind
        self.wording = dict(wording)
        self.excepted = except_
        TABLES.append(self)  # type: ignore[arg-type]

    def say(self, t: Translator, refusal: E, **params: object) -> str:
        wording = self.wording[refusal]
        return wording(t, **params)
