"""What the control API's handlers share: the error they raise, the handler type, finding the
user and chat a request names, a chat's JSON, and long polls on the world's changes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from bot.emulator.params import Params
from bot.emulator.state import JSON, Chat, World

MAX_WAIT = 60.0

# A control route's handler: the world, the decoded parameters, the request (for path params).
Handler = Callable[[World, Params, Request], Awaitable[Any]]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def user_and_chat(world: World, p: Params) -> tuple[int, Chat]:
    user_id = p.get_int("user_id")
    if user_id not in world.users:
        raise ControlError(404, f"unknown user {user_id}")
    chat_id = p.get_int("chat_id") or user_id
    chat = world.chats.get(chat_id)
    if chat is None:
        raise ControlError(404, f"unknown chat {chat_id}")
    if chat.migrated_to is not None:
        raise ControlError(400, f"chat {chat_id} was upgraded to supergroup {chat.migrated_to}")
    if user_id not in chat.member_ids:
        raise ControlError(400, f"user {user_id} is not a member of chat {chat_id}")
    return user_id, chat


def chat_json(world: World, chat: Chat) -> JSON:
    name = chat.title
    if chat.type == "private" and chat.id in world.users:
        user = world.users[chat.id]
        name = " ".join(filter(None, (user.first_name, user.last_name)))
    return {"id": chat.id, "type": chat.type, "title": chat.title, "name": name,
            "member_ids": sorted(chat.member_ids), "admin_ids": sorted(chat.admin_ids),
            "bot_status": chat.bot_status, "migrate_to_chat_id": chat.migrated_to}


async def long_poll(world: World, ready: Callable[[], Any], timeout: float) -> Any:
    """``ready()`` once it is truthy, or its last value after ``timeout`` (at most MAX_WAIT)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(timeout, 0.0), MAX_WAIT)
    while not (result := ready()) and not world.closing:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await world.wait_change(remaining)
    return result
