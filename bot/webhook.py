"""Webhook mode: Telegram POSTs updates here; each is stored before we answer 200.

A wrong `X-Telegram-Bot-Api-Secret-Token` gets 403 (compared in constant time); a body over
MAX_BODY_BYTES gets 413 before it is read whole; a body that is not a JSON object with an
`update_id` Telegram could send gets 400 and nothing is stored. The update is written to the
inbox (unique `update_id`) and committed *before* the 200, then processed by the inbox worker;
a re-delivery is answered 200 and not processed again, and whatever a crash left
unprocessed is processed at the next start. Stored updates go through the same update processor
as polled ones (bot/processing.py): each person's in the order Telegram numbered them, different
people's side by side. Each is read on its own: one the library cannot read is marked with the
error's type and skipped, so it never holds up the updates after it, nor the start-up pass.
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
from telegram.ext import Application

from bot.db import Database
from bot.updates import read_update, update_id_of
from models import inbox

log = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes (a message of 4,096 characters with its entities and
# a reply is well under 100 kB); anything near this is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024


class InboxWorker:
    """Processes stored updates in batches, handed to the update processor in update_id order
    (so each person's stay in order and different people's run side by side)."""

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
                # started in update_id order: that is the order each person's are run in
                await asyncio.gather(*(self._process_and_mark(row.update_id, row.payload)
                                       for row in rows))
                done += len(rows)

    async def _process_and_mark(self, update_id: int, payload: Any) -> None:
        error = await self._process(update_id, payload)
        # the error handler has told the user; never loop on one update
        async with self.db.session() as session:
            await inbox.mark_processed(session, update_id, error)

    async def _process(self, update_id: int, payload: Any) -> str | None:
        """Handle one stored update; the type of the error that stopped it, if one did."""
        update, error = read_update(payload, self.app.bot)
        if update is None or error is not None:
            return error
        try:
            await self.app.update_processor.process_update(
                update, self.app.process_update(update))
        except Exception as failure:  # handlers' errors go to the error handler; not these
            log.error("update %s could not be processed: %s", update_id,
                      type(failure).__name__)
            return type(failure).__name__
        return None

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
        body = await _read_body(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse("update too large", status_code=413)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested absurdly deep
            payload = None
        update_id = update_id_of(payload)
        if update_id is None:
            return PlainTextResponse("bad update", status_code=400)
        async with db.session() as session:
            stored = await inbox.store(session, update_id, payload)
        if stored:
            worker.wakeup.set()
        return PlainTextResponse("ok")

    from bot import registry  # the features' own web routes, beside the webhook

    return Starlette(routes=[Route(path, receive, methods=["POST"]), *registry.routes()])


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over `limit` bytes."""
    try:
        if int(request.headers.get("content-length", "0")) > limit:
            return None
    except ValueError:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
