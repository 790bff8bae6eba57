"""Typed buttons (bot/buttons.py): what a codec encodes it decodes, its pattern is exactly what
PTB routes to it, and stale, forged or over-long data never reaches a handler."""

from __future__ import annotations

import enum
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.buttons import ButtonData, keyboard, paged
from models.errors import StaleButton


class Colour(enum.StrEnum):
    RED = "r"
    GREEN = "g"


class Pick(ButtonData, prefix="tt:p"):
    item_id: int
    colour: Colour
    how: Literal["csv", "xlsx"]
    page: int = 0


class Word(ButtonData, prefix="tt:w"):
    word: str


@given(st.integers(0, 2**62 - 1), st.sampled_from(Colour), st.sampled_from(["csv", "xlsx"]),
       st.integers(0, 10**6))
def test_what_is_encoded_decodes_to_the_same_button(item_id, colour, how, page):
    data = Pick(item_id, colour, how, page)
    assert Pick.decode(data.encode()) == data
    assert Pick.pattern().match(data.encode())


def test_the_wire_format_is_the_prefix_and_the_fields():
    assert Pick(12, Colour.GREEN, "csv", 3).encode() == "tt:p:12:g:csv:3"
    assert Pick.decode("tt:p:12:g:csv") == Pick(12, Colour.GREEN, "csv", 0)  # older, shorter
    assert Word.decode("tt:w:") == Word("")


@pytest.mark.parametrize("data", [
    None, "", "tt:p", "tt:p:12", "tt:p:12:x:csv", "tt:p:12:g:pdf", "tt:p:-1:g:csv",
    "tt:p:1e3:g:csv", "tt:p:12:g:csv:3:4", "tt:p: 12:g:csv", f"tt:p:{2**62}:g:csv",
    "tt:px:12:g:csv", "xx:p:12:g:csv", "tt:p:١٢:g:csv",
])
def test_stale_forged_or_mangled_data_is_refused(data):
    with pytest.raises(StaleButton):
        Pick.decode(data)


def test_data_longer_than_telegram_sends_is_refused():
    assert Word.decode("tt:w:" + "a" * 59) == Word("a" * 59)
    with pytest.raises(StaleButton):
        Word.decode("tt:w:" + "a" * 60)  # 65 bytes: forged, Telegram never sends it


def test_data_over_telegrams_64_bytes_fails_when_the_button_is_built():
    with pytest.raises(ValueError, match="64 bytes"):
        Word("词" * 30).button("x")
    with pytest.raises(ValueError):
        Word("a:b").encode()  # a separator inside a field would shift every field after it


def test_two_codecs_for_one_prefix_and_arity_are_refused():
    with pytest.raises(TypeError, match="two button codecs"):
        class Again(ButtonData, prefix="tt:w"):  # noqa: F811
            other: str


def test_keyboards_and_pages_are_built_from_codecs():
    markup = keyboard([("Yes", Word("y")), ("No", Word("n"))])
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["tt:w:y", "tt:w:n"]
    items = [(str(i), Pick(i, Colour.RED, "csv")) for i in range(30)]
    grid = paged(items, page=1, page_data=lambda n: Pick(0, Colour.RED, "csv", n), per_page=12)
    nav = [b.callback_data for b in grid.inline_keyboard[-1]]
    assert nav == ["tt:p:0:r:csv:0", "tt:p:0:r:csv:1", "tt:p:0:r:csv:2"]
    assert grid.inline_keyboard[0][0].text == "12"
