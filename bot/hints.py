"""Every instruction that names a command comes with a button that does it (#13), so nobody
has to type "/help" or "/notices".

A command declares the label of its button (`Command(..., hint=N_("❓ Help"))`); the button is
one codec for all of them, `Do(command)`, and pressing it runs the command's own handler, as a
new message (the message the hint was on stays). Wherever a text goes out, `for_text` finds the
commands it names — in the reader's language, since translations keep the command — and adds
their buttons: the wiring does so for every domain error, the features for their own texts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import ButtonData
from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.feature import Command, Feature

# "/help", "/start" in running text (not "<b>/i>", a path or a date like 2026/12/01)
COMMAND = re.compile(r"(?<![\w</])/([a-z][a-z_]*)\b")


class Do(ButtonData, prefix="do"):
    """Do what typing `/command` does."""

    command: str


def named(text: str) -> list[str]:
    """The commands a text names, in order, each once."""
    return list(dict.fromkeys(COMMAND.findall(text)))


def _features() -> Sequence[Feature]:
    from bot import registry  # (the registry imports the features, which import this)

    return registry.FEATURES


def command(name: str, features: Sequence[Feature] | None = None) -> Command:
    """The command with a hint button called `name` (KeyError if none: every command a text
    names must have one, tests/test_hints_e2e.py walks the catalogs)."""
    for f in features if features is not None else _features():
        for c in f.commands:
            if c.name == name and c.hint:
                return c
    raise KeyError(name)


def button(_: Translator, name: str) -> InlineKeyboardButton:
    return Do(name).button(_(command(name).hint))


def _hinted(name: str) -> bool:
    try:
        command(name)
    except KeyError:
        return False
    return True


def for_text(_: Translator, text: str,
             markup: InlineKeyboardMarkup | None = None) -> InlineKeyboardMarkup | None:
    """`markup` (or none) with a row of buttons for the commands `text` names. A text may
    carry people's words (a notice's first line, a place's name): a "/word" that is no
    command of ours gets no button."""
    names = [n for n in named(text) if _hinted(n)]
    if not names:
        return markup
    rows = list(markup.inline_keyboard) if markup is not None else []
    have = {b.callback_data for row in rows for b in row}
    row = [b for b in (button(_, n) for n in names) if b.callback_data not in have]
    return InlineKeyboardMarkup([*rows, row] if row else rows)
