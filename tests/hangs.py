"""What a test that hangs was waiting for, shown at the end of the run.

pytest-timeout (pyproject.toml) ends a worker whose test runs past `timeout`; pytest-xdist reports
the test failed, but what the worker printed as it ended is lost. So ten seconds before that, a
timer writes every thread's stack and every asyncio task's stack (the await each is stuck on) to
a file, and the controlling process prints those files in the run's summary.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

_DIR = "LINLI_TEST_HANG_DUMPS"
_EARLY = 10.0  # seconds before pytest-timeout ends the worker


def pytest_configure(config: pytest.Config) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller; workers inherit the folder
        os.environ[_DIR] = tempfile.mkdtemp(prefix="linli-hangs-")


def _dump(nodeid: str, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{nodeid} still running; every thread:\n")
        out.flush()
        faulthandler.dump_traceback(file=out, all_threads=True)
        loops = [o for o in gc.get_objects()
                 if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()]
        for loop in loops:
            for task in asyncio.all_tasks(loop):
                out.write(f"\n{task.get_name()}, awaiting, outermost first:\n")
                awaited = task.get_coro()
                while awaited is not None:  # down the chain of awaits to where it waits
                    frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame",
                                                                          None)
                    if frame is not None:
                        out.write(f"  {frame.f_code.co_filename}:{frame.f_lineno} "
                                  f"in {frame.f_code.co_name}\n")
                    awaited = (getattr(awaited, "cr_await", None)
                               or getattr(awaited, "gi_yieldfrom", None))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    timeout = float(item.config.getini("timeout") or 0)
    folder = os.environ.get(_DIR)
    timer = None
    if timeout > _EARLY and folder:
        name = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}.txt"
        timer = threading.Timer(timeout - _EARLY, _dump, (item.nodeid, Path(folder) / name))
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    folder = os.environ.get(_DIR)
    if "PYTEST_XDIST_WORKER" in os.environ or not folder:
        return
    for dump in sorted(Path(folder).glob("*.txt")):
        terminalreporter.section(f"hung: {dump.name}")
        terminalreporter.write(dump.read_text(encoding="utf-8", errors="replace"))
