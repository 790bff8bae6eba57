"""Run the bot for real: long polling, or a webhook server when LINLI_WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlparse

import uvicorn

from bot.app import ALLOWED_UPDATES, build_application, started
from bot.config import Settings
from bot.db import Database
from bot.logs import setup_logging
from bot.webhook import InboxWorker, create_webhook_app

log = logging.getLogger(__name__)


def run(settings: Settings, token: str) -> None:
    setup_logging()
    asyncio.run(serve(settings, token))


async def serve(settings: Settings, token: str, *, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    db = Database.for_bot(settings.database_url, settings.concurrent_updates)
    await db.check()
    app = build_application(settings, db, token=token)
    try:
        async with started(app):
            if settings.webhook_url:
                await _serve_webhook(settings, db, app, stop)
            else:
                assert app.updater is not None
                await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                log.info("linli is running (long polling); press Ctrl-C to stop")
                await stop.wait()
                await app.updater.stop()
    finally:
        await db.dispose()


async def _serve_webhook(settings: Settings, db: Database, app, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    secret = settings.require_webhook_secret()
    url = settings.webhook_url or ""
    worker = InboxWorker(app, db)
    await worker.process_pending()  # what a crash left behind
    web = create_webhook_app(db, worker, secret, urlparse(url).path or "/telegram")
    server = uvicorn.Server(uvicorn.Config(web, host=settings.webhook_listen,
                                           port=settings.webhook_port, log_level="warning"))
    worker_task = asyncio.create_task(worker.run())
    server_task = asyncio.create_task(server.serve())
    await app.bot.set_webhook(url, secret_token=secret,
                              allowed_updates=ALLOWED_UPDATES)
    log.info("linli is running (webhook on port %s); press Ctrl-C to stop",
             settings.webhook_port)
    await stop.wait()
    server.should_exit = True
    await server_task
    worker_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker_task
