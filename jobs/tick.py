"""The tick: every few seconds, fire the due items whose time has come.

Each effect writes its outbox rows in the same transaction that marks the item done, so a
tick interrupted by a crash either did all of an item or none of it.
"""

from __future__ import annotations

import datetime as dt

from telegram.ext import ContextTypes

from bot.db import Database
from bot.deps import deps
from models.schedule import Effect, run_due

# Due-item kind → effect, as the features declare them (bot/registry.py, loaded on first use:
# the registry imports every feature's handlers)
EFFECTS: dict[str, Effect] = {}
_loaded: list[bool] = []


def effects() -> dict[str, Effect]:
    if not _loaded:
        from bot import registry

        EFFECTS.update({**registry.effects(), **EFFECTS})
        _loaded.append(True)
    return EFFECTS


async def run_tick(db: Database, *, now: dt.datetime | None = None) -> int:
    """Fire every due item; return how many fired."""
    async with db.session() as session:
        return await run_due(session, effects(), now=now)


async def tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: run the due items and wake the outbox if any fired."""
    if await run_tick(deps(context).db, now=deps(context).clock()):
        deps(context).wake_outbox()
