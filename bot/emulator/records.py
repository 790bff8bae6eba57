"""The records the emulated Telegram is made of: users, chats, messages, files, the call log and
the changes listeners hear about, plus the Bot API error every layer raises (``ApiError``).

Plain dataclasses with no behaviour beyond their own JSON; ``World`` (``state.py``) holds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

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


def is_int(value: Any) -> TypeGuard[int]:
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

