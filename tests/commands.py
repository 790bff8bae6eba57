"""The `linli` command as an administrator types it, run two ways.

`linli_process` starts it as a real process, for what only a process shows: its exit code and
that an error is one line on stderr with no traceback. `linli` runs the same `bot.cli.main` in
this process — the same parsing, the settings read from the environment, the same commands and
their output — without the 2–3 s of imports every start of the command costs, which the suite
would otherwise pay a hundred times over.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator

from bot.cli import main


def _environment(url: str, env: dict[str, str] | None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    return environment | {"LINLI_DATABASE_URL": url, **(env or {})}


def linli_process(*args: str, url: str, env: dict[str, str] | None = None,
                  ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, env=_environment(url, env), timeout=120)


@contextlib.contextmanager
def _environ(environment: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def linli(*args: str, url: str, env: dict[str, str] | None = None,
          ) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        try:
            return main(list(args))
        except SystemExit as exited:  # argparse: --help, a bad argument
            return exited.code if isinstance(exited.code, int) else 1

    with _environ(_environment(url, env)), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            code = run()
        else:  # called from an async test: the command runs its own loop, on a thread
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                code = pool.submit(run).result()
    return subprocess.CompletedProcess(["linli", *args], code, out.getvalue(), err.getvalue())


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's first stdout line, or fail after `timeout` seconds (a bare readline
    would wait for ever on a process that hangs before it prints)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if selector.select(remaining):
                return process.stdout.readline()
    raise AssertionError(f"the process printed nothing in {timeout:.0f} s")
