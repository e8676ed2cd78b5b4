"""Translations (gettext catalogues under locales/) and locale-aware formatting.

The .po files are the source of truth and are compiled in memory when first used, so a
checkout never runs with a stale .mo. `Translator` is what the handlers hold for one
member: its `gettext`/`ngettext` are the names Babel extracts.

Every message goes out with parse_mode=HTML, so what they return is `markupsafe.Markup`:
the catalogue's text is trusted HTML (translators may write <b>), every parameter that
is not itself Markup is escaped (a member called "<Ceri>" arrives as text, not as a tag
Telegram refuses), and Markup keeps its mark when concatenated or joined with
`Markup(...).join`, escaping the plain strings it meets, so nothing is escaped twice.
Button labels are plain text (`plain`), never HTML.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import Markup, escape

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
Language = Literal["cy", "en"]
LANGUAGES: tuple[Language, ...] = ("cy", "en")  # Welsh first: the scheme treats Welsh no less favourably


__all__ = ["LANGUAGES", "N_", "Language", "Markup", "Msgid", "Translator", "escape", "translator"]


class Msgid(str):
    """A message marked with N_ where it is written, so the extractor has seen it."""


def N_(message: str) -> Msgid:
    """Marks a string for extraction where it is defined; translated where it is shown."""
    return Msgid(message)


@cache
def _catalogue(language: str) -> _gettext.GNUTranslations | _gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalogue = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def normalise_language(code: str | None, default: str) -> str:
    """Telegram's language_code ('cy', 'cy-GB', 'en-US') to one we speak."""
    if code:
        base = code.split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return default


class Translator:
    def __init__(self, language: str, timezone: ZoneInfo) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self.timezone = timezone
        self._catalogue = _catalogue(language)
        self._locale = Locale.parse(language)

    # -- the names Babel extracts ------------------------------------------------
    def gettext(self, message: str, **params: object) -> Markup:
        text = Markup(self._catalogue.gettext(message))
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> Markup:
        """Counts always come through here: Welsh has six plural forms."""
        return Markup(self._catalogue.ngettext(singular, plural, n)).format(n=self.number(n), **params)

    # -- formatting ----------------------------------------------------------------
    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self._locale)

    def date(self, value: dt.date, style: str = "EEEE d MMMM", *, opens_line: bool = False) -> str:
        """'dydd Llun 7 Rhagfyr' / 'Monday 7 December' ('Dydd Llun...' when it opens the line)."""
        return self._weekday_case(format_date(value, style, locale=self._locale), style, opens_line)

    def datetime(self, value: dt.datetime, style: str = "EEEE d MMMM, HH:mm", *, opens_line: bool = False) -> str:
        """An aware UTC time shown in the scheme's wall time."""
        return self._weekday_case(format_datetime(value, style, tzinfo=self.timezone, locale=self._locale),
                                  style, opens_line)

    def _weekday_case(self, text: str, style: str, opens_line: bool) -> str:
        """Babel's Welsh capitalises "Dydd Sadwrn"; inside a sentence Welsh writes "dydd Sadwrn"."""
        if self.language == "cy" and style.startswith("EEEE") and not opens_line:
            return text[:1].lower() + text[1:]
        return text

    def time(self, value: dt.datetime) -> str:
        return format_time(value, "HH:mm", tzinfo=self.timezone, locale=self._locale)

    def local_date(self, value: dt.datetime) -> dt.date:
        return value.astimezone(self.timezone).date()

    def duration(self, minutes: int) -> Markup:
        """Minutes as hours and minutes: '2 awr 30 munud' / '2 hours 30 minutes'."""
        sign = "-" if minutes < 0 else ""
        hours, rest = divmod(abs(minutes), 60)
        parts = []
        if hours or not rest:
            parts.append(self.ngettext("{n} hour", "{n} hours", hours))
        if rest:
            parts.append(self.ngettext("{n} minute", "{n} minutes", rest))
        return sign + Markup(" ").join(parts)

    def credits(self, minutes: int) -> Markup:
        """A balance in time credits (one credit = one hour)."""
        if minutes % 60 == 0:
            return self.ngettext("{n} time credit", "{n} time credits", minutes // 60)
        # In hours and minutes, as every movement is shown: never "5.5 time credits" above "+2 h 30 min".
        return self.gettext("{duration} of time credits", duration=self.duration(minutes))

    def balance(self, minutes: int) -> str:
        """A balance in hours and minutes, the unit every movement is shown in, so no member
        reads "3 time credits" one day and "5 hours 30 minutes" the next."""
        return self.gettext("{duration} of time credits", duration=self.duration(minutes))

    def pick(self, english: str, welsh: str) -> Markup:
        """A bilingual database field in this member's language, as escaped HTML, falling
        back to the other language with a visible marker rather than showing nothing."""
        if self.language == "cy":
            if welsh.strip():
                return escape(welsh)
            return self.gettext("[English only] {text}", text=english) if english.strip() else Markup()
        if english.strip():
            return escape(english)
        return self.gettext("[Welsh only] {text}", text=welsh) if welsh.strip() else Markup()

    def plain(self, message: str, **params: object) -> str:
        """A button label: plain text (Telegram shows it as typed), so nothing is escaped."""
        text = self._catalogue.gettext(message)
        return text.format(**params) if params else text


def translator(language: str | None, timezone: ZoneInfo, default: str = "cy") -> Translator:
    return Translator(language if language in LANGUAGES else default, timezone)
