"""Webhook mode: Telegram POSTs updates here; each is stored before we answer 200.

A wrong `X-Telegram-Bot-Api-Secret-Token` gets 403 (compared in constant time). The update is
written to the inbox (unique `update_id`) and committed *before* the 200, then processed by one
worker in order; a re-delivery is answered 200 and not processed again, and whatever a crash
left unprocessed is processed at the next start.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.db import Database
from models import inbox

log = logging.getLogger(__name__)


class InboxWorker:
    """Processes stored updates one at a time, in update_id order."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], db: Database) -> None:
        self.app = app
        self.db = db
        self.wakeup = asyncio.Event()
        self._lock = asyncio.Lock()

    async def process_pending(self) -> int:
        done = 0
        async with self._lock:
            while True:
                async with self.db.session() as session:
                    rows = await inbox.unprocessed(session, limit=100)
                if not rows:
                    return done
                for row in rows:
                    update = Update.de_json(row.payload, self.app.bot)
                    try:
                        await self.app.process_update(update)
                    finally:  # the error handler has told the user; never loop on one update
                        async with self.db.session() as session:
                            await inbox.mark_processed(session, row.update_id)
                    done += 1

    async def run(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            try:
                await self.process_pending()
            except Exception:
                log.exception("inbox processing failed")


def create_webhook_app(db: Database, worker: InboxWorker, secret: str,
                       path: str = "/telegram") -> Starlette:
    if not secret:
        raise ValueError("a webhook needs a secret, or anyone could post forged updates")
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = json.loads(await request.body())
            int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad update", status_code=400)
        async with db.session() as session:
            stored = await inbox.store(session, payload)
        if stored:
            worker.wakeup.set()
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(path, receive, methods=["POST"])])
