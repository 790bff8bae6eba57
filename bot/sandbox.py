"""`linli sandbox`: linli on this computer without Telegram, a token or the internet.

One asyncio process runs the Bot API emulator, the real bot polling it (the production wiring,
pointed at the emulator by base URL), and the chat page. The sandbox has its own SQLite file,
migrated and seeded with the demo community on first use and kept between runs (`--reset`
starts over). `run_sandbox` is the whole thing as a context manager, which the tests use too.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.ext import Application

from bot import demo, demo_vote
from bot.app import ALLOWED_UPDATES, build_application, started
from bot.config import Settings
from bot.db import Database
from bot.emulator.client import listen, serve
from bot.emulator.state import World
from bot.logs import setup_logging
from bot.migrate import upgrade_engine
from bot.sandbox_page import PageServer

# Shaped like a real token so the same validation and redaction apply; it only works here.
SANDBOX_TOKEN = "1000000001:sandbox-token-works-only-on-localhost"
POLL_TIMEOUT = 10


class SandboxError(Exception):
    """The sandbox cannot start; the message says what to do."""


@dataclass(frozen=True)
class SandboxOptions:
    db_path: Path = Path("linli-sandbox.sqlite")
    host: str = "127.0.0.1"
    port: int = 8080
    api_port: int = 8081
    reset: bool = False
    rate_limit: bool = True


@dataclass
class Sandbox:
    page_url: str
    api_url: str
    world: World
    db: Database
    app: Application[Any, Any, Any, Any, Any, Any]


def _check_free(host: str, port: int, option: str) -> None:
    """Fail with one clear sentence when a port is taken, before anything else starts."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The same option uvicorn sets, so a port in TIME_WAIT from a last run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SandboxError(
                    f"port {port} on {host} is already in use (another sandbox?); choose "
                    f"another with {option} PORT") from None
            raise SandboxError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def _copies_path(path: Path) -> Path:
    """Where the demo keeps its voters' copies of their secret ballots (bot/demo_vote.py)."""
    return Path(f"{path}.copies.json")


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _copies_path(path).unlink(missing_ok=True)


@asynccontextmanager
async def run_sandbox(options: SandboxOptions) -> AsyncIterator[Sandbox]:
    """Start everything; stop it all, in reverse order, when the block ends."""
    if options.port and options.port == options.api_port:
        raise SandboxError("--port and --api-port must differ")
    _check_free(options.host, options.port, "--port")
    _check_free(options.host, options.api_port, "--api-port")
    if options.reset:
        _remove_database(options.db_path)
    url = f"sqlite+aiosqlite:///{options.db_path.resolve()}"
    db = Database(url)
    try:
        await upgrade_engine(db.engine)
        await demo.seed(db)
        await demo.seed_examples(db)  # once; also for a sandbox from before they existed
        copies = _copies_path(options.db_path)
        await demo_vote.seed_vote(db, copies)  # (likewise)
        settings = Settings(_env_file=None, database_url=url,  # type: ignore[call-arg]
                            default_language="zh_CN", tick_seconds=5.0,
                            quiet_hours="")  # a demo answers at any hour
        # as a deployed bot set up as the README says (BotFather /setprivacy → Disable), so
        # the demo groups behave as they will for a community office
        world = World(SANDBOX_TOKEN, bot_first_name="邻里 linli", privacy_mode=False)
        demo.populate_world(world)
        async with serve(world, options.host, options.api_port) as emulator:
            async with Bot(SANDBOX_TOKEN, base_url=emulator.bot_base_url) as bot:
                await demo_vote.deliver_copies(bot, db, copies)  # before the outbox's news
            app = build_application(settings, db, token=SANDBOX_TOKEN,
                                    base_url=emulator.bot_base_url,
                                    base_file_url=emulator.file_base_url,
                                    rate_limit=options.rate_limit)
            async with started(app):
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0.0, timeout=POLL_TIMEOUT,
                                                 allowed_updates=ALLOWED_UPDATES)
                page = PageServer(world, db)
                try:
                    async with listen(page.app, options.host, options.port) as (_, port):
                        try:
                            yield Sandbox(f"http://{options.host}:{port}", emulator.url,
                                          world, db, app)
                        finally:
                            page.close()
                finally:
                    await app.updater.stop()
    finally:
        await db.dispose()


async def _main(options: SandboxOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with run_sandbox(options) as sandbox:
        print(f"linli sandbox: open {sandbox.page_url} in your browser (Ctrl-C to stop)",
              flush=True)
        print(f"  Bot API emulator at {sandbox.api_url}, data in {options.db_path}",
              file=sys.stderr, flush=True)
        await stop.wait()
        print("linli sandbox: stopping…", file=sys.stderr, flush=True)


def main(options: SandboxOptions) -> None:
    """Run until Ctrl-C (or SIGTERM); raises SandboxError for a problem a person can fix."""
    setup_logging(logging.WARNING)
    try:
        asyncio.run(_main(options))
    except OSError as error:  # a port taken between the check and the bind
        raise SandboxError(f"cannot start the sandbox: {error}") from None
