"""Every string a person sees exists in zh_CN and en, translated, current and compiled."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

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


@pytest.mark.parametrize(("language", "day", "when", "deadline", "end"), [
    ("zh_CN", "2027年1月1日", "2027年1月1日 18:00（北京时间）", "2027年1月1日 18:00（北京时间）",
     "2027年1月1日（含）"),
    ("en", "1 Jan 2027", "1 Jan 2027, 18:00 China time", "1 Jan 2027, 18:00 China time",
     "1 Jan 2027, inclusive"),
])
def test_dates_read_in_the_readers_locale_and_the_communitys_zone(language, day, when,
                                                                  deadline, end):
    _ = tr(language, ZoneInfo("Asia/Shanghai"))
    ten_utc = dt.datetime(2027, 1, 1, 10, 0, tzinfo=dt.UTC)  # 18:00 in Beijing
    last_second = dt.datetime(2027, 1, 1, 15, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Beijing
    assert _.day(ten_utc) == day
    assert _.when(ten_utc, zone=True) == when
    assert _.deadline(ten_utc) == deadline
    assert _.deadline(last_second) == end
    # 02:00 UTC on 1 Jan is still 31 Dec in New York: the day follows the community's zone
    assert tr(language, ZoneInfo("America/New_York")).day(
        dt.datetime(2027, 1, 1, 2, 0, tzinfo=dt.UTC)) != day
