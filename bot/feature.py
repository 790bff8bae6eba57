"""What a feature declares, and the `Call` every one of its handlers receives.

A feature (pledges, notices, votes …) is one `Feature` value in `handlers/<feature>`: its
commands, its buttons (each a typed codec from `bot/buttons.py` with the handler it opens), the
input it may ask for, the messages it takes as events without asking, its outbox renderers, its
due-item effects, its menu entries and help lines, its `linli` subcommands and web routes.
`bot/registry.py` lists the features and wires them; nothing else names a feature by hand.

A handler is `async def handler(call: Call[Data]) -> None`. The wiring has already decoded the
button (stale or forged data never reaches it), opened a database session, found the
registered person and their language; a `DomainError` raised anywhere below is answered in
that language. So a handler only parses what is left, calls one verb, and renders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from bot import hints
from bot.buttons import ButtonData, relabelled
from bot.deps import Deps, deps
from bot.i18n import Translator, from_telegram, tr
from bot.waiting import Waiting
from models.errors import DomainError, NotAllowed, NotRegistered
from models.people import Person, person_by_telegram, person_seen
from models.permissions import is_manager
from models.telegram_limits import ALERT, shorten

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.config import Settings
    from bot.outbox import Renderer
    from models.schedule import Effect

log = logging.getLogger(__name__)
D = TypeVar("D")
# The session as handlers and renderers see it: an opaque handle they pass to verbs and
# queries in models/ (handlers never import SQLAlchemy themselves).
Session = AsyncSession


@dataclass
class Call(Generic[D]):
    """One update, ready for a handler: who sent it, in which language, over which session,
    and what their button (or the question they answered) said."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    session: AsyncSession
    person: Person | None
    _: Translator
    data: D
    answered: bool = False
    # a command run from a hint's button: answer with a new message, as the command would
    fresh: bool = False

    @property
    def deps(self) -> Deps:
        return deps(self.context)

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def tz(self) -> dt.tzinfo:
        """The community's time zone."""
        return self.settings.tz

    @property
    def me(self) -> Person:
        """The registered sender; not registered yet raises NotRegistered (answered)."""
        if self.person is None:
            raise NotRegistered()
        return self.person

    @property
    def actor(self) -> Person:
        """The registered sender, for what only a role holder may do: anyone else is told
        they may not (NotAllowed), not how to join; the verb then checks the role itself."""
        if self.person is None:
            raise NotAllowed()
        return self.person

    @property
    def chat_id(self) -> int:
        return self.update.effective_chat.id  # type: ignore[union-attr]

    @property
    def message(self) -> Message:
        """The message sent (for a command or typed input)."""
        return self.update.effective_message  # type: ignore[return-value]

    @property
    def is_button(self) -> bool:
        return self.update.callback_query is not None

    def wake_outbox(self) -> None:
        """Something was queued for sending: tell the outbox sender now."""
        self.deps.wake_outbox()

    async def toast(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the button press (stops its spinner), with a short note if given."""
        if self.update.callback_query is not None and not self.answered:
            self.answered = True
            await self.update.callback_query.answer(shorten(text, ALERT) if text else None,
                                                    show_alert=alert)

    async def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace the pressed message's text and buttons (no error if nothing changed)."""
        try:
            await self.update.callback_query.edit_message_text(  # type: ignore[union-attr]
                text, reply_markup=markup, parse_mode=ParseMode.HTML)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise

    async def mark(self, label: str) -> None:
        """Leave a lasting mark on a one-time action: the pressed button is relabelled
        ("✅ Got it · 1 Dec"), keeping its data, so pressing it again is harmless; the other
        buttons of the message stay. An edit, so no database work and no send budget."""
        query = self.update.callback_query
        message = query.message if query is not None else None
        markup = getattr(message, "reply_markup", None)
        marked = relabelled(markup, query.data, label) if query is not None else None
        if query is None or marked is None:
            return  # (a forged press names a button the message does not have)
        try:
            await query.edit_message_reply_markup(marked)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise

    async def reply(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Send a new message to this chat (a command's answer replies to it, so it lands in
        the same forum topic)."""
        if not self.is_button and self.update.effective_message is not None:
            await self.update.effective_message.reply_text(text, reply_markup=markup,
                                                           parse_mode=ParseMode.HTML)
            return
        await self.context.bot.send_message(self.chat_id, text, reply_markup=markup,
                                            parse_mode=ParseMode.HTML)

    async def show(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Show in place of the pressed message, or as a new message for a command or input."""
        if self.is_button and not self.fresh:
            await self.edit(text, markup)
        else:
            await self.reply(text, markup)

    async def menu(self) -> tuple[bool, InlineKeyboardMarkup | None]:
        """Whether the sender is a manager, and the buttons of what they can do here."""
        return await menu_for(self.session, self.person, self._, self.deps.features)

    async def not_understood(self) -> None:
        """A message nobody asked for: the pointer to /help, with the menu's buttons."""
        _staff, markup = await self.menu()
        text = self._("I did not understand that. Send /help to see what I can do.")
        await self.message.reply_text(text, reply_markup=hints.for_text(self._, text, markup))

    async def send_document(self, payload: bytes, filename: str, caption: str) -> None:
        await self.context.bot.send_document(self.chat_id, InputFile(payload, filename=filename),
                                             caption=caption)

    async def send_photo(self, photo: bytes | str, caption: str | None = None,
                         filename: str = "image.png") -> None:
        sent = InputFile(photo, filename=filename) if isinstance(photo, bytes) else photo
        await self.context.bot.send_photo(self.chat_id, sent, caption=caption)


Handler = Callable[[Call[Any]], Awaitable[None]]


# --- what a feature declares ----------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """`/name` in a private chat, a group, or both (the handler decides what a sender who has
    not joined yet sees: `call.me` raises NotRegistered, answered with how to join)."""

    name: str
    handler: Handler
    chats: Literal["private", "groups", "all"] = "private"
    # the label of the button that does the same (an N_() id): a text naming `/name` gets it
    hint: str = ""


@dataclass(frozen=True)
class On:
    """A button: presses whose data this codec decodes open `handler` with the decoded data."""

    codec: type[ButtonData]
    handler: Handler


@dataclass(frozen=True)
class DeepLink:
    """`/start <prefix>…` from a poster or a link: opens `handler` instead of joining."""

    prefix: str
    handler: Handler
    then: str = ""  # a regex the rest must start with (pledge_ links: a digit)


@dataclass(frozen=True)
class Event:
    """Messages a feature takes without having asked (a `#report` photo in a bound group, a
    location shared while on duty, a group's migration): matched before any asked-for input."""

    filters: filters.BaseFilter
    handler: Handler


@dataclass(frozen=True)
class MemberEvent:
    """Changes of the bot's own membership of a chat (added, removed, made admin)."""

    handler: Handler


@dataclass(frozen=True)
class MenuCommand:
    """A command in the "/" menu and in /help: for residents, managers, or groups; `position`
    orders the menu across features."""

    name: str
    description: str  # an N_() message id
    who: Literal["resident", "manager", "group"]
    position: int


@dataclass(frozen=True)
class MenuButton:
    """A button of the /help menu; buttons with the same `row` share a row."""

    label: str  # an N_() message id
    data: ButtonData | Callable[[Translator], ButtonData]  # (by the reader's language)
    who: Literal["guest", "resident", "manager"]
    row: int


@dataclass(frozen=True)
class CliCommand:
    """A `linli` subcommand: `add(subparsers)` adds its parser, with `set_defaults(run=…)`."""

    add: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: Sequence[Command] = ()
    buttons: Sequence[On] = ()
    deep_links: Sequence[DeepLink] = ()
    # step name (as its verbs record it with models.asks.ask) → the handler for the answer;
    # that handler's call.data is the Ask row
    inputs: Mapping[str, Handler] = field(default_factory=dict)
    events: Sequence[Event] = ()
    member_events: Sequence[MemberEvent] = ()
    renderers: Mapping[str, Renderer] = field(default_factory=dict)
    shared_renderers: frozenset[str] = frozenset()  # kinds rendered once per batch
    effects: Mapping[str, Effect] = field(default_factory=dict)
    menu: Sequence[MenuCommand] = ()
    menu_buttons: Sequence[MenuButton] = ()
    cli: Sequence[CliCommand] = ()
    routes: Sequence[BaseRoute] = ()
    waiting: Waiting | None = None


# --- running a handler ----------------------------------------------------------------------


def guess_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    user = update.effective_user
    return from_telegram(user.language_code if user else None,
                         deps(context).settings.default_language)


async def who(session: AsyncSession, update: Update, context: ContextTypes.DEFAULT_TYPE, *,
              writing: bool = True) -> tuple[Person | None, Translator]:
    """The registered person sending this update (None if not registered) and their language.
    `writing`: the update is the person writing to the bot (so they are reachable again); a
    member update (blocked, left) is not."""
    user = update.effective_user
    if user is None:
        person = None
    elif writing:
        person = await person_seen(session, user.id)
    else:
        person = await person_by_telegram(session, user.id)
        person = person if person is not None and person.consent_at is not None else None
    language = person.language if person else guess_language(update, context)
    return person, tr(language, deps(context).settings.tz)


def translate_error(error: DomainError, _: Translator) -> str:
    """The error in the person's language; values are escaped, since answers are HTML, and
    a moment or a day reads as every other date does (`Translator.when`, `.day`)."""
    return _.gettext(error.message, **{k: _shown(v, _) for k, v in error.params.items()})


def _shown(value: object, _: Translator) -> object:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dt.datetime):
        return _.when(value, zone=True)
    if isinstance(value, dt.date):
        return _.day(value)
    return value


async def tell(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
               _: Translator) -> None:
    """Answer a button press with an alert, or a message with a reply. A text that names a
    command comes with its button: after a press in a private chat, as a message below (a
    toast has none; in a group the alert stays the person's own, not a message to all)."""
    chat, markup = update.effective_chat, hints.for_text(_, text)
    if update.callback_query is not None:
        if markup is None or chat is None or chat.type != "private":
            await update.callback_query.answer(shorten(text, ALERT), show_alert=True)
            return
        await update.callback_query.answer(shorten(text, ALERT))
        await context.bot.send_message(chat.id, text, reply_markup=markup,
                                       parse_mode=ParseMode.HTML)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=markup,
                                                  parse_mode=ParseMode.HTML)


