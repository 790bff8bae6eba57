"""What the benchmarks share: finding them, timing (best or median of several runs), progress
on stderr, a plain-text table, and processes of their own (the emulator, a bot) with their CPU
time and peak memory read from /proc.

A benchmark is a module in `bench/` with a `NAME` and `main(argv) -> dict`: `main` prints a
readable table as it goes and returns its figures; the runner (`python -m bench`) prints those
figures as the last line, one JSON object.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import pkgutil
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
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


async def medians(runs: int, *works: Callable[[], Awaitable[Any]]) -> list[tuple[float, Any]]:
    """For each work, (median wall time in seconds, its last result) over `runs` rounds after
    one warm-up each. Each round runs every work once, the order turning from round to round,
    so that two ways of doing the same thing meet the same drift of a shared machine."""
    results = [await work() for work in works]
    times: list[list[float]] = [[] for _ in works]
    for n in range(max(1, runs)):
        for k in range(len(works)):
            i = (k + n) % len(works)
            start = time.perf_counter()
            results[i] = await works[i]()
            times[i].append(time.perf_counter() - start)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


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


# --- processes of their own ------------------------------------------------------------------

@asynccontextmanager
async def emulator(limits: str, token: str | None = None) -> AsyncIterator[str]:
    """A standalone emulator process (accepting only `token`, if given); yields its base URL."""
    command = [sys.executable, "-m", "bot.emulator", "--port", "0", "--limits", limits]
    if token is not None:
        command += ["--token", token]
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, before any timing)
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, process.stdout.readline)
        url = line.strip().rsplit(" ", 1)[-1]
        if not url.startswith("http"):
            raise RuntimeError(f"emulator did not start: {line!r}")
        yield url
    finally:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def child(command: Sequence[str], *, env: dict[str, str], log: Path,
          cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A child process (a bot) with `env` added to ours and its output in the file `log`;
    stopped (SIGTERM, then SIGKILL after 20 s) when the block ends, however it ends."""
    with open(log, "ab") as out:
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT,
                                   # a benchmark measures sending, whatever the hour
                                   env={**os.environ, "LINLI_QUIET_HOURS": "", **env}, cwd=cwd)
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """The peak resident set size of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
