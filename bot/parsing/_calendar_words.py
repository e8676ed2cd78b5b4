"""English and Welsh calendar vocabulary used by :mod:`bot.parsing.dates` and :mod:`bot.parsing.times`.

All keys are lower-case ASCII because input is normalised before lookup.
Kept apart from the grammar so a Welsh speaker can review the word lists
without reading regular expressions.
"""

from __future__ import annotations

from typing import Final

MONTHS: Final[dict[str, int]] = {
    # English, full and abbreviated ("sept" is common in UK writing).
    "january": 1, "jan": 1,
    "february": 2, "feb": 2,
    "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "may": 5,
    "june": 6, "jun": 6,
    "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # Welsh, full and the abbreviations used on Welsh calendars.
    "ionawr": 1, "ion": 1,
    "chwefror": 2, "chwef": 2,
    "mawrth": 3, "maw": 3,
    "ebrill": 4, "ebr": 4,
    "mai": 5,
    "mehefin": 6, "meh": 6,
    "gorffennaf": 7, "gorff": 7,
    "gorffenaf": 7,  # frequent misspelling; harmless to accept
    "awst": 8,
    "medi": 9,
    "hydref": 10, "hyd": 10,
    "tachwedd": 11, "tach": 11,
    "rhagfyr": 12, "rhag": 12,
    # Soft-mutated forms, as written after "o" ("3ydd o Ragfyr"). Ionawr,
    # Chwefror, Ebrill, Awst and Hydref do not change under soft mutation.
    "fawrth": 3, "faw": 3,
    "fai": 5,
    "fehefin": 6, "feh": 6,
    "orffennaf": 7, "orff": 7,
    "fedi": 9,
    "dachwedd": 11, "dach": 11,
    "ragfyr": 12, "rag": 12,
}  # fmt: skip

# Monday is 0, matching date.weekday().
WEEKDAYS: Final[dict[str, int]] = {
    "monday": 0, "mon": 0,
    "tuesday": 1, "tue": 1, "tues": 1,
    "wednesday": 2, "wed": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
    # Welsh names on their own ("Mercher"). A bare "Mawrth" is Tuesday; the
    # date grammar reads "3 Mawrth" as March before weekdays are considered.
    "llun": 0, "mawrth": 1, "mercher": 2, "iau": 3,
    "gwener": 4, "sadwrn": 5, "sul": 6,
}  # fmt: skip

# Words that introduce a Welsh weekday: "dydd Mercher" (the day), its
# soft-mutated adverbial form "ddydd Mercher" (on Wednesday) and
# "nos Fercher" (Wednesday evening).
WELSH_WEEKDAY_PREFIXES: Final = frozenset({"dydd", "ddydd", "nos"})

# After a prefix, Welsh weekdays may also appear soft-mutated ("nos Lun",
# "nos Fawrth", "nos Fercher", "nos Wener"). Mutated forms are only accepted
# after a prefix so a bare "Fawrth" is not silently read as a weekday.
WELSH_WEEKDAYS_AFTER_PREFIX: Final[dict[str, int]] = {
    "llun": 0, "lun": 0,
    "mawrth": 1, "fawrth": 1,
    "mercher": 2, "fercher": 2,
    "iau": 3,
    "gwener": 4, "wener": 4,
    "sadwrn": 5,
    "sul": 6,
}  # fmt: skip

# Offsets in days from today.
RELATIVE_DAYS: Final[dict[str, int]] = {
    "today": 0, "heddiw": 0,
    "yesterday": -1, "ddoe": -1, "doe": -1,
    "tomorrow": 1, "yfory": 1, "fory": 1,
}  # fmt: skip

# Ordinal endings after a day number: English 1st/2nd/3rd/4th and Welsh
# 1af, 2il/2ail, 3ydd, 4ydd, 5ed, 7fed, 11eg, 21ain, 3edd (a common variant).
# Any ending is accepted on any number: "3th" is a slip, not a different date.
ORDINAL_SUFFIX_PATTERN: Final = r"(?:st|nd|rd|th|af|ail|il|ydd|edd|ed|fed|eg|ain)"

# Twelve-hour clock markers. "yb" = y bore (morning); "yp" = y prynhawn
# (afternoon); "yh" = yr hwyr (evening). Keys have dots and spaces removed.
AM_MARKERS: Final = frozenset({"am", "yb", "ybore", "ynybore"})
PM_MARKERS: Final = frozenset({"pm", "yp", "yprynhawn", "ynyprynhawn"})
EVENING_MARKERS: Final = frozenset({"yh", "yrhwyr", "ynyrhwyr"})

NOON_WORDS: Final = frozenset(
    {"noon", "midday", "12 noon", "12 midday", "hanner dydd", "canol dydd", "ganol dydd"}
)
MIDNIGHT_WORDS: Final = frozenset(
    {"midnight", "12 midnight", "hanner nos", "canol nos", "ganol nos"}
)
