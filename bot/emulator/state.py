"""In-memory state of the emulated Telegram: users, chats, messages, updates, files and logs.

``World`` is deliberately free of HTTP: the Bot API routes, the control API, tests and (later) the
sandbox page all act on it directly. Every change bumps ``World.seq`` and wakes everyone waiting in
``wait_change``, and listeners added with ``add_listener`` are called synchronously with a
``Change``, so a page can stream changes and a test can wait for the bot's answer without polling.
Everything the bot sends goes through ``World.check_send`` so Telegram's limits live in one place
(``limits.py``; off unless asked for), and ``World.record_send`` counts what was delivered. What a
user does reaches the bot through ``World.deliver``, which applies group privacy mode (on by
default, as for a new Telegram bot) and the bot's membership of the chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.limits import SENDING_METHODS, Limiter

JSON = dict[str, Any]

# Update types getUpdates delivers when allowed_updates is empty: Telegram's default is every
# type except these three, which a bot must ask for explicitly.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# The bot's own status in a group: the first two can read and send, the last two cannot.
BOT_STATUSES = ("member", "administrator", "left", "kicked")

# Message fields that make a service message, which privacy mode never holds back.
SERVICE_FIELDS = frozenset({
    "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
    "delete_chat_photo", "group_chat_created", "supergroup_chat_created", "channel_chat_created",
    "message_auto_delete_timer_changed", "migrate_to_chat_id", "migrate_from_chat_id",
    "pinned_message", "users_shared", "chat_shared", "write_access_allowed",
    "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
    "video_chat_scheduled", "video_chat_started", "video_chat_ended",
    "video_chat_participants_invited"})


class ApiError(Exception):
    """A Bot API error: answered as ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def is_int(value: Any) -> bool:
    """A JSON integer (Python's bool is an int too, JSON's true is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class Chat:
    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    member_ids: set[int] = field(default_factory=set)
    admin_ids: set[int] = field(default_factory=set)
    next_message_id: int = 1
    messages: dict[int, Message] = field(default_factory=dict)
    menu_button: JSON | None = None
    bot_status: str = "member"  # one of BOT_STATUSES
    kicked_ids: set[int] = field(default_factory=set)
    migrated_to: int | None = None  # a group upgraded to this supergroup
    migrated_from: int | None = None  # a supergroup made from this group

    @property
    def bot_member(self) -> bool:
        return self.bot_status in ("member", "administrator")

    @bot_member.setter
    def bot_member(self, value: bool) -> None:
        # Silently, without the updates members.set_bot_status queues: the bot was removed
        # and never heard of it (or is back).
        self.bot_status = "member" if value else "left"


@dataclass
class Message:
    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[JSON] | None = None
    caption: str | None = None
    caption_entities: list[JSON] | None = None
    parse_mode: str | None = None  # kept when the markup was stored raw (legacy Markdown)
    photo: list[JSON] | None = None
    document: JSON | None = None
    location: JSON | None = None
    reply_markup: JSON | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edits: list[JSON] = field(default_factory=list)
    deleted: bool = False
    pinned: bool = False
    seq: int = 0  # World.seq at this message's last change
    # Bot API fields the emulator does not model, given as they are: service messages
    # (``new_chat_members``, ``migrate_to_chat_id``, …) and the rest of an injected message.
    extra: JSON | None = None


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class Call:
    seq: int
    time: float
    method: str
    chat_id: int | str | None
    ok: bool
    error_code: int | None
    description: str

    def to_json(self) -> JSON:
        return self.__dict__.copy()


@dataclass
class Change:
    """What happened, for listeners: kind is message, edit, delete, update, call or answer."""

    kind: str
    seq: int
    chat_id: int | None = None
    message_id: int | None = None


class World:
    """The whole emulated Telegram, for one bot."""

    def __init__(self, token: str | None = "123456789:emulator-token", *,
                 bot_username: str = "linli_bot", bot_first_name: str = "Linli",
                 privacy_mode: bool = True, clock: Callable[[], float] = time.time,
                 limits: str | Limiter = "off", rate: float | None = None,
                 limits_clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        prefix = (token or "").partition(":")[0]
        self.bot = User(int(prefix) if prefix.isdigit() else 123456789, bot_first_name,
                        username=bot_username, is_bot=True)
        # On by default, as for a new Telegram bot: in groups where it is not an administrator
        # the bot sees only commands, replies to it, mentions of it and service messages.
        self.privacy_mode = privacy_mode
        self.clock = clock
        # Telegram's sending limits: "off", "telegram" or "rate" (with ``rate`` messages/s), or a
        # spec such as "rate=1000"; ``limits_clock`` (monotonic) also times the delivery stats.
        if isinstance(limits, Limiter):
            self.limits = limits
        else:
            self.limits = Limiter(limits, rate, clock=limits_clock)
        self._listeners: list[Callable[[Change], None]] = []
        self._changed = asyncio.Event()
        self.closing = False
        self.polls = 0  # getUpdates requests being answered right now
        self.reset()

    def reset(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.updates: list[JSON] = []
        self.next_update_id = 1
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self.webhook: JSON | None = None
        self.calls: list[Call] = []
        self.callback_answers: dict[str, JSON] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.default_menu_button: JSON = {"type": "commands"}
        self.blocked: set[int] = set()
        self.poll_generation = 0
        self._ids = itertools.count(1)
        self._next_user_id = 100001
        self._next_group_id = 1
        self.seq = 0
        self.limits.clear()
        self.reset_stats()
        self._notify(Change("reset", 0))

    def reset_stats(self) -> None:
        """Zero the delivery counters (``GET /control/stats``)."""
        self.delivered: dict[int, int] = {}  # chat id -> bot messages sent there
        self.total_delivered = 0
        self.paid_delivered = 0  # of which sent with allow_paid_broadcast
        self.rejected_429 = 0
        self.blocked_403 = 0
        self.first_delivery_at: float | None = None  # limits clock (monotonic seconds)
        self.last_delivery_at: float | None = None

    def stats(self) -> JSON:
        return {"delivered": self.delivered, "total_delivered": self.total_delivered,
                "paid_delivered": self.paid_delivered, "rejected_429": self.rejected_429,
                "blocked_403": self.blocked_403, "first_delivery_at": self.first_delivery_at,
                "last_delivery_at": self.last_delivery_at, "now": self.limits.clock(),
                "clock": "monotonic"}

    # -- change notification --------------------------------------------------------------

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.remove(listener)

    def wake(self) -> None:
        """Wake every waiter without recording a change (e.g. a newer getUpdates started)."""
        # A fresh Event per generation: everybody waiting on the old one wakes exactly once.
        old, self._changed = self._changed, asyncio.Event()
        old.set()

    def _notify(self, change: Change) -> None:
        self.wake()
        for listener in list(self._listeners):
            listener(change)

    def changed(self, kind: str, chat_id: int | None = None, message_id: int | None = None) -> int:
        self.seq += 1
        self._notify(Change(kind, self.seq, chat_id, message_id))
        return self.seq

    async def wait_change(self, timeout: float) -> bool:
        """Wait until anything changes (True) or ``timeout`` seconds pass (False)."""
        if self.closing or timeout <= 0:
            return False
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Make every long poll return now (server shutdown)."""
        self.closing = True
        self._notify(Change("close", self.seq))

    # -- users and chats ------------------------------------------------------------------

    def add_user(self, first_name: str, *, id: int | None = None, last_name: str | None = None,
                 username: str | None = None, language_code: str | None = None) -> User:
        user = self._new_user(first_name, id, last_name, username, language_code)
        self.changed("user", user.id)
        return user

    def add_users(self, count: int, *, first_id: int | None = None, first_name: str = "User",
                  language_codes: list[str | None] | None = None) -> list[User]:
        """``count`` users (ids from ``first_id``, or the next free ones) named "User 1", …,
        with their private chats; one change for all. Language codes are used in turn."""
        if count < 0:
            raise ValueError("count must not be negative")
        if first_id is not None and first_id <= 0:
            raise ValueError("user ids are positive")
        languages = language_codes or [None]
        users = [self._new_user(f"{first_name} {n + 1}",
                                None if first_id is None else first_id + n, None, None,
                                languages[n % len(languages)])
                 for n in range(count)]
        self.changed("user")
        return users

    def add_user_list(self, specs: list[JSON]) -> list[User]:
        """Users from dicts like ``{"first_name": "Ann", "id": 7, "language_code": "zh"}``
        (all keys optional), with their private chats; one change for all."""
        users = []
        for spec in specs:
            raw_id = spec.get("id")
            users.append(self._new_user(
                str(spec.get("first_name") or "User"), None if raw_id is None else int(raw_id),
                spec.get("last_name"), spec.get("username"), spec.get("language_code")))
        self.changed("user")
        return users

    def _new_user(self, first_name: str, id: int | None, last_name: str | None,
                  username: str | None, language_code: str | None) -> User:
        if id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            id = self._next_user_id
        if id <= 0:
            raise ValueError("user ids are positive")
        user = User(id, first_name, last_name, username, language_code)
        self.users[id] = user
        chat = self.chats.get(id) or Chat(id, "private")
        chat.member_ids = {id}
        self.chats[id] = chat
        return user

    def add_group(self, title: str, member_ids: list[int], *, type: str = "group",
                  id: int | None = None, admin_ids: list[int] | None = None) -> Chat:
        """A group the bot is already in, silently (``members.create_group`` announces one)."""
        if type not in ("group", "supergroup"):
            raise ValueError("type must be group or supergroup")
        unknown = [uid for uid in member_ids if uid not in self.users]
        if unknown:
            raise ValueError(f"unknown users {unknown}")
        if id is None:
            id = self.new_group_id(type)
        if id >= 0:
            raise ValueError("group ids are negative")
        chat = Chat(id, type, title, set(member_ids), set(admin_ids or ()))
        self.chats[id] = chat
        self.changed("chat", id)
        return chat

    def new_group_id(self, type: str) -> int:
        """The next free id: groups -1, -2, …; supergroups (and channels) -100…1, -100…2, …"""
        base = 0 if type == "group" else -1000000000000
        while base - self._next_group_id in self.chats:
            self._next_group_id += 1
        return base - self._next_group_id

    def chat(self, chat_id: int | str | None) -> Chat:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        try:
            return self.chats[int(chat_id)]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise bad_request("chat not found") from None

    def chat_to_api(self, chat: Chat) -> JSON:
        data: JSON = {"id": chat.id, "type": chat.type}
        if chat.type == "private":
            user = self.users.get(chat.id)
            if user is not None:
                data.update({k: v for k, v in user.to_api().items()
                             if k in ("first_name", "last_name", "username")})
        else:
            data["title"] = chat.title or ""
            if chat.type == "group":
                data["all_members_are_administrators"] = False
        return data

    # -- messages -------------------------------------------------------------------------

    def add_message(self, chat: Chat, from_id: int, *, message_id: int | None = None,
                    date: int | None = None, **content: Any) -> Message:
        """A new message in the chat; ``message_id`` (an injected message's) replaces any
        message of that id, later ids continue after it."""
        message_id = chat.next_message_id if message_id is None else message_id
        message = Message(chat.id, message_id, from_id, from_id == self.bot.id,
                          int(self.clock()) if date is None else date, **content)
        chat.next_message_id = max(chat.next_message_id, message_id + 1)
        chat.messages[message_id] = message
        message.seq = self.changed("message", chat.id, message_id)
        return message

    def message(self, chat: Chat, message_id: int | str | None, missing: str) -> Message:
        try:
            message = chat.messages[int(message_id)]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise bad_request(missing) from None
        if message.deleted:
            raise bad_request(missing)
        return message

    def edit(self, message: Message, **changes: Any) -> bool:
        """Change a message, keeping its earlier version in ``edits``; False (nothing done)
        when every change is what the message already says, as Telegram's "not modified"."""
        if all(getattr(message, key) == value for key, value in changes.items()):
            return False
        message.edits.append({"text": message.text, "entities": message.entities,
                              "caption": message.caption, "location": message.location,
                              "reply_markup": message.reply_markup,
                              "edit_date": message.edit_date})
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = int(self.clock())
        self.touch(message, "edit")
        return True

    def touch(self, message: Message, kind: str) -> None:
        message.seq = self.changed(kind, message.chat_id, message.message_id)

    def message_to_api(self, m: Message, *, with_reply: bool = True) -> JSON:
        chat = self.chats[m.chat_id]
        sender = self.bot if m.from_bot else self.users.get(m.from_id)
        data: JSON = {"message_id": m.message_id, "date": m.date, "chat": self.chat_to_api(chat)}
        if sender is not None:
            data["from"] = sender.to_api()
        if m.extra:
            data.update((k, v) for k, v in m.extra.items() if k not in data)
        for key in ("text", "entities", "caption", "caption_entities", "photo", "document",
                    "location", "edit_date"):
            value = getattr(m, key)
            if value is not None:
                data[key] = value
        # Only inline keyboards are part of a Message; reply keyboards live on the client.
        if m.reply_markup and "inline_keyboard" in m.reply_markup:
            data["reply_markup"] = m.reply_markup
        if with_reply and m.reply_to_message_id in chat.messages:
            replied = chat.messages[m.reply_to_message_id]  # type: ignore[index]
            data["reply_to_message"] = self.message_to_api(replied, with_reply=False)
        return data

    def message_to_control(self, m: Message) -> JSON:
        data = self.message_to_api(m, with_reply=False)
        data.update(from_bot=m.from_bot, deleted=m.deleted, pinned=m.pinned, seq=m.seq,
                    edits=m.edits, reply_to_message_id=m.reply_to_message_id,
                    reply_markup=m.reply_markup, parse_mode=m.parse_mode)
        return data

    # -- sending limits -------------------------------------------------------------------

    def check_access(self, chat: Chat, access: str = "write") -> None:
        """Refuse what the bot may not do in a group, in the Bot API server's words.

        ``access`` is ``read`` (getChat), ``members`` (member lists and counts), ``edit`` or
        ``write``. A group upgraded to a supergroup answers 400 with ``migrate_to_chat_id``
        (PTB raises ``ChatMigrated``) except for reading; a group the bot left or was kicked
        from answers 403 except for reading, a supergroup even then.
        """
        if chat.type == "private":
            return
        if chat.migrated_to is not None and access != "read":
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat.migrated_to})
        if chat.bot_member or (chat.type == "group" and access == "read"):
            return
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def check_send(self, chat: Chat, method: str, *, paid: bool = False) -> None:
        """Refuse a bot message the way Telegram would; every sending (and editing) method
        calls this. Only ``limits.SENDING_METHODS`` count against the rate limits and the stats;
        ``paid`` (``allow_paid_broadcast``) uses the 1,000/s overall limit instead of 30/s.
        A method that then sends calls ``record_send``."""
        counted = method in SENDING_METHODS
        if chat.type == "private" and chat.id in self.blocked:
            self.blocked_403 += counted
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        try:
            self.check_access(chat, "write")
        except ApiError as error:
            self.blocked_403 += counted and error.code == 403
            raise
        if counted and self.limits.enabled:
            retry_after = self.limits.retry_after(chat.id, chat.type == "private", paid)
            if retry_after:
                self.rejected_429 += 1
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                               {"retry_after": retry_after})

    def record_send(self, chat: Chat, method: str, *, paid: bool = False) -> None:
        """Count a bot message that ``check_send`` allowed and that is now in the chat."""
        if method not in SENDING_METHODS:
            return
        now = self.limits.clock()
        self.limits.record(chat.id, chat.type == "private", paid, now)
        if self.first_delivery_at is None:
            self.first_delivery_at = now
        self.last_delivery_at = now
        self.delivered[chat.id] = self.delivered.get(chat.id, 0) + 1
        self.total_delivered += 1
        self.paid_delivered += paid

    # -- updates --------------------------------------------------------------------------

    def reaches_bot(self, chat: Chat, message: Message) -> bool:
        """Whether Telegram would pass this user's message to the bot (privacy mode)."""
        if chat.type == "private":
            return True
        if not chat.bot_member or chat.migrated_to is not None:
            return False
        if message.extra and not SERVICE_FIELDS.isdisjoint(message.extra):
            return True
        if not self.privacy_mode or chat.bot_status == "administrator" or chat.type == "channel":
            return True
        text = message.text if message.text is not None else message.caption or ""
        entities = (message.entities if message.text is not None
                    else message.caption_entities) or []
        command = next((e for e in entities if isinstance(e, dict)
                        and e.get("type") == "bot_command" and e.get("offset") == 0
                        and is_int(e.get("length"))), None)
        if command is not None:
            # Only the leading command counts; /cmd@other_bot is for another bot.
            addressee = text[:command["length"]].partition("@")[2]
            return not addressee or addressee.lower() == (self.bot.username or "").lower()
        replied = chat.messages.get(message.reply_to_message_id or 0)
        if replied is not None and replied.from_bot:
            return True
        mentioned = any(isinstance(e, dict) and e.get("type") == "text_mention"
                        and isinstance(e.get("user"), dict) and e["user"].get("id") == self.bot.id
                        for e in entities)
        return mentioned or f"@{self.bot.username}".lower() in text.lower()

    def deliver(self, chat: Chat, message: Message, kind: str = "message") -> int | None:
        """Queue ``message`` (new, or edited with ``kind="edited_message"``) for the bot if
        Telegram would pass it on; the update id, or None."""
        if not self.reaches_bot(chat, message):
            return None
        return self.enqueue({kind: self.message_to_api(message)})

    def enqueue(self, update: JSON) -> Any:
        """Queue an update for the bot; assigns ``update_id`` when missing. Returns the id:
        an integer, unless a caller queued an update whose id is not one (kept as it is)."""
        if "update_id" in update:
            if is_int(update["update_id"]):
                self.next_update_id = max(self.next_update_id, update["update_id"] + 1)
        else:
            update = {"update_id": self.next_update_id, **update}
            self.next_update_id += 1
        kinds = set(update) - {"update_id"}
        allowed = self.allowed_updates
        if allowed is None:
            wanted = not kinds or bool(kinds - OPT_IN_UPDATE_TYPES)
        else:
            wanted = not kinds or bool(kinds & allowed)
        if wanted:
            self.updates.append(update)
        self.changed("update")
        return update["update_id"]

    def acknowledge(self, offset: int) -> None:
        if offset < 0:
            self.updates = self.updates[offset:]
            return
        # The queue is in order, so an update whose id is not an integer (only a direct
        # enqueue makes one) goes with the next acknowledged update after it, and an offset
        # never has to be compared with it.
        done = [i for i, u in enumerate(self.updates)
                if is_int(u.get("update_id")) and u["update_id"] < offset]
        rest = self.updates[done[-1] + 1:] if done else self.updates
        self.updates = [u for u in rest
                        if not (is_int(u.get("update_id")) and u["update_id"] < offset)]

    # -- files ----------------------------------------------------------------------------

    def add_file(self, data: bytes, kind: str, *, file_name: str | None = None,
                 mime_type: str | None = None) -> FileRecord:
        n = next(self._ids)
        suffix = (file_name or "").rpartition(".")[2] if file_name and "." in file_name else (
            "jpg" if kind == "photos" else "bin")
        record = FileRecord(f"emu-{kind}-{n}", f"emu-u{n}", f"{kind}/file_{n}.{suffix}", data,
                            file_name, mime_type)
        self.files[record.file_id] = record
        self.files_by_path[record.file_path] = record
        return record

    def file_by_path(self, path: str) -> FileRecord | None:
        return self.files_by_path.get(path)

    # -- logs -----------------------------------------------------------------------------

    def log_call(self, method: str, chat_id: int | str | None, error: ApiError | None,
                 description: str = "") -> None:
        call = Call(len(self.calls) + 1, self.clock(), method, chat_id, error is None,
                    error.code if error else None, error.description if error else description)
        self.calls.append(call)
        self.changed("call", chat_id if isinstance(chat_id, int) else None)

    def new_callback_query_id(self) -> str:
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self.expect_answer(query_id)
        return query_id

    def expect_answer(self, query_id: str) -> None:
        """Make a callback query answerable once (a press, or an injected query)."""
        self.callback_answers.setdefault(
            query_id, {"answered": False, "text": None, "show_alert": False})

    # -- commands -------------------------------------------------------------------------

    @staticmethod
    def scope_key(scope: JSON | None) -> str:
        scope = dict(scope or {"type": "default"})
        for key in ("chat_id", "user_id"):
            if key in scope and str(scope[key]).lstrip("-").isdigit():
                scope[key] = int(scope[key])
        return json.dumps(scope, sort_keys=True)

    def visible_commands(self, chat_id: int, language_code: str | None,
                         user_id: int | None = None) -> list[JSON]:
        """Commands a user sees in a chat, resolved in Telegram's documented order."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            scopes = [{"type": "chat", "chat_id": chat_id}, {"type": "all_private_chats"}]
        else:
            if user_id is None and len(chat.member_ids) == 1:
                user_id = next(iter(chat.member_ids))
            admin = user_id in chat.admin_ids
            scopes = [{"type": "chat_member", "chat_id": chat_id, "user_id": user_id}]
            if admin:
                scopes.append({"type": "chat_administrators", "chat_id": chat_id})
            scopes.append({"type": "chat", "chat_id": chat_id})
            if admin:
                scopes.append({"type": "all_chat_administrators"})
            scopes.append({"type": "all_group_chats"})
        scopes.append({"type": "default"})
        for scope in scopes:
            for lang in ([language_code] if language_code else []) + [""]:
                found = self.commands.get((self.scope_key(scope), lang))
                if found:
                    return found
        return []
