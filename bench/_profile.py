"""Where a bot process spends its time while a benchmark measures it: `py-spy` samples the
running process from outside (`record`), and `summary` sums its stacks by package and by
function. A sampling profiler from outside, rather than cProfile inside, because cProfile
times only the thread that started it (not aiosqlite's database threads) and its per-call
hooks inflate exactly the many small calls (PTB's objects, SQLAlchemy's) being measured.

py-spy comes with the test extras (`pip install -e .[test]`). An idle aiosqlite thread waits in
`SimpleQueue.get`, which py-spy cannot tell from work: those samples are left out.

    python -m bench presses --profile DIR       # DIR/linli.txt, DIR/same.txt (raw stacks)
    python -m bench._profile DIR/linli.txt      # the summary
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FRAME = re.compile(r"^(.*) \((.*?):(\d+)\)$")
IDLE = ("_connection_worker_thread (aiosqlite/core.py:59)",)  # waiting for the next call


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("--profile needs py-spy: pip install -e '.[test]'")
    return found


@contextmanager
def record(pid: int | None, out: Path | None, rate: int = 100) -> Iterator[None]:
    """Sample `pid` (its Python threads) into `out` (py-spy's raw format) while the block
    runs; nothing when `out` is None."""
    if pid is None or out is None:
        yield
        return
    process = subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
         "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes what it has and stops
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def summary(path: Path, top: int = 30) -> str:
    """Busy samples by package (inclusive), and the functions with most samples (inclusive
    and self), as percentages of the busy samples."""
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or frames[-1] in IDLE:
            continue
        n = int(count)
        total += n
        seen_packages, seen_functions = set(), set()
        for frame in frames:
            match = _FRAME.match(frame)
            if match is None:
                continue
            function, file = match[1], match[2]
            seen_packages.add(file.split("/")[0])
            seen_functions.add(f"{function} ({file})")
        for package in seen_packages:
            packages[package] += n
        for function in seen_functions:
            inclusive[function] += n
        own[frames[-1]] += n
    if not total:
        return f"{path}: no busy samples"

    def lines(counter: Counter[str], k: int) -> list[str]:
        return [f"{100 * v / total:5.1f}%  {name}" for name, v in counter.most_common(k)]

    return "\n".join([f"{path}: {total:,} busy samples", "by package, inclusive:",
                      *lines(packages, 20), "by function, inclusive:", *lines(inclusive, top),
                      "by frame, self:", *lines(own, top)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="py-spy raw files")
    parser.add_argument("--top", type=int, default=30, help="functions shown")
    args = parser.parse_args(argv)
    for path in args.files:
        print(summary(path, args.top))


if __name__ == "__main__":
    main()
