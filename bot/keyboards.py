"""Inline keyboards and callback data, built and parsed in one place.

Callback data is short and namespaced (`m:a:42`: membership, approve, id 42) and only a hint:
every handler re-checks role and scope on the server before acting on it. A label built from a
title or a place name is shortened here, once, to what a button shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models.errors import StaleButton
from models.telegram_limits import BUTTON, shorten

MAX_CALLBACK_BYTES = 64
__all__ = ["StaleButton", "button", "paged", "parse", "rows"]


def button(text: str, data: str) -> InlineKeyboardButton:
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return InlineKeyboardButton(shorten(text, BUTTON), callback_data=data)


def rows(
    buttons: Sequence[InlineKeyboardButton], columns: int
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i:i + columns]) for i in range(0, len(buttons), columns)]


def paged(
    items: Sequence[tuple[str, str]], *, page: int, page_data: str, per_page: int = 12,
    columns: int = 3, prev_label: str = "◀", next_label: str = "▶",
    extra: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """A grid of (label, data) buttons, `per_page` at a time, with ◀ ▶ to turn pages.

    `page_data` is a format string with `{page}`, e.g. "j:p:12:{page}".
    """
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    shown = items[page * per_page:(page + 1) * per_page]
    keyboard = rows([button(label, data) for label, data in shown], columns)
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button(prev_label, page_data.format(page=page - 1)))
        nav.append(button(f"{page + 1}/{pages}", page_data.format(page=page)))
        if page < pages - 1:
            nav.append(button(next_label, page_data.format(page=page + 1)))
        keyboard.append(nav)
    if extra:
        keyboard.append(list(extra))
    return InlineKeyboardMarkup(keyboard)


@dataclass(frozen=True)
class Callback:
    """Parsed callback data: a namespace, an action and string arguments."""

    namespace: str
    action: str
    args: tuple[str, ...]

    def int(self, index: int) -> int:
        """The argument as a number; a mangled or forged button raises StaleButton."""
        try:
            value = int(self.args[index])
        except (IndexError, ValueError):
            raise StaleButton() from None
        if not 0 <= value < 2**62:  # ids and timestamps only; larger would overflow a column
            raise StaleButton()
        return value


def parse(data: str | None) -> Callback | None:
    """Split `ns:action:arg…`; None for anything that is not ours (never raises)."""
    if not data:
        return None
    parts = data.split(":")
    if len(parts) < 2:
        return None
    return Callback(parts[0], parts[1], tuple(parts[2:]))
