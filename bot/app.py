"""Build the PTB Application: handlers in order, the error handler, the outbox sender and the
tick, all sharing one `Deps` in `bot_data`. The same wiring serves polling, the webhook, the
sandbox and the tests; only the Bot API base URL differs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot, Update
from telegram.ext import Application, ContextTypes

from bot import menus, registry
from bot.botapi import BotApi
from bot.config import Settings
from bot.db import Database
from bot.deps import Deps, deps
from bot.feature import who
from bot.i18n import tr
from bot.logs import install_redaction
from bot.outbox import SHARED_KINDS, OutboxSender
from bot.processing import ChatOrdered
from bot.request import AiohttpRequest
from bot.sending import PAID_RATE, BudgetedRequests, LocalBudget
from bot.updates import LinliBot
from jobs.housekeeping import PURGE_SECONDS, housekeeping
from jobs.notices import report_progress
from jobs.tick import tick
from models.groups import bound_group_count
from models.pledges import schedule_missing_reports
from models.telegram_limits import ALERT, shorten

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 3.0  # how often a running broadcast's progress message is updated

# What the bot asks Telegram for. Edited messages come too (a live location is a stream of
# them) and the bot's own membership of groups; every handler takes new messages only.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member",
                   "chat_member"]

RENDERERS = registry.renderers()  # checked here, at start-up: see bot/registry.py
SHARED_KINDS.update(registry.shared_kinds())  # rendered once per language for a broadcast


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler, from the feature registry (bot/registry.py), and the error handler."""
    registry.register(app)
    app.add_error_handler(on_error)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (update id only: no token, no personal data), then tell the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    # The traceback's frames, not the exception's text: that may quote personal data.
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("update %s failed: %s\n%s", update_id, type(error).__name__, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        async with deps(context).db.session() as session:
            _person, _ = await who(session, update, context)
    except Exception:  # the database itself may be what failed
        _ = tr(deps(context).settings.default_language)
    text = _("Sorry, something went wrong on our side. Please try again in a minute; if it "
             "keeps happening, tell your community office.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(shorten(text, ALERT), show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.warning("could not tell update %s about the failure", update_id)


def build_application(
    settings: Settings, db: Database, *, token: str, base_url: str | None = None,
    base_file_url: str | None = None, rate_limit: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot. `rate_limit=False` lets handlers' replies past the send budget (tests against
    an emulator without limits); the outbox keeps to it either way."""
    install_redaction()
    budget = LocalBudget(settings.outbox_rate,
                         paid_rate=settings.send_rate if settings.paid_broadcast else PAID_RATE)
    # PTB's own pool sizes (ApplicationBuilder's defaults), around our bot class, over aiohttp
    # (bot/request.py: a fifth of httpx's CPU per call)
    bot = LinliBot(token, base_url=base_url or settings.api_base_url,
                   base_file_url=base_file_url or settings.api_file_url,
                   request=AiohttpRequest(connection_pool_size=256),
                   get_updates_request=AiohttpRequest(connection_pool_size=1),
                   rate_limiter=BudgetedRequests(budget) if rate_limit else None)
    app = (Application.builder().bot(bot)
           .concurrent_updates(ChatOrdered(settings.concurrent_updates)).build())
    app.bot_data["deps"] = Deps(settings=settings, db=db, features=registry.FEATURES,
                                budget=budget)
    register_handlers(app)
    return app


@asynccontextmanager
async def started(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Initialise and start the Application with its menus, outbox sender and tick; stop all
    on exit. Fetching updates (polling or webhook) is the caller's part."""
    async with app:
        await app.start()
        await _start_background(app)
        try:
            yield
        finally:
            await _stop_background(app)
            await app.stop()


async def _start_background(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    d: Deps = app.bot_data["deps"]
    await menus.set_defaults(app.bot, d.settings.default_language)
    async with d.db.session() as session:
        from models.permissions import staff_people

        for person in await staff_people(session):
            await menus.refresh_for(app.bot, session, person)
        await schedule_missing_reports(session)  # pledges from before closing reports
        if not app.bot.can_read_all_group_messages and await bound_group_count(session):
            log.warning("groups are bound, but the bot's privacy mode is on: in groups it sees "
                        "only commands, replies to it and mentions. To let it see the groups' "
                        "messages, send /setprivacy to @BotFather and choose Disable, or make "
                        "the bot an admin of each group.")
    d.outbox_stop.clear()
    app.bot_data["outbox_task"] = asyncio.create_task(
        run_outbox(app.bot, d), name="outbox")
    if app.job_queue is not None:
        # a run the busy event loop woke late still runs (APScheduler would skip one more
        # than a second late), and runs that piled up meanwhile are one
        late = {"misfire_grace_time": None, "coalesce": True}
        app.job_queue.run_repeating(tick, interval=d.settings.tick_seconds, first=0.0,
                                    name="tick", job_kwargs=late)
        app.job_queue.run_repeating(report_progress, interval=PROGRESS_SECONDS, first=1.0,
                                    name="notice-progress", job_kwargs=late)
        app.job_queue.run_repeating(housekeeping, interval=PURGE_SECONDS, first=60.0,
                                    name="housekeeping", job_kwargs=late)


async def run_outbox(app_bot: Bot, d: Deps) -> None:
    """The outbox sender. It takes its turns from the bot's send budget, after the replies,
    and posts through a lean client of its own (see bot/botapi.py)."""
    s = d.settings
    api = BotApi(app_bot.base_url, connections=s.outbox_concurrency + 2)
    sender = OutboxSender(d.db, RENDERERS, default_language=s.default_language, tz=s.tz,
                          rate=s.send_rate, paid_broadcast=s.paid_broadcast,
                          concurrency=s.outbox_concurrency, budget=d.budget,
                          lease=dt.timedelta(seconds=s.outbox_lease_seconds),
                          quiet=s.quiet, clock=lambda: d.clock())
    try:
        await sender.run(api, d.outbox_wakeup, d.outbox_stop)
    finally:
        await api.close()


async def _stop_background(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    task: asyncio.Task[None] | None = app.bot_data.pop("outbox_task", None)
    if task is not None:
        d: Deps = app.bot_data["deps"]
        d.outbox_stop.set()  # (ends its loop even if the cancellation is lost: bot/outbox.py)
        d.outbox_wakeup.set()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # stopping must go on: unsent rows return after their lease
            log.exception("the outbox sender failed while stopping")
