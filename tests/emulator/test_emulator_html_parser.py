"""The HTML parser against tdlib's own test vectors and a few properties."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.formatting import format_text, utf16_len
from bot.emulator.html_parser import HtmlParseError, parse_html

SURROGATE = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        (
            "🏟 🏟&lt;<i    aba>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
        ),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("&#57311;", SURROGATE),
        ("&#xDFDF", SURROGATE),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<p>para</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_rejects_like_tdlib(source: str, message: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(source)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("&lt;&gt;&amp;&quot;&laquo;&#12345678;", '<>&"&laquo;&#12345678;', []),
        ("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", [("italic", 5, 6)]),
        (
            "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>",
            "🏟 🏟🏟 ><🏟",
            [("italic", 5, 7), ("bold", 9, 3)],
        ),
        ("🏟 🏟&lt;<i>a</    >", "🏟 🏟<a", [("italic", 6, 1)]),
        ("🏟 🏟&lt;<b></b>", "🏟 🏟<", []),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("<blockquote expandable>quote</blockquote>", "quote", [("expandable_blockquote", 0, 5)]),
        ('<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>', "ab", [("spoiler", 0, 1), ("spoiler", 1, 1)]),
        ("<A HREF='https://x.cymru'>link</A>", "link", [("text_link", 0, 4)]),
    ],
)
def test_accepts_like_tdlib(source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed_text, parsed = parse_html(source)
    assert parsed_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed] == entities


def test_code_language_is_kept_on_pre_only() -> None:
    _, entities = parse_html('<pre><code class="language-python">x</code></pre><code class="language-c">y</code>')
    assert entities == [
        {"type": "pre", "offset": 0, "length": 1, "language": "python"},
        {"type": "code", "offset": 1, "length": 1},
    ]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_escaped_text_round_trips_with_utf16_offsets(body: str) -> None:
    text, entities = parse_html(f"x<b>{html.escape(body)}</b>")
    assert text == "x" + body
    if body:
        assert entities == [{"type": "bold", "offset": 1, "length": utf16_len(body)}]
    else:
        assert entities == []


def test_trimming_moves_entities() -> None:
    formatted = format_text("\n  <b>Helo</b> byd  \n", "HTML")
    assert formatted.text == "Helo byd"
    assert formatted.entities == ({"type": "bold", "offset": 0, "length": 4},)


def test_utf16_counts_astral_characters_twice() -> None:
    assert utf16_len("ŵ") == 1
    assert utf16_len("🏴") == 2
