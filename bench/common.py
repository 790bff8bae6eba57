"""What the benchmarks share: finding them, timing (best of several runs), progress on stderr,
and a plain-text table.

A benchmark is a module in `bench/` with a `NAME` and `main(argv) -> dict`: `main` prints a
readable table as it goes and returns its figures; the runner (`python -m bench`) prints those
figures as the last line, one JSON object.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import Any, TypeVar

import bench

T = TypeVar("T")


def discover() -> dict[str, ModuleType]:
    """Every benchmark module in this package, by NAME."""
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_") or info.name in ("common", "synth"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        name = getattr(module, "NAME", None)
        if isinstance(name, str) and callable(getattr(module, "main", None)):
            found[name] = module
    return dict(sorted(found.items()))


def progress(text: str) -> None:
    """One line of progress on stderr, overwritten by the next (stdout stays clean)."""
    sys.stderr.write(f"\r{text[:78]:<78}")
    sys.stderr.flush()


def done_progress() -> None:
    sys.stderr.write("\n")
    sys.stderr.flush()


async def best_of(runs: int, work: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """(fastest wall time in seconds, the last result) over `runs` runs after one warm-up."""
    result = await work()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - start)
    return best, result


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        parts = [c.rjust(w) if n and _numeric(c) else c.ljust(w) for c, w in zip(row, widths,
                                                                                  strict=True)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
