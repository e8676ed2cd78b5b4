"""Typed button data: one frozen dataclass per kind of button, after aiogram's CallbackData.

A button sends "prefix:field:field" (at most Telegram's 64 bytes). The client can send
anything, so `unpack` reads each field against its declared type and refuses the whole
press if one part is malformed, over-long or of the wrong shape; the dispatcher then
answers "That button has expired." and the handler never sees it. What survives is
still only a hint: services check every id against the database.

Field types a button may carry:
- `int`: an id, a page or a count, ASCII digits only, 0 to 999,999,999 (a 26-digit
  number is refused here, not in `int()` or the database); `Annotated[int, Between(lo, hi)]`
  narrows the range;
- `bool`: "1" or "0";
- an `enum.Enum` whose values are short strings: by value;
- `Literal["a", "b"]`: one of the listed words;
- `str`: a short code (letters, digits, `-` and `_`, at most 24), e.g. a voucher code.
Fields with defaults may be left off the end (buttons sent before they were added).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self, get_args, get_origin

CALLBACK_DATA_MAX_BYTES = 64  # Telegram's limit
ID_MAX = 999_999_999
_CODE = re.compile(r"[A-Za-z0-9_-]{1,24}")
_PREFIX = re.compile(r"[a-z][a-z0-9-]{0,15}")


@dataclass(frozen=True)
class Between:
    """The inclusive range of an int field: `Annotated[int, Between(1, 26)]`."""

    low: int
    high: int


class CallbackData:
    """Subclass as `@dataclass(frozen=True) class Card(CallbackData, prefix="sh-c"): shift_id: int`."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"callback prefix {prefix!r} must be a short lower-case word")
        cls.prefix = prefix

    def pack(self) -> str:
        parts = [self.prefix, *(_write(getattr(self, field.name)) for field, _read in _fields(type(self)))]
        value = ":".join(parts)
        if len(value.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"callback_data over Telegram's {CALLBACK_DATA_MAX_BYTES} bytes: {value!r}")
        return value

    @classmethod
    def unpack(cls, parts: list[str]) -> Self | None:
        """The button's fields from the parts after the prefix; None if any is malformed."""
        fields = _fields(cls)
        required = sum(1 for field, _read in fields
                       if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING)
        if not required <= len(parts) <= len(fields):
            return None
        values: dict[str, object] = {}
        for (field, read), part in zip(fields, parts, strict=False):
            value = read(part)
            if value is _MALFORMED:
                return None
            values[field.name] = value
        return cls(**values)


_MALFORMED = object()
Reader = Callable[[str], object]


def _write(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


_FIELDS: dict[type[CallbackData], tuple[tuple[dataclasses.Field[Any], Reader], ...]] = {}


def _fields(cls: type[CallbackData]) -> tuple[tuple[dataclasses.Field[Any], Reader], ...]:
    """Each field with its reader, worked out once per kind of button (on first use, as
    the dataclass decorator runs after the class is made)."""
    if cls not in _FIELDS:
        hints = typing.get_type_hints(cls, include_extras=True)
        _FIELDS[cls] = tuple((field, _reader(hints[field.name], f"{cls.__name__}.{field.name}"))
                             for field in dataclasses.fields(cls))  # type: ignore[arg-type]
    return _FIELDS[cls]


def _reader(hint: object, where: str) -> Reader:
    low, high = 0, ID_MAX
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        for extra in extras:
            if isinstance(extra, Between):
                low, high = extra.low, extra.high
    if hint is bool:
        return lambda part: {"1": True, "0": False}.get(part, _MALFORMED)
    if hint is int:
        return lambda part: _whole(part, low, high)
    if hint is str:
        return lambda part: part if _CODE.fullmatch(part) else _MALFORMED
    if get_origin(hint) is Literal:
        words = {str(word): word for word in get_args(hint)}
        return lambda part: words.get(part, _MALFORMED)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        members = {str(member.value): member for member in hint}
        return lambda part: members.get(part, _MALFORMED)
    raise TypeError(f"{where}: a button can't carry {hint!r}")


def _whole(part: str, low: int, high: int) -> object:
    if not part or len(part) > 9 or not part.isascii() or not part.isdigit():
        return _MALFORMED
    value = int(part)
    return value if low <= value <= high else _MALFORMED
