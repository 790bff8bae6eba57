"""Translations: gettext catalogs for zh_CN (the default) and en, compiled by Babel.

Message ids are English sentences. `_` (and `N_` for marking without translating) is what
Babel's extractor looks for; `tr(lang)` gives the gettext functions of one language.
"""

from __future__ import annotations

import datetime as dt
import gettext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "linli"
LANGUAGES = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with `tr(lang).gettext`."""
    return message


@dataclass(frozen=True)
class Translator:
    language: str
    translations: gettext.NullTranslations
    # the community's time zone, for the dates and times this reader is shown
    tz: dt.tzinfo = field(default=dt.UTC, compare=False)

    def gettext(self, message: str, /, **params: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    __call__ = gettext


@cache
def tr(language: str, tz: dt.tzinfo | None = None) -> Translator:
    """The translator for a language (zh_CN when it is not one we have), showing times in
    `tz` (the wiring passes the community's zone; None: the configured one)."""
    language = language if language in LANGUAGES else LANGUAGES[0]
    translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=False)
    if tz is None:
        from bot.config import get_settings

        tz = get_settings().tz
    return Translator(language, translations, tz)


def from_telegram(language_code: str | None, default: str = "zh_CN") -> str:
    """Guess a language from Telegram's IETF code (zh-hans → zh_CN, en-US → en)."""
    if not language_code:
        return default
    code = language_code.lower()
    if code.startswith("zh"):
        return "zh_CN"
    return "en"  # a foreigner who does not read Chinese is better served in English
