"""Who is in a group, as Telegram tells a bot: joins, leaves, the bot's own status, migration.

Each change writes what a Telegram client would show into the transcript (service messages such
as ``new_chat_members`` or ``migrate_to_chat_id``, delivered to the bot like any message) and
queues the chat member updates Telegram sends: ``my_chat_member`` whenever the bot's own status
changes, and ``chat_member`` for other people only where the bot is an administrator (and, being
opt-in, only when the bot asked for it in ``allowed_updates``). The control API and tests call
these functions; ``World`` itself stays a store.
"""

from __future__ import annotations

from bot.emulator.state import BOT_STATUSES, JSON, Chat, User, World

# The rights an administrator holds in the emulator: all of them (Telegram's ChatMember fields).
ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info",
                "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories", "can_pin_messages")


class MemberError(ValueError):
    """A membership change the emulated Telegram cannot make (answered 400 by the control API)."""


def status_of(chat: Chat, user_id: int) -> str:
    if user_id in chat.admin_ids and user_id in chat.member_ids:
        return "administrator"
    if user_id in chat.member_ids:
        return "member"
    return "kicked" if user_id in chat.kicked_ids else "left"


def member_json(user: User, status: str) -> JSON:
    """A ChatMember object for ``user`` with ``status``."""
    member: JSON = {"user": user.to_api(), "status": status}
    if status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False, **dict.fromkeys(ADMIN_RIGHTS, True))
    elif status == "kicked":
        member["until_date"] = 0  # banned for ever
    return member


def actor(world: World, chat: Chat, by_user_id: int | None) -> User:
    """Who makes a change: ``by_user_id`` (a member of the chat), else the first administrator,
    else the first member."""
    if by_user_id is None:
        ids = sorted(chat.admin_ids & chat.member_ids) or sorted(chat.member_ids)
        if not ids:
            raise MemberError(f"chat {chat.id} has no members; give by_user_id")
        by_user_id = ids[0]
    user = world.users.get(by_user_id)
    if user is None:
        raise MemberError(f"unknown user {by_user_id}")
    if by_user_id not in chat.member_ids:
        raise MemberError(f"user {by_user_id} is not a member of chat {chat.id}")
    return user


def _member_updated(world: World, chat: Chat, by: User, old: JSON, new: JSON) -> JSON:
    return {"chat": world.chat_to_api(chat), "from": by.to_api(), "date": int(world.clock()),
            "old_chat_member": old, "new_chat_member": new}


def _service(world: World, chat: Chat, by: User, **fields: object) -> int | None:
    """A service message from ``by`` in the transcript, delivered if the bot is there."""
    message = world.add_message(chat, by.id, extra=dict(fields))
    return world.deliver(chat, message)


def _open(chat: Chat) -> None:
    if chat.type == "private":
        raise MemberError("private chats have no members to change")
    if chat.migrated_to is not None:
        raise MemberError(f"chat {chat.id} was upgraded to supergroup {chat.migrated_to}")


def create_group(world: World, title: str, member_ids: list[int], *, type: str = "group",
                 id: int | None = None, admin_ids: list[int] | None = None) -> Chat:
    """A new group with the bot in it, announced as Telegram does: ``my_chat_member`` (left →
    member) from the creator, the first member, then the service message (``group_chat_created``;
    a supergroup cannot be created with a bot in it, so there the bot joins just after)."""
    chat = world.add_group(title, member_ids, type=type, id=id, admin_ids=admin_ids)
    if not member_ids:
        return chat  # nobody to have created it: nothing to announce
    creator = world.users[member_ids[0]]
    world.enqueue({"my_chat_member": _member_updated(
        world, chat, creator, member_json(world.bot, "left"),
        member_json(world.bot, chat.bot_status))})
    if type == "group":
        _service(world, chat, creator, group_chat_created=True)
    else:
        _service(world, chat, creator, new_chat_members=[world.bot.to_api()])
    return chat


