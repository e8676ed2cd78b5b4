"""Input cleaning shared by the parsers.

Everything a volunteer types passes through :func:`clean` first so the
grammars in the parser modules only ever see short, lower-case, printable
ASCII with single spaces. Keeping this in one place means hostile input
(huge strings, control characters, exotic digits) is dealt with once.
"""

from __future__ import annotations

from typing import Final

# Phones and desktop keyboards substitute these for the plain characters;
# mapping them keeps "2pm–4pm" (en dash) or a pasted non-breaking space
# working without letting arbitrary Unicode through.
_TRANSLATE: Final = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u2018": "'",
        "\u2019": "'",
    }
)

# Only ordinary whitespace at the ends is forgiven (a trailing newline from
# a paste); other control characters anywhere make the input unrecognised.
_EDGE_WHITESPACE: Final = " \t\r\n"

# Refuse to even translate absurdly long strings: no legitimate answer is
# anywhere near this, and it bounds the work done on hostile input.
_RAW_LIMIT: Final = 1000


def clean(text: object, *, max_len: int) -> str | None:
    """Return *text* normalised for parsing, ``""`` if blank, ``None`` if unusable.

    Unusable means: not a string, longer than *max_len* once trimmed, or
    containing anything other than printable ASCII. Rejecting non-ASCII
    outright is deliberate: ``int()`` and ``re``'s ``\\d`` accept Arabic-Indic
    and other Unicode digits, and we never want "٢" to mean 2 hours.
    """
    if not isinstance(text, str) or len(text) > _RAW_LIMIT:
        return None
    trimmed = text.translate(_TRANSLATE).strip(_EDGE_WHITESPACE)
    if not trimmed:
        return ""
    if len(trimmed) > max_len or not trimmed.isascii() or not trimmed.isprintable():
        return None
    # Single spaces between tokens so grammars can use a literal " ". Only
    # spaces can remain here: tabs and newlines are not printable.
    return " ".join(trimmed.lower().split())
