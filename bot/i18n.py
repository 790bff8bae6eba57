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

from babel import dates as babel_dates
from babel.lists import format_list

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "linli"
LANGUAGES = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
# the locale whose date formats a language uses: "1 Jan 2027, 18:00", a 24-hour clock
DATE_LOCALES = {"zh_CN": "zh_CN", "en": "en_GB"}
# zones a reader calls "China time" (北京时间) rather than by a city
CHINA_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


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

    # Dates and times, in the community's zone and the reader's locale. Every date a person
    # sees goes through these, never through strftime.

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    @property
    def _locale(self) -> str:
        return DATE_LOCALES.get(self.language, "zh_CN")

    def day(self, moment: dt.datetime | dt.date | None) -> str:
        """"2027年1月1日" / "1 Jan 2027" ("—" for none)."""
        if moment is None:
            return "—"
        if isinstance(moment, dt.datetime):
            moment = self._local(moment).date()
        return babel_dates.format_skeleton("yMMMd", moment, locale=self._locale)

    def short_day(self, moment: dt.datetime | None) -> str:
        """"12月1日" / "1 Dec": a day this year, as on a button."""
        if moment is None:
            return "—"
        return babel_dates.format_skeleton("MMMd", self._local(moment).date(),
                                           locale=self._locale)

    def clock(self, moment: dt.datetime) -> str:
        """"18:00"."""
        return babel_dates.format_skeleton("Hm", self._local(moment), locale=self._locale)

    def zone(self) -> str:
        """The community's zone as a reader names it: "北京时间" / "China time"."""
        key = getattr(self.tz, "key", None) or str(self.tz)
        if key in CHINA_ZONES:
            return self.gettext("China time")
        if key in ("UTC", "Etc/UTC"):
            return "UTC"
        return babel_dates.get_timezone_name(self.tz, width="short", locale=self._locale)

    def when(self, moment: dt.datetime | None, *, zone: bool = False) -> str:
        """"2027年1月1日 18:00" / "1 Jan 2027, 18:00"; with `zone`, "…（北京时间）" / "… China
        time" — for certificates, deadlines and schedules, where the hour matters."""
        if moment is None:
            return "—"
        pattern = babel_dates.get_datetime_format("medium", locale=self._locale)
        text = pattern.replace("{1}", self.day(moment)).replace("{0}", self.clock(moment))
        return self.gettext("{when} ({zone})", when=text, zone=self.zone()) if zone else text

    def deadline(self, moment: dt.datetime | None) -> str:
        """A closing time as people read it: the end of a day is that day, inclusive ("2027年1月1日
        （含）" / "1 Jan 2027, inclusive"); any other time keeps its hour and zone."""
        if moment is None:
            return "—"
        if is_end_of_day(self._local(moment)):
            return self.gettext("{day}, inclusive", day=self.day(moment))
        return self.when(moment, zone=True)

    def names(self, items: list[str]) -> str:
        """A list as the reader's language writes it: "吴桂兰、刘洋和王芳" / "Wu, Liu and
        Wang" ("" for none)."""
        return format_list(items, locale=self._locale) if items else ""


def is_end_of_day(local: dt.datetime) -> bool:
    """23:59 or later: a closing meant as "until the end of this day"."""
    return (local.hour, local.minute) >= (23, 59)


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
