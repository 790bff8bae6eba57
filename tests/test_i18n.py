"""Every string a person sees exists in zh_CN and en, translated, current and compiled."""

from __future__ import annotations

import re

import pytest

from bot.catalog import LANGUAGES, _read_po, po_path, problems
from bot.i18n import from_telegram, tr


def test_catalogs_are_complete_and_current():
    assert problems() == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    catalog = _read_po(po_path(language), language)
    for message in catalog:
        if message.id:
            assert set(re.findall(r"{\w+}", str(message.id))) == \
                set(re.findall(r"{\w+}", str(message.string))), message.id


def test_a_sentence_in_both_languages():
    assert tr("zh_CN")("Please choose your language") == "请选择语言"
    assert tr("en")("Welcome back, {name}.", name="Li") == "Welcome back, Li."
    assert tr("fr")("Owner") == "业主"  # unknown language: the default, never a crash


@pytest.mark.parametrize(("code", "language"), [
    ("zh-hans", "zh_CN"), ("zh-TW", "zh_CN"), ("en-US", "en"), ("ru", "en"), (None, "zh_CN"),
])
def test_language_guessed_from_telegram(code, language):
    assert from_telegram(code) == language
