"""The control API: what users do (send, edit, press, share a photo or a location, join and leave
groups, add the bot, upgrade a group) and what the bot did (transcripts, callback answers, the
call log, the command menu), as plain JSON over HTTP.

Tests, scripts and the sandbox page all use this one API (documented in README.md). Successful
answers are plain JSON; errors are ``{"ok": false, "error": "..."}`` with a 4xx status. Long polls
(``/wait``, callback answers with ``timeout``) ride on ``World.wait_change``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.emulator import media, members
from bot.emulator.formatting import command_entities
from bot.emulator.messages import LIVE_FOREVER, live_period_ok
from bot.emulator.params import Params, read_params
from bot.emulator.state import JSON, ApiError, Chat, Message, World, is_int
from bot.emulator.updates import absorb

MAX_WAIT = 60.0


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _user_and_chat(world: World, p: Params) -> tuple[int, Chat]:
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


def _own_message(world: World, p: Params) -> tuple[Chat, Message]:
    """The message ``message_id`` that ``user_id`` sent in the chat, for an edit."""
    user_id, chat = _user_and_chat(world, p)
    message_id = p.get_int("message_id")
    message = chat.messages.get(message_id or 0)
    if message is None or message.deleted:
        raise ControlError(404, f"message {message_id} not found in chat {chat.id}")
    if message.from_bot or message.from_id != user_id:
        raise ControlError(400, f"message {message_id} was not sent by user {user_id}")
    return chat, message


def _edited(world: World, chat: Chat, message: Message, **changes: Any) -> JSON:
    """Apply a user's edit; the ``edited_message`` update goes out as the message would."""
    if not world.edit(message, **changes):
        raise ControlError(400, "message is not modified")
    update_id = world.deliver(chat, message, "edited_message")
    return {"message": world.message_to_control(message), "update_id": update_id}


def _user_message(world: World, p: Params, **content: Any) -> JSON:
    user_id, chat = _user_and_chat(world, p)
    reply_id = p.get_int("reply_to_message_id")
    if reply_id is not None and (reply_id not in chat.messages or chat.messages[reply_id].deleted):
        raise ControlError(400, f"message {reply_id} not found in chat {chat.id}")
    if chat.type == "private":
        # Writing to a bot you blocked unblocks it, as the Telegram app's "Restart" does.
        world.blocked.discard(user_id)
    message = world.add_message(chat, user_id, reply_to_message_id=reply_id, **content)
    update_id = world.deliver(chat, message)
    return {"message": world.message_to_control(message), "update_id": update_id}


def _file_bytes(p: Params) -> tuple[bytes, str | None, str | None]:
    upload = p.upload("file")
    if upload is not None:
        return upload.data, upload.filename, upload.content_type
    encoded = p.get_str("data")
    if not encoded:
        raise ControlError(400, "send a multipart 'file' part or base64 'data'")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "'data' is not valid base64") from None
    return data, p.get_str("file_name"), p.get_str("mime_type")


def _chat_json(world: World, chat: Chat) -> JSON:
    name = chat.title
    if chat.type == "private" and chat.id in world.users:
        user = world.users[chat.id]
        name = " ".join(filter(None, (user.first_name, user.last_name)))
    return {"id": chat.id, "type": chat.type, "title": chat.title, "name": name,
            "member_ids": sorted(chat.member_ids), "admin_ids": sorted(chat.admin_ids),
            "bot_status": chat.bot_status, "migrate_to_chat_id": chat.migrated_to}


def _find_button(message: Message, data: str | None, text: str | None) -> JSON | None:
    keyboard = (message.reply_markup or {}).get("inline_keyboard") or []
    for button in (b for row in keyboard for b in row):
        if (data is not None and button.get("callback_data") == data) or (
                data is None and text is not None and button.get("text") == text):
            return button
    return None


def _bot_messages(chat: Chat, after: int, since: int | None,
                  contains: str | None) -> list[Message]:
    return [m for m in chat.messages.values()
            if m.from_bot and not m.deleted and m.message_id > after
            and (since is None or m.seq > since)
            and (contains is None or contains in (m.text or m.caption or ""))]


