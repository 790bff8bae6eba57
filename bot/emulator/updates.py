"""Raw updates injected through ``POST /control/updates`` entering the world like real ones.

The update itself is always delivered exactly as given (fuzzing the bot is the point of
injecting), but what it says also happens in the world when it is well-formed: a message joins
its chat's transcript (creating the user and the chat if unknown), so the bot can reply to it or
edit around it, and a callback query becomes answerable. Anything malformed is simply not
absorbed; nothing here raises on strange input.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.members import status_of
from bot.emulator.state import BOT_STATUSES, JSON, Chat, Message, User, World, is_int

MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
CHAT_TYPES = ("private", "group", "supergroup", "channel")

_ENVELOPE = {"message_id", "date", "chat", "from", "reply_to_message", "edit_date"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _entities(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(e, dict) and isinstance(e.get("type"), str) and is_int(e.get("offset"))
        and is_int(e.get("length")) for e in value)


def _file(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("file_id"), str)


# Message fields the transcript models itself (Message attributes), each kept only when it has
# the shape the control view and the sandbox page rely on; every other field goes to
# Message.extra as it is.
_MODELED: dict[str, Any] = {
    "text": lambda v: isinstance(v, str),
    "entities": _entities,
    "caption": lambda v: isinstance(v, str),
    "caption_entities": _entities,
    "photo": lambda v: isinstance(v, list) and bool(v) and all(_file(size) for size in v),
    "document": _file,
    "location": lambda v: isinstance(v, dict) and _is_number(v.get("latitude"))
    and _is_number(v.get("longitude")),
    "reply_markup": lambda v: isinstance(v, dict) and isinstance(v.get("inline_keyboard"), list)
    and all(isinstance(row, list) and all(isinstance(b, dict) and isinstance(b.get("text"), str)
                                          for b in row) for row in v["inline_keyboard"]),
}


def absorb(world: World, update: JSON) -> None:
    """Let a well-formed injected update change the world; ignore what is malformed."""
    for kind in MESSAGE_KINDS:
        raw = update.get(kind)
        if isinstance(raw, dict):
            _absorb_message(world, raw, edited=kind.startswith("edited_"))
    for kind in ("my_chat_member", "chat_member"):
        raw = update.get(kind)
        if isinstance(raw, dict):
            _absorb_member(world, raw)
    query = update.get("callback_query")
    if isinstance(query, dict):
        query_id = query.get("id")
        # PTB answers with str(id), so an integer id (malformed but harmless) is found too.
        if (isinstance(query_id, str) and query_id) or is_int(query_id):
            world.expect_answer(str(query_id))


def _user(world: World, raw: Any) -> User | None:
    """The known user, created from a well-formed ``from`` if new; None when malformed."""
    if not isinstance(raw, dict) or not is_int(raw.get("id")) or raw["id"] <= 0:
        return None
    if raw["id"] == world.bot.id:
        return world.bot
    known = world.users.get(raw["id"])
    if known is not None:
        return known
    if raw.get("is_bot") is True or not isinstance(raw.get("first_name"), str):
        return None
    names = {k: raw.get(k) if isinstance(raw.get(k), str) else None
             for k in ("last_name", "username", "language_code")}
    return world.add_user(raw["first_name"], id=raw["id"], **names)


def _chat(world: World, raw: Any, sender: User | None) -> Chat | None:
    if not (isinstance(raw, dict) and is_int(raw.get("id")) and raw.get("type") in CHAT_TYPES):
        return None
    chat_id, chat_type = raw["id"], raw["type"]
    if (chat_type == "private") != (chat_id > 0):
        return None
    chat = world.chats.get(chat_id)
    if chat is not None:
        return chat if chat.type == chat_type else None  # contradicts the world: deliver only
    if chat_type == "private":
        if sender is not None and sender.id == chat_id:
            return world.chats[chat_id]  # _user created the user with their private chat
        if not isinstance(raw.get("first_name"), str):
            return None
        world.add_user(raw["first_name"], id=chat_id)
        return world.chats[chat_id]
    title = raw.get("title") if isinstance(raw.get("title"), str) else None
    chat = Chat(chat_id, chat_type, title)
    world.chats[chat_id] = chat
    world.changed("chat", chat_id)
    return chat


def _absorb_message(world: World, raw: JSON, *, edited: bool) -> None:
    message_id = raw.get("message_id")
    if not is_int(message_id) or message_id <= 0:
        return
    sender = _user(world, raw.get("from"))
    if sender is world.bot:
        return  # Telegram never sends a bot its own messages; keep the transcript truthful
    chat = _chat(world, raw.get("chat"), sender)
    if chat is None:
        return
    if sender is not None and chat.type in ("group", "supergroup"):
        chat.member_ids.add(sender.id)  # whoever writes in a group is in it
        chat.kicked_ids.discard(sender.id)
    content: dict[str, Any] = {key: raw[key] for key, valid in _MODELED.items()
                               if key in raw and valid(raw[key])}
    extra = {k: v for k, v in raw.items() if k not in _MODELED and k not in _ENVELOPE}
    replied = raw.get("reply_to_message")
    if isinstance(replied, dict) and is_int(replied.get("message_id")) \
            and replied["message_id"] in chat.messages:
        content["reply_to_message_id"] = replied["message_id"]
    _membership(world, chat, extra)
    existing = chat.messages.get(message_id)
    if edited and existing is not None:
        _edit(world, existing, content, raw.get("edit_date"))
        return
    date = raw["date"] if is_int(raw.get("date")) else None
    if is_int(raw.get("edit_date")):
        content["edit_date"] = raw["edit_date"]
    world.add_message(chat, sender.id if sender is not None else 0, message_id=message_id,
                      date=date, extra=extra or None, **content)


def _edit(world: World, message: Message, content: dict[str, Any], edit_date: Any) -> None:
    message.edits.append({"text": message.text, "entities": message.entities,
                          "caption": message.caption, "reply_markup": message.reply_markup,
                          "edit_date": message.edit_date})
    for key in _MODELED:
        setattr(message, key, content.get(key))
    message.edit_date = edit_date if is_int(edit_date) else int(world.clock())
    world.touch(message, "edit")


def _membership(world: World, chat: Chat, extra: JSON) -> None:
    """Service messages that say who joined or left change the members too."""
    if chat.type not in ("group", "supergroup"):
        return
    joined = extra.get("new_chat_members")
    for raw in joined if isinstance(joined, list) else []:
        user = _user(world, raw)
        if user is world.bot:
            chat.bot_status = "member" if not chat.bot_member else chat.bot_status
        elif user is not None:
            chat.member_ids.add(user.id)
            chat.kicked_ids.discard(user.id)
    user = _user(world, extra.get("left_chat_member"))
    if user is world.bot:
        chat.bot_status = "left"
    elif user is not None:
        chat.member_ids.discard(user.id)
        chat.admin_ids.discard(user.id)


def _absorb_member(world: World, raw: JSON) -> None:
    """A ChatMemberUpdated about a known group: the member's (or the bot's) new status."""
    chat_raw, new = raw.get("chat"), raw.get("new_chat_member")
    if not (isinstance(chat_raw, dict) and isinstance(new, dict)):
        return
    chat_id = chat_raw.get("id")
    chat = world.chats.get(chat_id) if is_int(chat_id) else None
    status = "administrator" if new.get("status") == "creator" else new.get("status")
    if chat is None or chat.type not in ("group", "supergroup") or status not in BOT_STATUSES:
        return
    user = _user(world, new.get("user"))
    if user is world.bot:
        chat.bot_status = status
    elif user is not None and status != status_of(chat, user.id):
        chat.member_ids.discard(user.id)
        chat.admin_ids.discard(user.id)
        chat.kicked_ids.discard(user.id)
        if status in ("member", "administrator"):
            chat.member_ids.add(user.id)
        if status == "administrator":
            chat.admin_ids.add(user.id)
        if status == "kicked":
            chat.kicked_ids.add(user.id)
    else:
        return
    world.changed("chat", chat.id)
