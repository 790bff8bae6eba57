"""Housekeeping: what the bot keeps only for a while.

The webhook inbox keeps a processed update's id for `models.inbox.KEEP`, to recognise a
re-delivery; after that it goes. Questions nobody answered (models/asks.py) go once expired.
Hourly is plenty, and an idle database is not written to
every few seconds for it.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import ContextTypes

from bot.db import Database
from bot.deps import deps
from models import asks, inbox

log = logging.getLogger(__name__)
PURGE_SECONDS = 3600.0


async def purge_inbox(db: Database, *, now: dt.datetime | None = None) -> int:
    """Delete processed inbox rows past their retention; return how many."""
    async with db.session() as session:
        return await inbox.purge(session, now=now)


async def housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback."""
    purged = await purge_inbox(deps(context).db)
    if purged:
        log.info("purged %s processed updates from the inbox", purged)
    async with deps(context).db.session() as session:
        forgotten = await asks.purge(session)
    if forgotten:
        log.info("forgot %s unanswered questions", forgotten)