def control_routes(world: World) -> list[Route]:
    Handler = Callable[[Params, Request], Awaitable[Any]]

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                params = await read_params(request)
                return JSONResponse(await handler(params, request))
            except ControlError as error:
                return JSONResponse({"ok": False, "error": str(error)}, status_code=error.status)
            except ApiError as error:
                return JSONResponse({"ok": False, "error": error.description},
                                    status_code=error.code)
            except ValueError as error:
                return JSONResponse({"ok": False, "error": str(error)}, status_code=400)

        return run

    async def long_poll(ready: Callable[[], Any], timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(timeout, 0.0), MAX_WAIT)
        while not (result := ready()) and not world.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await world.wait_change(remaining)
        return result

    async def create_user(p: Params, _: Request) -> JSON:
        user = world.add_user(p.get_str("first_name") or "User", id=p.get_int("id"),
                              last_name=p.get_str("last_name"), username=p.get_str("username"),
                              language_code=p.get_str("language_code"))
        return user.to_api()

    async def create_users(p: Params, _: Request) -> JSON:
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

    async def list_users(p: Params, _: Request) -> list[JSON]:
        return [u.to_api() for u in world.users.values()]

    async def create_chat(p: Params, _: Request) -> JSON:
        chat = members.create_group(world, p.get_str("title") or "Group",
                                    p.get_json("member_ids") or [],
                                    type=p.get_str("type") or "group", id=p.get_int("id"),
                                    admin_ids=p.get_json("admin_ids"))
        return _chat_json(world, chat)

    async def list_chats(p: Params, _: Request) -> list[JSON]:
        return [_chat_json(world, c) for c in world.chats.values()]

    def user_id_of(p: Params) -> int:
        user_id = p.get_int("user_id")
        if user_id is None:
            raise ControlError(400, "user_id is required")
        return user_id

    async def add_member(p: Params, request: Request) -> JSON:
        chat = world.chat(request.path_params["chat_id"])
        members.join(world, chat, user_id_of(p), p.get_int("by_user_id"))
        return _chat_json(world, chat)

    async def remove_member(p: Params, request: Request) -> JSON:
        chat = world.chat(request.path_params["chat_id"])
        members.leave(world, chat, user_id_of(p), p.get_int("by_user_id"))
        return _chat_json(world, chat)

    async def set_bot_status(p: Params, request: Request) -> JSON:
        chat = world.chat(request.path_params["chat_id"])
        update_id = members.set_bot_status(world, chat, p.get_str("status") or "",
                                           p.get_int("by_user_id"))
        return {"chat": _chat_json(world, chat), "update_id": update_id}

    async def migrate(p: Params, request: Request) -> JSON:
        chat = world.chat(request.path_params["chat_id"])
        return _chat_json(world, members.migrate(world, chat, p.get_int("by_user_id")))

    async def set_privacy(p: Params, _: Request) -> JSON:
        if p.raw("enabled") is None:
            raise ControlError(400, 'give "enabled": true or false')
        world.privacy_mode = p.get_bool("enabled")
        world.changed("privacy")
        return {"privacy_mode": world.privacy_mode}

    async def send(p: Params, _: Request) -> JSON:
        text = p.get_str("text") or ""
        if not text.strip():
            raise ControlError(400, "text is empty")
        entities = p.get_json("entities") or command_entities(text) or None
        return _user_message(world, p, text=text, entities=entities)

    async def send_photo(p: Params, _: Request) -> JSON:
        _user_and_chat(world, p)
        data, name, _type = _file_bytes(p)
        record = media.add_photo(world, data, name)
        return _user_message(world, p, photo=media.photo_sizes(record),
                             caption=p.get_str("caption"))

    async def send_document(p: Params, _: Request) -> JSON:
        _user_and_chat(world, p)
        data, name, mime = _file_bytes(p)
        record = media.add_document(world, data, name, mime)
        return _user_message(world, p, document=media.document(record),
                             caption=p.get_str("caption"))

    def coordinates(p: Params) -> JSON:
        latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
        if latitude is None or longitude is None:
            raise ControlError(400, "latitude and longitude are required")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ControlError(400, "latitude or longitude out of range")
        return {"latitude": latitude, "longitude": longitude}

    async def send_location(p: Params, _: Request) -> JSON:
        location = coordinates(p)
        period = p.get_int("live_period")
        if period is not None:
            if not live_period_ok(period):
                raise ControlError(400, "live_period is 60 to 86400 seconds, or 2147483647 "
                                        "(until stopped)")
            location["live_period"] = period
        return _user_message(world, p, location=location)

    async def edit(p: Params, _: Request) -> JSON:
        chat, message = _own_message(world, p)
        text = p.get_str("text") or ""
        if not text.strip():
            raise ControlError(400, "text is empty")
        entities = p.get_json("entities") or command_entities(text) or None
        if message.text is not None:
            return _edited(world, chat, message, text=text, entities=entities)
        if message.photo is not None or message.document is not None:
            return _edited(world, chat, message, caption=text, caption_entities=entities)
        raise ControlError(400, f"message {message.message_id} has no text or caption to edit")

    async def edit_location(p: Params, _: Request) -> JSON:
        chat, message = _own_message(world, p)
        period = (message.location or {}).get("live_period")
        if not period:
            raise ControlError(400, f"message {message.message_id} is not a live location")
        if period != LIVE_FOREVER and world.clock() >= message.date + period:
            raise ControlError(400, "the live location has expired")
        return _edited(world, chat, message, location={**(message.location or {}),
                                                       **coordinates(p)})

    async def press(p: Params, _: Request) -> JSON:
        user_id, chat = _user_and_chat(world, p)
        data, text = p.get_str("callback_data"), p.get_str("button_text")
        forge = p.get_bool("forge")
        if data is None and text is None:
            raise ControlError(400, "give callback_data or button_text")
        message_id = p.get_int("message_id")
        if message_id is None:
            candidates = [m for m in reversed(chat.messages.values())
                          if m.from_bot and not m.deleted
                          and (_find_button(m, data, text) or (forge and m.reply_markup))]
            if not candidates:
                raise ControlError(400, f"no message in chat {chat.id} has that button")
            message_id = candidates[0].message_id
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise ControlError(400, f"message {message_id} not found in chat {chat.id}")
        button = _find_button(message, data, text)
        if button is None and not (forge and data is not None):
            raise ControlError(400, f"message {message_id} has no such button "
                                    "(pass forge=true to press it anyway)")
        if button is not None:
            if "callback_data" not in button:
                raise ControlError(400, "that button has no callback_data")
            data = button["callback_data"]
        query_id = world.new_callback_query_id()
        update_id = world.enqueue({"callback_query": {
            "id": query_id, "from": world.users[user_id].to_api(),
            "message": world.message_to_api(message),
            "chat_instance": str(abs(chat.id) * 7919 % (1 << 62)), "data": data}})
        return {"callback_query_id": query_id, "update_id": update_id}

    async def inject(p: Params, _: Request) -> JSON:
        update = dict(p.data)
        if not update:
            raise ControlError(400, "send the Update as the JSON body")
        update_id = update.get("update_id")
        # The one field the emulator itself needs: getUpdates' offset orders updates by it.
        if update_id is not None and not is_int(update_id):
            raise ControlError(400, "update_id must be an integer")
        absorb(world, update)
        return {"update_id": world.enqueue(update)}

    async def pending_updates(p: Params, _: Request) -> list[JSON]:
        return world.updates

    async def chat_messages(p: Params, request: Request) -> list[JSON]:
        chat = world.chat(request.path_params["chat_id"])
        after, since = p.get_int("after", 0) or 0, p.get_int("since")
        return [world.message_to_control(m) for m in chat.messages.values()
                if m.message_id > after and (since is None or m.seq > since)]

    async def wait(p: Params, _: Request) -> list[JSON]:
        chat = world.chat(p.raw("chat_id"))
        after, since, contains = p.get_int("after", 0) or 0, p.get_int("since"), p.get_str(
            "contains")
        found = await long_poll(lambda: _bot_messages(chat, after, since, contains),
                                p.get_float("timeout", 10.0) or 0.0)
        return [world.message_to_control(m) for m in found or []]

    async def callback_answer(p: Params, request: Request) -> JSON:
        record = world.callback_answers.get(request.path_params["query_id"])
        if record is None:
            raise ControlError(404, "unknown callback_query_id")
        await long_poll(lambda: record["answered"], p.get_float("timeout", 0.0) or 0.0)
        return record

    async def calls(p: Params, _: Request) -> list[JSON]:
        after, name = p.get_int("after", 0) or 0, p.get_str("method")
        return [c.to_json() for c in world.calls[after:]
                if name is None or c.method.lower() == name.lower()]

    async def commands(p: Params, _: Request) -> list[JSON]:
        chat_id = p.get_int("chat_id")
        if chat_id is None:
            raise ControlError(400, "chat_id is required")
        return world.visible_commands(chat_id, p.get_str("language_code"), p.get_int("user_id"))

    async def blocked(p: Params, _: Request) -> JSON:
        user_id = p.get_int("user_id")
        if user_id not in world.users:
            raise ControlError(404, f"unknown user {user_id}")
        if p.get_bool("blocked"):
            world.blocked.add(user_id)  # type: ignore[arg-type]
        else:
            world.blocked.discard(user_id)  # type: ignore[arg-type]
        world.changed("blocked", user_id)
        return {"user_id": user_id, "blocked": user_id in world.blocked}

    async def bot_info(p: Params, _: Request) -> JSON:
        return {"bot": world.bot.to_api(), "webhook": world.webhook,
                "privacy_mode": world.privacy_mode, "seq": world.seq,
                "pending_updates": len(world.updates), "polls": world.polls}

    async def get_limits(p: Params, _: Request) -> JSON:
        return world.limits.to_json()

    async def set_limits(p: Params, _: Request) -> JSON:
        mode = p.get_str("mode")
        rate = p.get_float("rate")
        if mode is None and rate is None:
            raise ControlError(400, 'give "mode" (off, telegram, rate) and, for rate, "rate"')
        world.limits.configure(mode or "rate", rate)
        world.changed("limits")
        return world.limits.to_json()

    async def stats(p: Params, _: Request) -> JSON:
        return world.stats()

    async def reset_stats(p: Params, _: Request) -> JSON:
        world.reset_stats()
        return world.stats()

    async def reset(p: Params, _: Request) -> JSON:
        world.reset()
        return {"ok": True}

    table: list[tuple[str, Handler, str]] = [
        ("/users", create_user, "POST"), ("/users", list_users, "GET"),
        ("/users/bulk", create_users, "POST"),
        ("/chats", create_chat, "POST"), ("/chats", list_chats, "GET"),
        ("/chats/{chat_id}/members", add_member, "POST"),
        ("/chats/{chat_id}/members/remove", remove_member, "POST"),
        ("/chats/{chat_id}/bot", set_bot_status, "POST"),
        ("/chats/{chat_id}/migrate", migrate, "POST"),
        ("/chats/{chat_id}/messages", chat_messages, "GET"),
        ("/send", send, "POST"), ("/send_photo", send_photo, "POST"),
        ("/send_document", send_document, "POST"), ("/send_location", send_location, "POST"),
        ("/edit", edit, "POST"), ("/edit_location", edit_location, "POST"),
        ("/privacy", set_privacy, "POST"),
        ("/press", press, "POST"), ("/updates", inject, "POST"),
        ("/updates", pending_updates, "GET"), ("/wait", wait, "GET"),
        ("/callback_answers/{query_id}", callback_answer, "GET"), ("/calls", calls, "GET"),
        ("/commands", commands, "GET"), ("/blocked", blocked, "POST"),
        ("/bot", bot_info, "GET"), ("/reset", reset, "POST"),
        ("/limits", get_limits, "GET"), ("/limits", set_limits, "POST"),
        ("/stats", stats, "GET"), ("/stats/reset", reset_stats, "POST"),
    ]
    return [Route(path, endpoint(handler), methods=[verb]) for path, handler, verb in table]
