"""Counting like Telegram: lengths in UTF-16 units, shortening and splitting that never break a
character (a surrogate pair, a flag, a family emoji), HTML measured as a person sees it, button
labels kept short, files a bot can take; properties checked with Hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.i18n import tr
from handlers.account import LanguageMenu
from handlers.pledges import full_text
from models.errors import Invalid
from models.pledges import Pledge, Signers
from models.telegram_limits import (
    BUTTON,
    MAX_FILE_BYTES,
    MESSAGE,
    button_label,
    check_file_size,
    cut,
    fit_lines,
    shorten,
    split,
    utf16_len,
    visible,
    visible_len,
)

# what makes counting hard: astral emoji, sequences joined by ZWJ, skin tones, flags, accents,
# variation selectors, CJK, line breaks, and lone or split surrogates from a forged update
TRICKY = ["😀", "👨\u200d👩\u200d👧", "👍🏽", "🇨🇳", "🇺🇸", "🏴\U000e0067\U000e0062\U000e007f",
          "e\u0301", "❤\ufe0f", "字", "\n", "\n\n", " ", "a", "&", "<", "\ud83d", "\ude00",
          "\ud83d\ude00"]
texts = st.lists(st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=300).map(
    "".join)
limits = st.integers(min_value=0, max_value=400)


def units(text: str) -> list[int]:
    raw = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(raw[i:i + 2], "little") for i in range(0, len(raw), 2)]


def splits_a_pair(text: str, at: int) -> bool:
    """Whether a cut after `at` UTF-16 units of `text` falls between two halves of a pair."""
    u = units(text)
    return 0 < at < len(u) and 0xD800 <= u[at - 1] <= 0xDBFF and 0xDC00 <= u[at] <= 0xDFFF


def test_an_emoji_counts_two_and_a_chinese_character_one():
    assert utf16_len("😀") == 2 and utf16_len("字") == 1 and utf16_len("👨\u200d👩\u200d👧") == 8
    assert utf16_len("😀" * 2040) == 4080
    assert utf16_len("\ud83d") == 1  # a lone surrogate from a forged update does not crash


@given(texts, limits)
def test_cut_is_a_prefix_within_the_limit_never_inside_a_pair(text, limit):
    head = cut(text, limit)
    assert text.startswith(head) and utf16_len(head) <= limit
    assert not splits_a_pair(text, utf16_len(head))
    assert cut(head, limit) == head
    if utf16_len(text) <= limit:
        assert head == text


@given(texts, limits)
def test_shorten_fits_is_idempotent_and_marks_what_it_cut(text, limit):
    short = shorten(text, limit)
    assert utf16_len(short) <= limit
    assert shorten(short, limit) == short
    if utf16_len(text) <= limit:
        assert short == text
    elif limit >= 2:
        assert short.endswith("…") and text.startswith(short[:-1].rstrip())
        assert not splits_a_pair(text, utf16_len(short[:-1]))


@given(texts, st.integers(min_value=2, max_value=200), st.integers(min_value=2, max_value=200))
@settings(max_examples=200)
@example("😀\n\n\n", 2, 2)  # (found by a run: only the breaks are dropped, two ways)
def test_split_parts_fit_and_only_the_breaks_are_dropped(text, limit, first):
    parts = split(text, limit, first=first)
    assert utf16_len(parts[0]) <= first and all(utf16_len(p) <= limit for p in parts[1:])
    # the parts follow each other in the text with at most one break between two, none cut
    # inside a surrogate pair; every way of placing them is tried (in "😀\n\n\n" the break
    # before a part "\n" may be "\n\n" or "\n": a greedy placement took the wrong one)
    ends = {0}
    for i, part in enumerate(parts):
        ends = {at + len(part) for pos in ends
                for sep in (("\n\n", "\n", " ", "") if i else ("",))
                for at in [pos + len(sep)]
                if text.startswith(sep + part, pos)
                and not splits_a_pair(text, utf16_len(text[:at]))}
        assert ends, f"part {i} {part!r} does not follow in {text!r}"
    assert len(text) in ends


def test_split_prefers_paragraphs_then_lines_then_spaces():
    assert split("aaaa\n\nbbbb cc\ndd", 10) == ["aaaa", "bbbb cc\ndd"]
    assert split("aa\nbbbbbbbbbbbb", 10) == ["aa", "bbbbbbbbbb", "bb"]
    assert split("word " * 5, 12) == ["word word", "word word", "word "]
    assert split("😀" * 5, 4) == ["😀😀", "😀😀", "😀"]
    with pytest.raises(ValueError):
        split("😀", 1)


def test_cut_keeps_flags_families_and_accents_whole():
    assert cut("ab🇨🇳🇺🇸", 5) == "ab"  # not half a flag (a regional indicator alone)
    assert cut("ab🇨🇳🇺🇸", 7) == "ab🇨🇳"
    assert cut("a👨\u200d👩\u200d👧", 6) == "a"  # the family, not a man and a woman
    assert cut("cafe\u0301!", 4) == "caf"
    assert cut("x👍🏽y", 4) == "x"  # the thumb keeps its skin tone
    assert cut("a\ud83d\ude00", 2) == "a"  # a pair held as two halves stays together
    assert cut("e" + "\u0301" * 50, 10) == "e" + "\u0301" * 9  # one cluster over the limit


def test_html_is_measured_as_a_person_sees_it():
    assert visible("📢 <b>Notice</b>\nA &amp; B &lt;3") == "📢 Notice\nA & B <3"
    assert visible_len("<b>😀</b>") == 2


def test_fit_lines_keeps_whole_lines_and_says_there_is_more():
    lines = [f"<b>{i}</b> &amp; more" for i in range(1000)]
    text = fit_lines(lines, 200)
    assert visible_len(text) <= 200 and text.endswith("\n…")
    assert all(line in lines for line in text.split("\n")[:-1])  # no tag or &amp; cut open
    assert fit_lines(["short", "lines"]) == "short\nlines"


def test_button_labels_are_shortened_keeping_the_count():
    long = "阳光社区第一网格" * 20
    assert utf16_len(LanguageMenu().button(long).text) == BUTTON
    label = button_label("😀" * 100, " 12/40")
    assert label.endswith("… 12/40") and utf16_len(label) <= BUTTON


def test_files_a_bot_cannot_take_are_refused_with_a_reason():
    check_file_size(None)  # Telegram left the size out
    check_file_size(MAX_FILE_BYTES)
    with pytest.raises(Invalid) as refused:
        check_file_size(10_000_000_000)
    assert refused.value.params == {"size": "9536.7", "limit": 20}
    english = tr("en")(refused.value.message, **refused.value.params)
    assert "9536.7 MB" in english and "20 MB" in english and "smaller" in english
    assert "20 MB" in tr("zh_CN")(refused.value.message, **refused.value.params)


@given(st.text(max_size=200).filter(str.strip), st.text(max_size=600), texts)
@settings(max_examples=50, deadline=None)
def test_every_part_of_a_pledge_fits_in_a_message(title, where, body):
    pledge = Pledge(id=1, title=title, body=body * 40, signers=Signers.HOUSEHOLD,
                    closes_at=dt.datetime(2026, 12, 31, tzinfo=dt.UTC))
    for language in ("en", "zh_CN"):
        parts = full_text(tr(language), pledge, where)
        assert all(visible_len(p) <= MESSAGE for p in parts)
