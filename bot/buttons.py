"""Typed buttons: one codec per callback namespace, declared once.

A codec is a small frozen class with a prefix and named, typed fields::

    class Confirm(ButtonData, prefix="pl:c"):
        pledge_id: int
        version: int

    Confirm(12, 2).button(_("✅ Confirm"))   # callback data "pl:c:12:2", checked ≤ 64 bytes
    Confirm.decode("pl:c:12:2")             # Confirm(pledge_id=12, version=2)
    Confirm.pattern()                       # the regex PTB routes on, derived from the fields

Field types: `int` (an id or a number, 0 ≤ n < 2**62), `str` (no ":"), a `StrEnum`, or a
`Literal[...]` of strings. A trailing field with a default may be missing from older data.
Callback data is only a hint: every verb re-checks role and scope on the server. Data that does
not decode (stale, forged, mangled) raises `StaleButton`, answered once by the wiring.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal, Self, dataclass_transform, get_args, get_origin

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models.errors import StaleButton
from models.telegram_limits import BUTTON, shorten

MAX_CALLBACK_BYTES = 64
_MAX_INT = 2**62  # ids and timestamps only; larger would overflow a column
CODECS: dict[str, type[ButtonData]] = {}  # every declared codec by prefix and arity


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    regex: str
    parse: Callable[[str], Any]
    show: Callable[[Any], str]
    has_default: bool


def _int(text: str) -> int:
    value = int(text)
    if not 0 <= value < _MAX_INT:
        raise ValueError(text)
    return value


def _show_int(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_INT:
        raise ValueError(f"not a button number: {value!r}")
    return str(value)


def _show_str(value: Any) -> str:
    if not isinstance(value, str) or ":" in value:
        raise ValueError(f"not a button word: {value!r}")
    return value


def _choices(values: Sequence[str], build: Callable[[str], Any]) -> tuple[str, Callable[..., Any],
                                                                          Callable[..., str]]:
    allowed = set(values)

    def parse(text: str) -> Any:
        if text not in allowed:
            raise ValueError(text)
        return build(text)

    def show(value: Any) -> str:
        text = value.value if isinstance(value, enum.Enum) else value
        if text not in allowed:
            raise ValueError(f"not one of {sorted(allowed)}: {value!r}")
        return str(text)

    return "|".join(re.escape(v) for v in sorted(allowed, key=len, reverse=True)), parse, show


def _field(name: str, kind: Any, has_default: bool) -> _Field:
    if kind is int:
        return _Field(name, r"[0-9]{1,19}", _int, _show_int, has_default)
    if kind is str:
        return _Field(name, r"[^:]*", str, _show_str, has_default)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        regex, parse, show = _choices([str(m.value) for m in kind], kind)
        return _Field(name, f"(?:{regex})", parse, show, has_default)
    if get_origin(kind) is Literal:
        regex, parse, show = _choices([str(v) for v in get_args(kind)], str)
        return _Field(name, f"(?:{regex})", parse, show, has_default)
    raise TypeError(f"button field {name}: unsupported type {kind!r}")


@dataclass_transform(frozen_default=True)
class ButtonData:
    """Base of every codec; subclasses give `prefix=` and annotate their fields."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[_Field, ...]]
    _regex: ClassVar[re.Pattern[str]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls)
        cls.prefix = prefix
        cls._fields = tuple(
            _field(f.name, hints[f.name], f.default is not dataclasses.MISSING)
            for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        required = [f for f in cls._fields if not f.has_default]
        if cls._fields[:len(required)] != tuple(required):
            raise TypeError(f"{cls.__name__}: fields with defaults must come last")
        tail = "".join(f"(?::(?P<{f.name}>{f.regex}))" + ("?" if f.has_default else "")
                       for f in cls._fields)
        cls._regex = re.compile(f"^{re.escape(prefix)}{tail}$")
        key = f"{prefix}/{len(cls._fields)}"
        if CODECS.get(key, cls).__qualname__ != cls.__qualname__:
            raise TypeError(f"two button codecs for {key}: {CODECS[key].__name__}, {cls.__name__}")
        CODECS[key] = cls

    def encode(self) -> str:
        parts = [self.prefix] + [f.show(getattr(self, f.name)) for f in self._fields]
        data = ":".join(parts)
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> Self:
        """The button's fields; stale, forged or mangled data raises StaleButton."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:  # Telegram sends no longer data
            raise StaleButton()
        match = cls._regex.match(data)
        if match is None:
            raise StaleButton()
        values = {}
        try:
            for f in cls._fields:
                text = match.group(f.name)
                if text is not None:
                    values[f.name] = f.parse(text)
        except ValueError:
            raise StaleButton() from None
        return cls(**values)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """What PTB's CallbackQueryHandler matches for this codec."""
        return cls._regex

    def button(self, label: str) -> InlineKeyboardButton:
        """An inline button with this data and `label` shortened to what a button shows."""
        return InlineKeyboardButton(shorten(label, BUTTON), callback_data=self.encode())


def keyboard(*rows: Sequence[tuple[str, ButtonData]]) -> InlineKeyboardMarkup:
    """Rows of (label, data) pairs as an inline keyboard."""
    return InlineKeyboardMarkup([[data.button(label) for label, data in row] for row in rows])


def relabelled(markup: object, data: str | None,
               label: str) -> InlineKeyboardMarkup | None:
    """The keyboard `markup` with the button carrying `data` relabelled (its data kept), or
    None when it has no such button."""
    if not isinstance(markup, InlineKeyboardMarkup) or data is None or not any(
            b.callback_data == data for row in markup.inline_keyboard for b in row):
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(shorten(label, BUTTON), callback_data=data)
         if b.callback_data == data else b for b in row] for row in markup.inline_keyboard])


def rows(buttons: Sequence[InlineKeyboardButton],
         columns: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i:i + columns]) for i in range(0, len(buttons), columns)]


def paged(
    items: Sequence[tuple[str, ButtonData]], *, page: int, page_data: Callable[[int], ButtonData],
    per_page: int = 12, columns: int = 3, prev_label: str = "◀", next_label: str = "▶",
    extra: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """A grid of (label, data) buttons, `per_page` at a time, with ◀ ▶ to turn pages;
    `page_data(n)` is the button that shows page n."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    shown = items[page * per_page:(page + 1) * per_page]
    grid = rows([data.button(label) for label, data in shown], columns)
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(page_data(page - 1).button(prev_label))
        nav.append(page_data(page).button(f"{page + 1}/{pages}"))
        if page < pages - 1:
            nav.append(page_data(page + 1).button(next_label))
        grid.append(nav)
    if extra:
        grid.append(list(extra))
    return InlineKeyboardMarkup(grid)
