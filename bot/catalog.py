"""Maintain the translation catalogs: `python -m bot.catalog {extract,update,compile,check}`.

extract  — collect every marked string from the source into bot/locales/linli.pot
update   — merge the template into each language's .po (new strings arrive untranslated)
compile  — write the .mo files the bot loads
check    — fail (exit 1) on any string missing, untranslated, fuzzy or stale in any language,
           or a .mo that does not match its .po; the test suite runs the same check
"""

from __future__ import annotations

import argparse
import gettext
import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = Path(__file__).resolve().parent / "locales"
POT = LOCALES / "linli.pot"
DOMAIN = "linli"
LANGUAGES = ("zh_CN", "en")
SOURCES = ("bot", "handlers", "models", "jobs")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    catalog = Catalog(project="linli", domain=DOMAIN, charset="utf-8")
    for source in SOURCES:
        found = extract_from_dir(ROOT / source, method_map=[("**.py", "python")],
                                 keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                                 strip_comment_tags=True)
        for filename, lineno, message, comments, context in found:
            if "emulator" in Path(filename).parts:
                continue
            catalog.add(message, None, [(f"{source}/{filename}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def _write_po(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=99, omit_header=False, sort_output=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _read_po(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update() -> None:
    template = extract()
    _write_po(template, POT)
    for language in LANGUAGES:
        path = po_path(language)
        catalog = _read_po(path, language) if path.exists() else Catalog(locale=language,
                                                                          domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write_po(catalog, path)


def compile_all() -> None:
    for language in LANGUAGES:
        catalog = _read_po(po_path(language), language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        po_path(language).with_suffix(".mo").write_bytes(buffer.getvalue())


def _ids(message_id: object) -> Iterable[str]:
    return message_id if isinstance(message_id, tuple) else (str(message_id),)


def problems() -> list[str]:
    """Everything wrong with the catalogs, one line each (empty: all complete and current)."""
    wanted = {m.id for m in extract() if m.id}
    out: list[str] = []
    for language in LANGUAGES:
        path = po_path(language)
        if not path.exists():
            out.append(f"{language}: no catalog at {path}")
            continue
        catalog = _read_po(path, language)
        have = {m.id for m in catalog if m.id}
        out += [f"{language}: missing {m!r}" for m in sorted(map(str, wanted - have))]
        out += [f"{language}: stale (no longer in the code) {m!r}"
                for m in sorted(map(str, have - wanted))]
        mo_path = path.with_suffix(".mo")
        compiled: gettext.NullTranslations = gettext.NullTranslations()
        if mo_path.exists():
            with mo_path.open("rb") as handle:
                compiled = gettext.GNUTranslations(handle)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                out.append(f"{language}: untranslated {message.id!r}")
            elif message.fuzzy:
                out.append(f"{language}: fuzzy {message.id!r}")
            elif isinstance(message.id, str) and compiled.gettext(message.id) != message.string:
                out.append(f"{language}: .mo is out of date for {message.id!r} "
                           "(run python -m bot.catalog compile)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.catalog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["extract", "update", "compile", "check"])
    action = parser.parse_args(argv).action
    if action == "extract":
        _write_po(extract(), POT)
    elif action == "update":
        update()
    elif action == "compile":
        compile_all()
    else:
        found = problems()
        print("\n".join(found) if found else "Catalogs are complete and current.")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
