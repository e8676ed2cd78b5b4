"""Telegram's ``parse_mode=HTML`` parser, reimplemented from tdlib's behaviour.

Telegram does not use a general HTML parser: it walks the UTF-8 bytes, accepts
a fixed set of tags, decodes only ``&lt; &gt; &amp; &quot;`` and numeric
references (any other ``&name;`` stays literal text) and reports the first
problem with a byte offset.  The error strings below are the ones the Bot API
returns after "Bad Request: can't parse entities: ", so a bot author sees in
tests exactly what production would say.

Offsets and lengths of the produced entities are in UTF-16 code units, as in
the Bot API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)
_SIMPLE_TYPES = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
# tdlib's is_space() counts NUL as space; NUL also stands for "end of text".
_SPACES = frozenset(b" \t\r\n\v\0")
_NAME_TOKEN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


class HtmlParseError(ValueError):
    """Raised with Telegram's own description of the first markup problem."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    out_pos: int  # byte position in the output, to recover an <a>'s own text
    expandable: bool = False


@dataclass
class _Parser:
    data: bytes
    out: bytearray = field(default_factory=bytearray)
    utf16: int = 0
    i: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def at(self, k: int) -> int:
        return self.data[k] if k < len(self.data) else 0

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace")

    # -- character references -------------------------------------------------
    def decode_entity(self, pos: int) -> tuple[int, int]:
        """Return (code point or 0, position after the reference)."""
        end = pos + 1
        code = 0
        if self.at(pos + 1) == ord("#"):
            end += 1
            if self.at(pos + 2) == ord("x"):
                end += 1
                while chr(self.at(end)) in "0123456789abcdefABCDEF" and self.at(end):
                    code = code * 16 + int(chr(self.at(end)), 16)
                    end += 1
            else:
                while ord("0") <= self.at(end) <= ord("9"):
                    code = code * 10 + self.at(end) - ord("0")
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return 0, pos
        else:
            while chr(self.at(end)).isascii() and chr(self.at(end)).isalpha():
                end += 1
            name = self.data[pos + 1 : end]
            code = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(name, 0)
            if code == 0:
                return 0, pos  # unknown names are kept as literal text, like Telegram
        if self.at(end) == ord(";"):
            end += 1
        return code, end

    def append_code_point(self, code: int) -> None:
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(_SURROGATE_ERROR)
        self.out += chr(code).encode("utf-8")
        self.utf16 += 2 if code > 0xFFFF else 1

    # -- main loop ---------------------------------------------------------------
    def run(self) -> tuple[str, list[dict[str, Any]]]:
        size = len(self.data)
        while self.i < size:
            c = self.data[self.i]
            if c == ord("&"):
                code, end = self.decode_entity(self.i)
                if code:
                    self.append_code_point(code)
                    self.i = end
                    continue
            if c != ord("<"):
                if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.out.append(c)
                self.i += 1
                continue
            if self.at(self.i + 1) != ord("/"):
                self.start_tag()
            else:
                self.end_tag()
            self.i += 1  # step over the closing '>'
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return self.out.decode("utf-8"), self.entities

    def start_tag(self) -> None:
        begin = self.i
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if self.at(i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.text(begin + 1, i).lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        expandable = False
        while self.at(i) != ord(">"):
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in b"=>":
                i += 1
            attr = self.text(name_begin, i)
            if not attr:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != ord("="):
                # The one valueless attribute Telegram knows.
                if tag == "blockquote" and attr == "expandable":
                    expandable = True
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            i += 1
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if tag == "a" and attr == "href":
                argument = value
            elif tag == "code" and attr == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attr == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and attr == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append(_OpenTag(tag, argument, self.utf16, len(self.out), expandable))
        self.i = i

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in b"'\"":
            # An unquoted "name token": letters, digits, '.', '-'; case-insensitive.
            token_begin = i
            while self.at(i) in _NAME_TOKEN and self.at(i):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.text(token_begin, i).lower(), i
        i += 1
        value = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                code, end = self.decode_entity(i)
                if code:
                    if 0xD800 <= code <= 0xDFFF:
                        raise HtmlParseError(_SURROGATE_ERROR)
                    value += chr(code).encode("utf-8")
                    i = end
                    continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        end_name = self.text(begin + 2, i).lower()
        while self.at(i) in _SPACES and self.at(i) != 0:
            i += 1
        if self.at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > open_tag.utf16_offset:
            self.add_entity(open_tag)
        self.stack.pop()
        self.i = i

    def add_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_offset, self.utf16 - tag.utf16_offset
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if tag.name in _SIMPLE_TYPES or tag.name == "span":
            entity["type"] = _SIMPLE_TYPES.get(tag.name, "spoiler")
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "a":
            url = tag.argument or self.out[tag.out_pos :].decode("utf-8", "replace")
            if not url.strip():
                return  # Telegram silently drops links it cannot use
            entity.update(type="text_link", url=url)
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.expandable else "blockquote"
        elif tag.name in ("pre", "code"):
            # <pre><code class="language-x"> collapses into one pre entity with a language.
            last = self.entities[-1] if self.entities else None
            same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
            if tag.name == "pre" and last is not None and same_span and last["type"] == "code" \
                    and last.get("language"):
                last.update(type="pre")
                return
            if tag.name == "code" and last is not None and same_span and last["type"] == "pre" and tag.argument:
                last["language"] = tag.argument
                return
            entity["type"] = tag.name
            if tag.name == "code" and tag.argument:
                entity["language"] = tag.argument  # kept only if a <pre> wraps it
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, Bot API entities) or raise ``HtmlParseError``."""
    text, entities = _Parser(source.encode("utf-8")).run()
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a bare <code class=...> has no language
    return text, entities
