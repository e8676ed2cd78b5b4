"""Hostile text: what a careless, unlucky or malicious member might type."""

from __future__ import annotations

from hypothesis import strategies as st

# Each fragment is something that has broken bots: markup the bot might pass on as HTML,
# Markdown specials, SQL, format placeholders, direction overrides and invisible
# characters, astral-plane and combining characters (UTF-16 counts), numbers and dates
# that are nearly valid.
FRAGMENTS = [
    "<b>", "</i>", "<a href='javascript:alert(1)'>x</a>", "<script>alert(1)</script>", "&amp;", "&", "&lt;", "<",
    ">", "<tg-spoiler>", "<code>", "*bold*", "_italic_", "`code`", "```", "[link](http://x)", "~~", "||",
    "'; DROP TABLE members; --", "\" OR 1=1 --", "%s", "%(name)s", "{name}", "{0}", "{}", "\\", "\\n",
    "\u202e", "\u202d", "\u200f", "\u200e", "\u200b", "\u200d", "\ufeff", "\u2066", "\u00ad",
    "מחיר", "مرحبا", "👨‍👩‍👧‍👦", "🏳️‍🌈", "𝕳𝖊𝖑𝖑𝖔", "e\u0301\u0301\u0301", "Z̷̢̛͓a̸l̶g̵o", "\r\n", "\t",
    "   ", "١٢", "²", "-1", "0", "99999999999999999999", "1e9", "NaN", "2:75", "31/2", "29/2", "25:00",
    "10:00-09:00", "12/12/1900", "/cancel", "/start", "@coprod_test_bot", "#1", "ll", "ŵŷ", "Llanfairpwllgwyngyll",
]


# Telegram's servers take control characters out of what people send (bar new lines and tabs).
_TYPABLE = st.characters(exclude_categories=("Cs", "Cc"))


def _repeat_to(text: str, length: int) -> str:
    return (text * (length // max(len(text), 1) + 1))[:length] if text else "x" * length


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    """Fragments and random unicode run together, sometimes stretched to 10,000 characters;
    never empty or only whitespace (Telegram sends no such message)."""
    pieces = draw(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(_TYPABLE, min_size=1, max_size=12)),
                           min_size=1, max_size=6))
    text = "".join(pieces)
    if draw(st.integers(0, 4)) == 0:
        text = _repeat_to(text, draw(st.sampled_from([4097, 10_000])))
    if not text.strip():
        text = "x" + text
    return text
