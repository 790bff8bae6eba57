"""Users, chats and command menus of the emulated Telegram (the ``Directory`` layer of ``World``).

Every user has a private chat with the bot; groups made here (``add_group``) already have the bot
in them, silently (``members.py`` does joins, leaves and announcements). ``visible_commands``
resolves the menus set with setMyCommands in Telegram's documented scope order.
"""

from __future__ import annotations

import json

from bot.emulator.core import WorldCore
from bot.emulator.records import JSON, Chat, User, bad_request


class Directory(WorldCore):
    """Who and where: users, chats, and the command menus each of them sees."""

    def reset(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.default_menu_button: JSON = {"type": "commands"}
        self._next_user_id = 100001
        self._next_group_id = 1
        super().reset()

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
            return self.chats[int(chat_id)]
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
            scopes: list[JSON] = [{"type": "chat", "chat_id": chat_id},
                                  {"type": "all_private_chats"}]
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
