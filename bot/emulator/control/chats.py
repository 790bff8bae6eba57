"""Control routes for who is where: users (one or in bulk), groups, joins and leaves, the bot's
own status in a group, upgrading a group, privacy mode and users blocking the bot."""

from __future__ import annotations

from starlette.requests import Request

from bot.emulator import members
from bot.emulator.control.common import ControlError, chat_json
from bot.emulator.params import Params
from bot.emulator.state import JSON, World


async def create_user(world: World, p: Params, _: Request) -> JSON:
    user = world.add_user(p.get_str("first_name") or "User", id=p.get_int("id"),
                          last_name=p.get_str("last_name"), username=p.get_str("username"),
                          language_code=p.get_str("language_code"))
    return user.to_api()


async def create_users(world: World, p: Params, _: Request) -> JSON:
    listed = p.get_json("users")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(u, dict) for u in listed):
            raise ControlError(400, "users is a list of user objects")
        users = world.add_user_list(listed)
    else:
        languages = p.raw("language_code")
        if isinstance(languages, str) and languages.startswith("["):
            languages = p.get_json("language_code")
        if not isinstance(languages, list):
            languages = [languages]
        if not all(lang is None or isinstance(lang, str) for lang in languages):
            raise ControlError(400, "language_code is a string or a list of strings")
        count = p.get_int("count")
        if count is None or not 0 <= count <= 1_000_000:
            raise ControlError(400, "count (0 to 1,000,000) or users is required")
        users = world.add_users(count, first_id=p.get_int("first_id"),
                                first_name=p.get_str("first_name") or "User",
                                language_codes=languages)
    ids = [u.id for u in users]
    return {"count": len(ids), "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None, "ids": ids}


async def list_users(world: World, p: Params, _: Request) -> list[JSON]:
    return [u.to_api() for u in world.users.values()]


async def create_chat(world: World, p: Params, _: Request) -> JSON:
    chat = members.create_group(world, p.get_str("title") or "Group",
                                p.get_json("member_ids") or [],
                                type=p.get_str("type") or "group", id=p.get_int("id"),
                                admin_ids=p.get_json("admin_ids"))
    return chat_json(world, chat)


async def list_chats(world: World, p: Params, _: Request) -> list[JSON]:
    return [chat_json(world, c) for c in world.chats.values()]


def user_id_of(p: Params) -> int:
    user_id = p.get_int("user_id")
    if user_id is None:
        raise ControlError(400, "user_id is required")
    return user_id


async def add_member(world: World, p: Params, request: Request) -> JSON:
    chat = world.chat(request.path_params["chat_id"])
    members.join(world, chat, user_id_of(p), p.get_int("by_user_id"))
    return chat_json(world, chat)


async def remove_member(world: World, p: Params, request: Request) -> JSON:
    chat = world.chat(request.path_params["chat_id"])
    members.leave(world, chat, user_id_of(p), p.get_int("by_user_id"))
    return chat_json(world, chat)


async def set_bot_status(world: World, p: Params, request: Request) -> JSON:
    chat = world.chat(request.path_params["chat_id"])
    update_id = members.set_bot_status(world, chat, p.get_str("status") or "",
                                       p.get_int("by_user_id"))
    return {"chat": chat_json(world, chat), "update_id": update_id}


async def migrate(world: World, p: Params, request: Request) -> JSON:
    chat = world.chat(request.path_params["chat_id"])
    return chat_json(world, members.migrate(world, chat, p.get_int("by_user_id")))


async def set_privacy(world: World, p: Params, _: Request) -> JSON:
    if p.raw("enabled") is None:
        raise ControlError(400, 'give "enabled": true or false')
    world.privacy_mode = p.get_bool("enabled")
    world.changed("privacy")
    return {"privacy_mode": world.privacy_mode}


async def blocked(world: World, p: Params, _: Request) -> JSON:
    user_id = p.get_int("user_id")
    if user_id not in world.users:
        raise ControlError(404, f"unknown user {user_id}")
    if p.get_bool("blocked"):
        world.blocked.add(user_id)
    else:
        world.blocked.discard(user_id)
    world.changed("blocked", user_id)
    return {"user_id": user_id, "blocked": user_id in world.blocked}
