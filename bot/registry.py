"""The feature registry: the one list of features, and the loops that wire them.

How the parts fit (see also ../shared/ARCHITECTURE.md):

    handlers/<feature>  FEATURE = Feature(...)   commands, typed buttons, asked-for input,
         │                                       events, renderers, effects, menu, CLI, routes
         ▼
    bot/registry.py     FEATURES = [...]         ← adding a feature is one line here
         │
         ├─ register(app)     PTB handlers: inline-mode presses, deep links, commands, member
         │                    updates, events, buttons (pattern from each codec), free input
         │                    (to what the person was asked, models/asks.py), stale buttons
         ├─ renderers()       outbox kind → renderer; every kind a model declares
         │                    (models/outbox.py `declare_kind`) must have one, checked at start
         ├─ effects()         due-item kind → effect, for the tick (jobs/tick.py)
         ├─ menu_commands()   the "/" menus and /help (bot/menus.py, handlers/account.py)
         ├─ menu_buttons()    the buttons of /help and of the "I did not understand" pointer
         ├─ add_cli()         `linli` subcommands (bot/cli.py)
         └─ routes()          web routes (bot/webhook.py, bot/sandbox.py)

Below a feature's handlers are its verbs in `models/<feature>` (rules, permissions through
models/permissions.py, audit rows through models/audit.py, outbox rows, one transaction) and
the shared participation parts (models/participation.py). A handler never touches SQL.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

import handlers.account
import handlers.approvals
import handlers.groups
import handlers.notices
import handlers.onboarding
import handlers.places
import handlers.pledges
import handlers.tags
from bot.buttons import ButtonData
from bot.feature import Call, Feature, Handler, MenuButton, MenuCommand, run
from bot.i18n import Translator
from models import asks
from models.outbox import declared_kinds
from models.people import Person
from models.permissions import is_manager
from models.schedule import declared_due_kinds

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.routing import BaseRoute

    from bot.outbox import Renderer
    from models.schedule import Effect

# (while #11 reshapes the code: the modules that already declare a FEATURE; the others are
# still wired by hand in bot/app.py `legacy_handlers`)
FEATURES: list[Feature] = [m.FEATURE for m in (  # type: ignore[attr-defined]
    handlers.places, handlers.account, handlers.onboarding, handlers.approvals, handlers.groups,
    handlers.notices, handlers.tags, handlers.pledges) if hasattr(m, "FEATURE")]

App = Application[Any, Any, Any, Any, Any, Any]
NEW = filters.UpdateType.MESSAGE  # not edits, channel posts or business messages
PRIVATE = filters.ChatType.PRIVATE & NEW
CHATS = {"private": PRIVATE, "groups": filters.ChatType.GROUPS & NEW, "all": NEW}
# what someone sends in private that is not a command: text or an attachment (an empty or
# service message gets no "I did not understand"); named one by one: PTB's ATTACHMENT filter
# warns on every message with a payment
ATTACHMENT = (filters.PHOTO | filters.Document.ALL | filters.LOCATION | filters.VENUE
              | filters.CONTACT | filters.VOICE | filters.AUDIO | filters.VIDEO
              | filters.VIDEO_NOTE | filters.Sticker.ALL | filters.ANIMATION | filters.POLL
              | filters.Dice.ALL)
FREE = PRIVATE & (filters.TEXT | ATTACHMENT) & ~filters.COMMAND & ~filters.StatusUpdate.ALL


def by_name(features: Sequence[Feature] = FEATURES) -> dict[str, Feature]:
    names = [f.name for f in features]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two features with one name: {names}")
    return {f.name: f for f in features}


def handlers(features: Sequence[Feature] = FEATURES) -> Iterator[BaseHandler[Any, Any, Any]]:
    """Every PTB handler, in the order PTB must try them."""
    from bot.app import InlineButtonHandler, inline_button, legacy_handlers, stale_button

    yield InlineButtonHandler(inline_button)
    for f in features:
        for link in f.deep_links:
            yield CommandHandler("start", run(link.handler), filters=PRIVATE & filters.Regex(
                rf"^/start {re.escape(link.prefix)}"))
    for f in features:
        for command in f.commands:
            yield CommandHandler(command.name, run(command.handler),
                                 filters=CHATS[command.chats])
        for member in f.member_events:
            yield ChatMemberHandler(run(member.handler), ChatMemberHandler.MY_CHAT_MEMBER)
        for event in f.events:
            yield MessageHandler(event.filters, run(event.handler))
    seen: dict[str, str] = {}
    for f in features:
        for on in f.buttons:
            pattern = on.codec.pattern().pattern
            if pattern in seen:
                raise RuntimeError(f"button {pattern} of {f.name} is {seen[pattern]}'s already")
            seen[pattern] = f.name
            yield CallbackQueryHandler(run(on.handler, on.codec), pattern=on.codec.pattern())
    yield from legacy_handlers()
    yield MessageHandler(FREE, run(free_input(features)))
    yield CallbackQueryHandler(stale_button)


def register(app: App, features: Sequence[Feature] = FEATURES) -> None:
    from bot.app import on_error

    for handler in handlers(features):
        app.add_handler(handler)
    app.add_error_handler(on_error)


# --- typed input goes to what was asked -----------------------------------------------------


def free_input(features: Sequence[Feature]) -> Handler:
    """A free private message: to the step the person was last asked for, and only there;
    nobody asked: a short pointer with their menu buttons."""
    inputs = {(f.name, step): handler for f in features for step, handler in f.inputs.items()}

    async def take(call: Call[Any]) -> None:
        if call.person is not None:
            question = await asks.asked(call.session, call.person.id)
            handler = inputs.get((question.feature, question.step)) if question else None
            if handler is not None:
                call.data = question
                await handler(call)
                return
            from bot.app import INPUT_TAKERS  # (until #11 moves every taker to an ask)

            for legacy in INPUT_TAKERS:
                if await legacy(call.update, call.context, call.session, call.person, call._):
                    return
        _staff, markup = await menu_for(call.session, call.person, call._, features)
        await call.message.reply_text(
            call._("I did not understand that. Send /help to see what I can do."),
            reply_markup=markup)

    return take


# --- renderers, effects -----------------------------------------------------------------------


def renderers(features: Sequence[Feature] = FEATURES) -> dict[str, Renderer]:
    """Outbox kind → renderer. Fails at start-up when a kind a model declares has no renderer
    (or two features render one kind), not when the first such message is sent."""
    out: dict[str, Renderer] = {}
    for f in features:
        for kind, renderer in f.renderers.items():
            if kind in out:
                raise RuntimeError(f"outbox kind {kind!r} has two renderers")
            out[kind] = renderer
    missing = declared_kinds() - set(out)
    if missing:
        raise RuntimeError(f"outbox kinds without a renderer: {sorted(missing)}")
    undeclared = set(out) - declared_kinds()
    if undeclared:
        raise RuntimeError(f"renderers for kinds no model declares: {sorted(undeclared)}")
    return out


def shared_kinds(features: Sequence[Feature] = FEATURES) -> set[str]:
    return {kind for f in features for kind in f.shared_renderers}


def effects(features: Sequence[Feature] = FEATURES) -> dict[str, Effect]:
    """Due-item kind → effect; a kind a model schedules without an effect fails here."""
    out: dict[str, Effect] = {}
    for f in features:
        for kind, effect in f.effects.items():
            if kind in out:
                raise RuntimeError(f"due-item kind {kind!r} has two effects")
            out[kind] = effect
    missing = declared_due_kinds() - set(out)
    if missing:
        raise RuntimeError(f"due-item kinds without an effect: {sorted(missing)}")
    return out


# --- menus, help, CLI, routes ---------------------------------------------------------------


def menu_commands(who: str, features: Sequence[Feature] = FEATURES) -> list[MenuCommand]:
    return sorted((c for f in features for c in f.menu if c.who == who),
                  key=lambda c: c.position)


async def menu_for(session: AsyncSession, person: Person | None, _: Translator,
                   features: Sequence[Feature] = FEATURES,
                   ) -> tuple[bool, InlineKeyboardMarkup]:
    """The buttons of what this person can do (and whether they are a manager)."""
    staff = person is not None and await is_manager(session, person.id)
    shown = {"guest"} if person is None else {"resident", "manager"} if staff else {"resident"}
    buttons: list[MenuButton] = sorted((b for f in features for b in f.menu_buttons
                                        if b.who in shown), key=lambda b: b.row)
    rows: dict[int, list[Any]] = {}
    for b in buttons:
        data = b.data(_) if callable(b.data) and not isinstance(b.data, ButtonData) else b.data
        rows.setdefault(b.row, []).append(data.button(_(b.label)))
    return staff, InlineKeyboardMarkup(list(rows.values()))


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser],
            features: Sequence[Feature] = FEATURES) -> None:
    for f in features:
        for command in f.cli:
            command.add(sub)


def routes(features: Sequence[Feature] = FEATURES) -> list[BaseRoute]:
    return [route for f in features for route in f.routes]