def set_bot_status(world: World, chat: Chat, status: str,
                   by_user_id: int | None = None) -> int:
    """The bot is added (member), promoted or demoted (administrator / member), removed (left)
    or banned (kicked) by a member; returns the ``my_chat_member`` update's id."""
    _open(chat)
    if status not in BOT_STATUSES:
        raise MemberError(f"status must be one of {', '.join(BOT_STATUSES)}")
    old = chat.bot_status
    if status == old:
        raise MemberError(f"the bot is already {status} in chat {chat.id}")
    by = actor(world, chat, by_user_id)
    chat.bot_status = status
    world.changed("chat", chat.id)
    update_id = world.enqueue({"my_chat_member": _member_updated(
        world, chat, by, member_json(world.bot, old), member_json(world.bot, status))})
    was_in, is_in = old in ("member", "administrator"), chat.bot_member
    if is_in and not was_in:
        _service(world, chat, by, new_chat_members=[world.bot.to_api()])
    elif was_in and not is_in:
        _service(world, chat, by, left_chat_member=world.bot.to_api())  # the bot no longer sees
    return update_id


def _chat_member(world: World, chat: Chat, by: User, user: User, old: str, new: str) -> None:
    # chat_member updates about other people reach only a bot that administers the chat.
    if chat.bot_status == "administrator":
        world.enqueue({"chat_member": _member_updated(
            world, chat, by, member_json(user, old), member_json(user, new))})


def join(world: World, chat: Chat, user_id: int, by_user_id: int | None = None) -> None:
    """``user_id`` joins (by link, or added by ``by_user_id``, a member)."""
    _open(chat)
    user = world.users.get(user_id)
    if user is None:
        raise MemberError(f"unknown user {user_id}")
    if user_id in chat.member_ids:
        raise MemberError(f"user {user_id} is already a member of chat {chat.id}")
    by = user if by_user_id in (None, user_id) else actor(world, chat, by_user_id)
    old = status_of(chat, user_id)
    chat.member_ids.add(user_id)
    chat.kicked_ids.discard(user_id)
    world.changed("chat", chat.id)
    _chat_member(world, chat, by, user, old, status_of(chat, user_id))
    _service(world, chat, by, new_chat_members=[user.to_api()])


def leave(world: World, chat: Chat, user_id: int, by_user_id: int | None = None) -> None:
    """``user_id`` leaves, or is removed (kicked) by ``by_user_id``, another member."""
    _open(chat)
    user = world.users.get(user_id)
    if user is None or user_id not in chat.member_ids:
        raise MemberError(f"user {user_id} is not a member of chat {chat.id}")
    by = user if by_user_id in (None, user_id) else actor(world, chat, by_user_id)
    old = status_of(chat, user_id)
    chat.member_ids.discard(user_id)
    chat.admin_ids.discard(user_id)
    if by is not user:
        chat.kicked_ids.add(user_id)
    world.changed("chat", chat.id)
    _chat_member(world, chat, by, user, old, status_of(chat, user_id))
    _service(world, chat, by, left_chat_member=user.to_api())


def migrate(world: World, chat: Chat, by_user_id: int | None = None) -> Chat:
    """Upgrade a group to a new supergroup (members, administrators and the bot's status carried
    over). The old group gets ``migrate_to_chat_id``, the new one ``migrate_from_chat_id``, both
    delivered as messages; afterwards the old id answers 400 with ``migrate_to_chat_id``."""
    _open(chat)
    if chat.type != "group":
        raise MemberError(f"chat {chat.id} is a {chat.type}; only groups are upgraded")
    by = actor(world, chat, by_user_id)
    new = Chat(world.new_group_id("supergroup"), "supergroup", chat.title,
               set(chat.member_ids), set(chat.admin_ids), menu_button=chat.menu_button,
               bot_status=chat.bot_status, kicked_ids=set(chat.kicked_ids),
               migrated_from=chat.id)
    world.chats[new.id] = new
    world.changed("chat", new.id)
    _service(world, chat, by, migrate_to_chat_id=new.id)
    chat.migrated_to = new.id  # after the service message: that one still goes out
    world.changed("chat", chat.id)
    _service(world, new, by, migrate_from_chat_id=chat.id)
    return new