def run(handler: Handler, codec: type[ButtonData] | None = None, *, writing: bool = True,
        ) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """The PTB callback around a handler: decode, open the session, find the person, call,
    answer the press, and turn a DomainError into a translated answer."""

    @functools.wraps(handler)
    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with deps(context).db.session() as session:
            person, _ = await who(session, update, context, writing=writing)
            call: Call[Any] = Call(update, context, session, person, _, None)
            try:
                if codec is not None:
                    call.data = codec.decode(update.callback_query.data)  # type: ignore
                await handler(call)
            except DomainError as error:
                await session.rollback()
                text = translate_error(error, _)
                if not call.answered:
                    call.answered = True
                    await tell(update, context, text, _)
                elif update.effective_chat is not None:  # the press was answered already
                    chat = update.effective_chat
                    await context.bot.send_message(
                        chat.id, text, parse_mode=ParseMode.HTML,
                        reply_markup=hints.for_text(_, text) if chat.type == "private" else None)
                return
            await call.toast()

    return callback


# --- menus ----------------------------------------------------------------------------------


def menu_commands(who: str, features: Sequence[Feature]) -> list[MenuCommand]:
    """The commands of the "/" menu and /help for residents, managers or groups, in order."""
    return sorted((c for f in features for c in f.menu if c.who == who),
                  key=lambda c: c.position)


async def menu_for(session: AsyncSession, person: Person | None, _: Translator,
                   features: Sequence[Feature]) -> tuple[bool, InlineKeyboardMarkup | None]:
    """The buttons of what this person can do (and whether they are a manager)."""
    staff = person is not None and await is_manager(session, person.id)
    shown = {"guest"} if person is None else {"resident", "manager"} if staff else {"resident"}
    buttons = sorted((b for f in features for b in f.menu_buttons if b.who in shown),
                     key=lambda b: b.row)
    rows: dict[int, list[Any]] = {}
    for b in buttons:
        data = b.data if isinstance(b.data, ButtonData) else b.data(_)
        rows.setdefault(b.row, []).append(data.button(_(b.label)))
    return staff, InlineKeyboardMarkup(list(rows.values())) if rows else None
