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
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import menus
from bot.config import Settings
from bot.db import Database
from bot.deps import Deps, deps
from bot.i18n import tr
from bot.logs import install_redaction
from bot.outbox import OutboxSender, Renderer
from handlers import account, approvals, inputs, notice_status, notices, onboarding
from handlers.common import current
from jobs.notices import report_progress
from jobs.tick import tick

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 3.0  # how often a running broadcast's progress message is updated

RENDERERS: dict[str, Renderer] = {**approvals.RENDERERS, **notice_status.RENDERERS}


# Who may take a free message (text, photo, document), in order: see handlers/inputs.py.
INPUT_TAKERS: list[inputs.Taker] = [notices.take_input]


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler, in one place and in order."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", onboarding.start, filters=private))
    app.add_handler(CommandHandler("me", account.me, filters=private))
    app.add_handler(CommandHandler("language", account.language, filters=private))
    app.add_handler(CommandHandler("help", account.help_command))
    app.add_handler(CommandHandler("pending", approvals.pending, filters=private))
    app.add_handler(CallbackQueryHandler(onboarding.onboarding_button, pattern=r"^ob:"))
    app.add_handler(CallbackQueryHandler(onboarding.pick_button, pattern=r"^j:"))
    app.add_handler(CallbackQueryHandler(approvals.decide_button, pattern=r"^m:[ar]:"))
    app.add_handler(CallbackQueryHandler(approvals.pending, pattern=r"^m:list$"))
    app.add_handler(CallbackQueryHandler(account.me, pattern=r"^me:"))
    app.add_handler(CallbackQueryHandler(account.language_button, pattern=r"^lang:"))
    app.add_handler(CommandHandler("notice", notices.new_notice, filters=private))
    app.add_handler(CommandHandler("notices", notice_status.list_notices, filters=private))
    app.add_handler(CommandHandler("tags", notice_status.tags, filters=private))
    app.add_handler(CallbackQueryHandler(notices.new_notice, pattern=r"^nt:new$"))
    app.add_handler(CallbackQueryHandler(notice_status.list_notices, pattern=r"^nl$"))
    app.add_handler(CallbackQueryHandler(notices.composer_button, pattern=r"^nt:"))
    app.add_handler(CallbackQueryHandler(notice_status.acknowledge, pattern=r"^na:"))
    app.add_handler(CallbackQueryHandler(notice_status.notice_status, pattern=r"^ns:"))
    app.add_handler(CallbackQueryHandler(notice_status.tags, pattern=r"^tg:"))
    app.add_handler(MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
                                   inputs.free_input(INPUT_TAKERS)))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(on_error)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button we do not know (old, or forged) so the spinner stops."""
    async with deps(context).db.session() as session:
        _person, _ = await current(session, update, context)
    await update.callback_query.answer(
        _("This button is no longer valid. Send /help to start again."), show_alert=True
    )


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
            _person, _ = await current(session, update, context)
    except Exception:  # the database itself may be what failed
        _ = tr(deps(context).settings.default_language)
    text = _("Sorry, something went wrong on our side. Please try again in a minute; if it "
             "keeps happening, tell your community office.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.warning("could not tell update %s about the failure", update_id)


def build_application(
    settings: Settings, db: Database, *, token: str, base_url: str | None = None,
    base_file_url: str | None = None, rate_limit: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    install_redaction()
    builder = (
        Application.builder()
        .token(token)
        .base_url(base_url or settings.api_base_url)
        .base_file_url(base_file_url or settings.api_file_url)
    )
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.bot_data["deps"] = Deps(settings=settings, db=db)
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
        from models.people import staff_people

        for person in await staff_people(session):
            await menus.refresh_for(app.bot, session, person)
    app.bot_data["outbox_task"] = asyncio.create_task(
        run_outbox(app.bot, d), name="outbox")
    if app.job_queue is not None:
        app.job_queue.run_repeating(tick, interval=d.settings.tick_seconds, first=0.0,
                                    name="tick")
        app.job_queue.run_repeating(report_progress, interval=PROGRESS_SECONDS, first=1.0,
                                    name="notice-progress")


async def run_outbox(app_bot: Bot, d: Deps) -> None:
    """The outbox sender, with a Bot of its own: no PTB rate limiter (the sender keeps
    Telegram's limits itself) and a connection pool sized for its concurrency."""
    s = d.settings
    request = HTTPXRequest(connection_pool_size=s.outbox_concurrency + 2)
    # base_url as a callable: PTB's properties already include the token
    bot = Bot(app_bot.token, base_url=lambda _token: app_bot.base_url,
              base_file_url=lambda _token: app_bot.base_file_url, request=request)
    sender = OutboxSender(d.db, RENDERERS, default_language=s.default_language,
                          rate=s.send_rate, paid_broadcast=s.paid_broadcast,
                          concurrency=s.outbox_concurrency,
                          lease=dt.timedelta(seconds=s.outbox_lease_seconds))
    async with bot:
        await sender.run(bot, d.outbox_wakeup)


async def _stop_background(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    task: asyncio.Task[None] | None = app.bot_data.pop("outbox_task", None)
    if task is not None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
