"""Control routes for what a user does in a chat: send text, a photo, a document or a location,
edit their message or move their live location, press an inline button; and raw updates
injected as they are. Each queues the update Telegram would send the bot (or none, when privacy
mode or the bot's membership holds it back)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request

from bot.emulator import media
from bot.emulator.control.common import ControlError, user_and_chat
from bot.emulator.formatting import command_entities
from bot.emulator.messages import LIVE_FOREVER, live_period_ok
from bot.emulator.params import Params
from bot.emulator.state import JSON, Chat, Message, World, is_int
from bot.emulator.updates import absorb


def _own_message(world: World, p: Params) -> tuple[Chat, Message]:
    """The message ``message_id`` that ``user_id`` sent in the chat, for an edit."""
    user_id, chat = user_and_chat(world, p)
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
    user_id, chat = user_and_chat(world, p)
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


def _find_button(message: Message, data: str | None, text: str | None) -> JSON | None:
    keyboard = (message.reply_markup or {}).get("inline_keyboard") or []
    for button in (b for row in keyboard for b in row):
        if (data is not None and button.get("callback_data") == data) or (
                data is None and text is not None and button.get("text") == text):
            return button
    return None


def _coordinates(p: Params) -> JSON:
    latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
    if latitude is None or longitude is None:
        raise ControlError(400, "latitude and longitude are required")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ControlError(400, "latitude or longitude out of range")
    return {"latitude": latitude, "longitude": longitude}


async def send(world: World, p: Params, _: Request) -> JSON:
    text = p.get_str("text") or ""
    if not text.strip():
        raise ControlError(400, "text is empty")
    entities = p.get_json("entities") or command_entities(text) or None
    return _user_message(world, p, text=text, entities=entities)


async def send_photo(world: World, p: Params, _: Request) -> JSON:
    user_and_chat(world, p)
    data, name, _type = _file_bytes(p)
    record = media.add_photo(world, data, name)
    return _user_message(world, p, photo=media.photo_sizes(record),
                         caption=p.get_str("caption"))


async def send_document(world: World, p: Params, _: Request) -> JSON:
    user_and_chat(world, p)
    data, name, mime = _file_bytes(p)
    record = media.add_document(world, data, name, mime)
    return _user_message(world, p, document=media.document(record),
                         caption=p.get_str("caption"))


async def send_location(world: World, p: Params, _: Request) -> JSON:
    location = _coordinates(p)
    period = p.get_int("live_period")
    if period is not None:
        if not live_period_ok(period):
            raise ControlError(400, "live_period is 60 to 86400 seconds, or 2147483647 "
                                    "(until stopped)")
        location["live_period"] = period
    return _user_message(world, p, location=location)


async def edit(world: World, p: Params, _: Request) -> JSON:
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


async def edit_location(world: World, p: Params, _: Request) -> JSON:
    chat, message = _own_message(world, p)
    period = (message.location or {}).get("live_period")
    if not period:
        raise ControlError(400, f"message {message.message_id} is not a live location")
    if period != LIVE_FOREVER and world.clock() >= message.date + period:
        raise ControlError(400, "the live location has expired")
    return _edited(world, chat, message, location={**(message.location or {}),
                                                   **_coordinates(p)})


async def press(world: World, p: Params, _: Request) -> JSON:
    user_id, chat = user_and_chat(world, p)
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


async def inject(world: World, p: Params, _: Request) -> JSON:
    update = dict(p.data)
    if not update:
        raise ControlError(400, "send the Update as the JSON body")
    update_id = update.get("update_id")
    # The one field the emulator itself needs: getUpdates' offset orders updates by it.
    if update_id is not None and not is_int(update_id):
        raise ControlError(400, "update_id must be an integer")
    absorb(world, update)
    return {"update_id": world.enqueue(update)}
