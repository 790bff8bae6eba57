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
         ├─ (bot/waiting.py)  what waits for a new member in each feature, in their welcome
         ├─ add_cli()         `linli` subcommands (bot/cli.py)
         └─ routes()          web routes (bot/webhook.py, bot/sandbox.py)

Below a feature's handlers are its verbs in `models/<feature>` (rules, permissions through
models/permissions.py, audit rows through models/audit.py, outbox rows, one transaction) and
the shared participation parts (models/participation/). A handler never touches SQL.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import hints
from bot.feature import Call, Feature, Handler, MenuCommand, run
from bot.feature import menu_commands as feature_menu_commands
from handlers import (
    account,
    approvals,
    groups,
    notices,
    onboarding,
    places,
    pledges,
    polls,
    reports,
    tags,
    votes,
)
from models import asks
from models.errors import N_, DomainError, StaleButton
from models.outbox import declared_kinds
from models.schedule import declared_due_kinds

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.outbox import Renderer
    from models.schedule import Effect

# Every feature, once. The order is the order of the `linli` subcommands and, where two
# features' handlers could both match an update, whose is tried first (none do today: each
# button pattern is a codec's own, and asked-for input is routed by models/asks.py).
FEATURES: list[Feature] = [
    places.FEATURE,
    account.FEATURE,
    onboarding.FEATURE,
    approvals.FEATURE,
    groups.FEATURE,
    notices.FEATURE,
    tags.FEATURE,
    pledges.FEATURE,
    votes.FEATURE,
    polls.FEATURE,
    reports.FEATURE,
]

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


def ptb_handlers(features: Sequence[Feature] = FEATURES,
                 ) -> Iterator[BaseHandler[Any, Any, Any]]:
    """Every PTB handler, in the order PTB must try them."""
    by_name(features)  # one name each: asked-for input is routed by it
    yield InlineButtonHandler(run(inline_button))
    for f in features:
        for link in f.deep_links:
            yield CommandHandler("start", run(link.handler), filters=PRIVATE & filters.Regex(
                rf"^/start {re.escape(link.prefix)}{link.then}"))
    # every command before any event: an event's filter (a hashtag, a photo) never takes a
    # command, whichever feature comes first
    for f in features:
        for command in f.commands:
            yield CommandHandler(command.name, run(command.handler),
                                 filters=CHATS[command.chats])
    for f in features:
        for member in f.member_events:
            yield ChatMemberHandler(run(member.handler, writing=False),
                                    ChatMemberHandler.MY_CHAT_MEMBER)
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
    yield CallbackQueryHandler(run(hinted_command(features), hints.Do),
                               pattern=hints.Do.pattern())
    yield MessageHandler(FREE, run(free_input(features)))
    yield CallbackQueryHandler(run(stale_button))


def register(app: App, features: Sequence[Feature] = FEATURES) -> None:
    for handler in ptb_handlers(features):
        app.add_handler(handler)


class InlineButtonHandler(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """Matches a button press that carries no message (a message sent in inline mode)."""

    def check_update(self, update: object) -> bool:
        query = update.callback_query if isinstance(update, Update) else None
        return query is not None and query.message is None


class OutsideChat(DomainError):
    message = N_("This button works only in your chat with me. Please open our chat and "
                 "carry on there.")


async def inline_button(call: Call[None]) -> None:
    """A button we cannot act on outside a chat with the bot (a message sent inline)."""
    raise OutsideChat()


async def stale_button(call: Call[None]) -> None:
    """A button no codec knows (old, or forged); data a codec knows but cannot decode gets
    the same answer from `bot.feature.run`."""
    raise StaleButton()


# --- a hint's button does what its command does ---------------------------------------------


def hinted_command(features: Sequence[Feature]) -> Handler:
    """A hint's button (`Do`): run the command's own handler, answering with a new message;
    a command of another kind of chat, or one without a hint, is a stale button."""

    async def do(call: Call[hints.Do]) -> None:
        try:
            command = hints.command(call.data.command, features)
        except KeyError:
            raise StaleButton() from None
        private = call.update.effective_chat is not None and \
            call.update.effective_chat.type == "private"
        if command.chats == ("groups" if private else "private"):
            raise StaleButton()
        call.data, call.fresh = None, True
        await command.handler(call)

    return do


# --- typed input goes to what was asked -----------------------------------------------------


def free_input(features: Sequence[Feature]) -> Handler:
    """A free private message: to the person's newest open question, and only there; none
    open: a short pointer with their menu buttons."""
    inputs = {(f.name, step): handler for f in features for step, handler in f.inputs.items()}

    async def take(call: Call[Any]) -> None:
        if call.person is not None:
            question = await asks.asked(call.session, call.person.id)
            handler = inputs.get((question.feature, question.step)) if question else None
            if handler is not None:
                call.data = question
                await handler(call)
                return
        await call.not_understood()

    return take


# --- renderers, effects -----------------------------------------------------------------------


def _by_kind(features: Sequence[Feature], part: str, what: str, one: str,
             declared: frozenset[str]) -> dict[str, Any]:
    """One feature part (renderers or effects) by kind: each kind once, every declared kind
    present, and none that no model declares."""
    out: dict[str, Any] = {}
    for f in features:
        for kind, value in getattr(f, part).items():
            if kind in out:
                raise RuntimeError(f"{what} kind {kind!r} has two {part}")
            out[kind] = value
    if missing := declared - set(out):
        raise RuntimeError(f"{what} kinds without {one}: {sorted(missing)}")
    if undeclared := set(out) - declared:
        raise RuntimeError(f"{part} for kinds no model declares: {sorted(undeclared)}")
    return out


def renderers(features: Sequence[Feature] = FEATURES) -> dict[str, Renderer]:
    """Outbox kind → renderer. Fails at start-up when a kind a model declares has no renderer
    (or two features render one kind), not when the first such message is sent."""
    return _by_kind(features, "renderers", "outbox", "a renderer", declared_kinds())


def shared_kinds(features: Sequence[Feature] = FEATURES) -> set[str]:
    return {kind for f in features for kind in f.shared_renderers}


def effects(features: Sequence[Feature] = FEATURES) -> dict[str, Effect]:
    """Due-item kind → effect; a kind a model schedules without an effect fails here."""
    return _by_kind(features, "effects", "due-item", "an effect", declared_due_kinds())


# --- menus, help, CLI, routes ---------------------------------------------------------------



def menu_commands(who: str, features: Sequence[Feature] = FEATURES) -> list[MenuCommand]:
    return feature_menu_commands(who, features)


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser],
            features: Sequence[Feature] = FEATURES) -> None:
    for f in features:
        for command in f.cli:
            command.add(sub)


def routes(features: Sequence[Feature] = FEATURES) -> list[BaseRoute]:
    return [route for f in features for route in f.routes]

