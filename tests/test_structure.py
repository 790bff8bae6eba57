"""The shape that keeps a feature in one place (#11), checked so it stays so: handlers hold no
SQL and commit nothing, button data is only ever built by a codec, no handler grows past 40
lines nor a module past 400, and feature handler modules do not import each other sideways."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = [p for d in ("bot", "handlers", "models", "jobs", "bench")
          for p in sorted((ROOT / d).rglob("*.py"))]
HANDLERS = [p for p in SOURCE if p.parts[len(ROOT.parts)] == "handlers"]
SHARED_HANDLER_PARTS = {"places_picker", "labels"}  # used by several features on purpose


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imported_modules(module: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


@pytest.mark.parametrize("path", HANDLERS, ids=rel)
def test_handlers_hold_no_sql_and_commit_nothing(path):
    module = tree(path)
    sql = [n for n in imported_modules(module) if n.split(".")[0] == "sqlalchemy"]
    assert not sql, f"{rel(path)} imports {sql}: queries belong in models/"
    commits = [n.lineno for n in ast.walk(module)
               if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr in ("commit", "execute", "scalar", "scalars", "add", "flush")
               and "session" in ast.unparse(n.func.value)]
    assert not commits, f"{rel(path)} uses the session directly on lines {commits}: call a verb"


# the emulator is Telegram's side (a user's press carries data): only the bot builds buttons
BOT_SIDE = [p for p in SOURCE
            if rel(p) != "bot/buttons.py" and not rel(p).startswith("bot/emulator/")]


@pytest.mark.parametrize("path", BOT_SIDE, ids=rel)
def test_button_data_is_built_only_by_codecs(path):
    module = tree(path)
    built = [n.lineno for n in ast.walk(module) if isinstance(n, ast.Call)
             and any(k.arg == "callback_data" for k in n.keywords)]
    assert not built, f"{rel(path)} builds callback data by hand on lines {built}: use a codec"
    legacy = [n for n in imported_modules(module) if n.startswith("bot.keyboards")]
    assert not legacy, f"{rel(path)} imports {legacy}: use bot/buttons.py"


@pytest.mark.parametrize("path", HANDLERS, ids=rel)
def test_no_handler_is_over_40_lines(path):
    long = [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree(path))
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.end_lineno - n.lineno + 1 > 40]
    assert not long, f"{rel(path)}: {long}: split into one handler per action"


@pytest.mark.parametrize("path", SOURCE, ids=rel)
def test_no_module_is_over_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= 400, f"{rel(path)} has {lines} lines: split it by use case"


def feature_of(path: Path) -> str:
    return path.relative_to(ROOT / "handlers").parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", HANDLERS, ids=rel)
def test_feature_handlers_do_not_import_each_other_sideways(path):
    mine = feature_of(path)
    sideways = sorted({n.split(".")[1] for n in imported_modules(tree(path))
                       if n.startswith("handlers.") and n.split(".")[1] not in
                       (mine, *SHARED_HANDLER_PARTS)})
    assert not sideways, f"{rel(path)} imports the handlers of {sideways}: share through " \
                         "bot/ or models/ instead"


def test_every_button_route_comes_from_a_codec():
    from bot.buttons import CODECS
    from bot.registry import FEATURES

    routed = [on.codec for f in FEATURES for on in f.buttons]
    assert routed and all(c in CODECS.values() for c in routed)
    assert len({c.pattern().pattern for c in routed}) == len(routed)
