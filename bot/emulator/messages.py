"""Bot API methods that send, edit and delete messages.

Validation follows Telegram's order and wording (PTB turns the description into the exception
text, e.g. ``BadRequest("Message is too long")``), so a bot that passes against the emulator does
not trip the same limits in production. Every method that puts something in a chat calls
``World.check_send`` first: that is where blocking and Telegram's rate limits (``limits.py``) are
enforced; a message that went out is counted with ``World.record_send``. Methods that change a
chat's messages without sending (delete, pin) check the bot's access to the chat
(``World.check_access``): a group it left, or one upgraded to a supergroup, refuses them too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.emulator import media
from bot.emulator.formatting import ParseError, parse, utf16_len
from bot.emulator.params import PTB_DEFAULTS, SEND_PARAMS, Params, Upload, method
from bot.emulator.state import JSON, ApiError, Chat, Message, World, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
# What makes an inline button do something; url and callback_data count only when non-empty
# (the Bot API server treats "" as absent).
_BUTTON_KINDS = {"web_app", "login_url", "switch_inline_query",
                 "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                 "copy_text", "callback_game", "pay"}
_EDIT_PARAMS = frozenset({"business_connection_id", "chat_id", "message_id",
                          "inline_message_id", "reply_markup"}) | PTB_DEFAULTS
_CAPTION_PARAMS = frozenset({"caption", "parse_mode", "caption_entities"})
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


def formatted(p: Params, field: str, entities_field: str) -> tuple[str | None, Any, str | None]:
    """(plain text, entities, raw parse mode kept) for a text or caption parameter."""
    raw = p.get_str(field)
    if raw is None:
        return None, None, None
    explicit = p.get_json(entities_field)
    if explicit:
        return raw, explicit, None
    mode = p.get_str("parse_mode")
    try:
        text, entities = parse(raw, mode)
    except ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    kept = mode if mode and mode.lower() not in ("html", "markdownv2") else None
    return text, entities, kept


def check_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text


def check_caption(caption: str | None) -> None:
    if caption is not None and utf16_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")


def reply_markup(p: Params, *, inline_only: bool = False) -> JSON | None:
    markup = p.get_json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard markup JSON object")
        for button in (b for row in rows for b in row):
            _check_inline_button(button)
        # An empty inline keyboard is no keyboard, also for the "not modified" comparison.
        return markup if any(rows) else None
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    """Refuse a button as the Bot API server parses one (``get_inline_keyboard_button``)."""
    def refuse(detail: str) -> ApiError:
        return bad_request(f"can't parse inline keyboard button: {detail}")

    if not isinstance(button, dict):
        raise refuse("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise refuse('Can\'t find field "text"')
    for name in ("text", "url", "callback_data"):
        if name in button and not isinstance(button[name], str):
            raise refuse(f'Field "{name}" must be of type String')
    if not (button.get("url") or button.get("callback_data") or _BUTTON_KINDS & set(button)):
        raise refuse("Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data and len(data.encode()) > 64:
        raise bad_request("BUTTON_DATA_INVALID")


def reply_to(world: World, chat: Chat, p: Params) -> int | None:
    params = p.get_json("reply_parameters")
    if isinstance(params, dict):
        message_id = params.get("message_id")
        allow = bool(params.get("allow_sending_without_reply"))
        if params.get("chat_id") not in (None, chat.id, str(chat.id)):
            raise bad_request("replies to messages in other chats are not supported")
    else:
        message_id = p.get_int("reply_to_message_id")
        allow = p.get_bool("allow_sending_without_reply")
    if message_id is None:
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return target.message_id


def send(world: World, chat: Chat, method_name: str, p: Params,
         stored_content: Callable[[], JSON] | None = None, **content: Any) -> JSON:
    """The one path by which a bot message enters a chat.

    ``stored_content`` builds content that stores something (an uploaded file) and so must run
    only once the message is allowed. ``allow_paid_broadcast`` picks the paid overall limit.
    """
    paid = p.get_bool("allow_paid_broadcast")
    world.check_send(chat, method_name, paid=paid)
    if stored_content is not None:
        content.update(stored_content())
    message = world.add_message(chat, world.bot.id, **content)
    world.record_send(chat, method_name, paid=paid)
    return world.message_to_api(message)


# Each method checks in the Bot API server's order: its content, the reply markup, then the chat
# (so a message with no text to an unknown chat is "message text is empty").


@method("sendMessage", SEND_PARAMS | {"text", "parse_mode", "entities", "link_preview_options",
                                      "disable_web_page_preview"})
async def send_message(world: World, p: Params) -> JSON:
    text, entities, kept = formatted(p, "text", "entities")
    check_text(text)
    markup = reply_markup(p)
    chat = world.chat(p.raw("chat_id"))
    reply = reply_to(world, chat, p)
    return send(world, chat, "sendMessage", p, text=text, entities=entities, parse_mode=kept,
                reply_markup=markup, reply_to_message_id=reply)


def _media(world: World, p: Params, field: str) -> tuple[Upload | None, Any]:
    """An upload to store after the checks pass, or the existing file record."""
    upload = p.upload(field)
    if upload is not None:
        return upload, None
    ref = p.get_str(field)
    if not ref:
        raise bad_request(f"there is no {field} in the request")
    record = world.files.get(ref)
    if record is None:
        if ref.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")
    if not record.file_path.startswith("photos/" if field == "photo" else "documents/"):
        raise bad_request("type of file mismatch")
    return None, record


async def _send_media(world: World, p: Params, field: str, method_name: str) -> JSON:
    upload, record = _media(world, p, field)
    caption, caption_entities, kept = formatted(p, "caption", "caption_entities")
    check_caption(caption)
    markup = reply_markup(p)
    chat = world.chat(p.raw("chat_id"))
    reply = reply_to(world, chat, p)

    def stored_content() -> JSON:
        stored = record
        if upload is not None and field == "photo":
            stored = media.add_photo(world, upload.data, upload.filename)
        elif upload is not None:
            stored = media.add_document(world, upload.data, upload.filename,
                                        upload.content_type)
        if field == "photo":
            return {"photo": media.photo_sizes(stored)}
        return {"document": media.document(stored)}

    return send(world, chat, method_name, p, stored_content, caption=caption,
                caption_entities=caption_entities, parse_mode=kept, reply_markup=markup,
                reply_to_message_id=reply)


@method("sendPhoto", SEND_PARAMS | _CAPTION_PARAMS | {"photo", "show_caption_above_media",
                                                     "has_spoiler"})
async def send_photo(world: World, p: Params) -> JSON:
    return await _send_media(world, p, "photo", "sendPhoto")


@method("sendDocument", SEND_PARAMS | _CAPTION_PARAMS | {
    "document", "thumbnail", "thumb", "disable_content_type_detection"})
async def send_document(world: World, p: Params) -> JSON:
    return await _send_media(world, p, "document", "sendDocument")


LIVE_FOREVER = 0x7FFFFFFF  # live_period meaning "until stopped"


def live_period_ok(period: int) -> bool:
    return 60 <= period <= 86400 or period == LIVE_FOREVER


@method("sendLocation", SEND_PARAMS | {"latitude", "longitude", "horizontal_accuracy",
                                       "live_period", "heading", "proximity_alert_radius",
                                       "parse_mode"})
async def send_location(world: World, p: Params) -> JSON:
    for name in ("latitude", "longitude"):
        if not (p.get_str(name) or "").strip():
            raise bad_request(f"{name} is empty")
    latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")
    location: JSON = {"latitude": latitude, "longitude": longitude}
    period = p.get_int("live_period")
    if period:
        if not live_period_ok(period):
            raise bad_request("wrong live period specified")
        location["live_period"] = period
    accuracy = p.get_float("horizontal_accuracy")
    if accuracy:
        location["horizontal_accuracy"] = accuracy
    for name in ("heading", "proximity_alert_radius"):
        value = p.get_int(name)
        if value:
            location[name] = value
    markup = reply_markup(p)
    chat = world.chat(p.raw("chat_id"))
    reply = reply_to(world, chat, p)
    return send(world, chat, "sendLocation", p, reply_markup=markup, reply_to_message_id=reply,
                location=location)


def _editable(world: World, p: Params, method_name: str) -> tuple[Chat, Message]:
    if p.raw("chat_id") in (None, "") and p.raw("message_id") in (None, ""):
        # The Bot API server then takes it for an inline message.
        if p.raw("inline_message_id") in (None, ""):
            raise bad_request("message identifier is not specified")
        raise bad_request("inline messages are not supported by the emulator")
    chat = world.chat(p.raw("chat_id"))
    message = world.message(chat, p.raw("message_id"), "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    world.check_send(chat, method_name)
    return chat, message


def _apply_edit(world: World, message: Message, **changes: Any) -> JSON:
    if not world.edit(message, **changes):
        raise bad_request(NOT_MODIFIED)
    return world.message_to_api(message)


@method("editMessageText", _EDIT_PARAMS | {"text", "entities", "link_preview_options",
                                           "disable_web_page_preview"})
async def edit_message_text(world: World, p: Params) -> JSON:
    text, entities, kept = formatted(p, "text", "entities")
    check_text(text)
    _, message = _editable(world, p, "editMessageText")
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    return _apply_edit(world, message, text=text, entities=entities, parse_mode=kept,
                       reply_markup=reply_markup(p, inline_only=True))


@method("editMessageCaption", _EDIT_PARAMS | _CAPTION_PARAMS | {"show_caption_above_media"})
async def edit_message_caption(world: World, p: Params) -> JSON:
    _, message = _editable(world, p, "editMessageCaption")
    if message.photo is None and message.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption, caption_entities, kept = formatted(p, "caption", "caption_entities")
    check_caption(caption)
    return _apply_edit(world, message, caption=caption, caption_entities=caption_entities,
                       parse_mode=kept, reply_markup=reply_markup(p, inline_only=True))


@method("editMessageReplyMarkup", _EDIT_PARAMS)
async def edit_message_reply_markup(world: World, p: Params) -> JSON:
    _, message = _editable(world, p, "editMessageReplyMarkup")
    return _apply_edit(world, message, reply_markup=reply_markup(p, inline_only=True))


def _delete(world: World, chat: Chat, message_id: Any) -> None:
    message = world.message(chat, message_id, "message to delete not found")
    message.deleted = True
    world.touch(message, "delete")


def _chat_for_change(world: World, p: Params) -> Chat:
    chat = world.chat(p.raw("chat_id"))
    world.check_access(chat, "write")
    return chat


@method("deleteMessage", {"chat_id", "message_id"})
async def delete_message(world: World, p: Params) -> bool:
    if p.raw("chat_id") in (None, ""):
        raise bad_request("chat identifier is not specified")
    if p.raw("message_id") in (None, ""):
        raise bad_request("message identifier is not specified")
    _delete(world, _chat_for_change(world, p), p.raw("message_id"))
    return True


@method("deleteMessages", {"chat_id", "message_ids"})
async def delete_messages(world: World, p: Params) -> bool:
    message_ids = p.get_json("message_ids")
    if not message_ids:
        raise bad_request("message identifiers are not specified")
    if not isinstance(message_ids, list):
        raise bad_request("expected an Array of message identifiers")
    chat = _chat_for_change(world, p)
    for message_id in message_ids:
        try:
            _delete(world, chat, message_id)
        except ApiError:
            pass  # Telegram skips messages that cannot be deleted
    return True


@method("pinChatMessage", {"business_connection_id", "chat_id", "message_id",
                           "disable_notification"})
async def pin_chat_message(world: World, p: Params) -> bool:
    message = world.message(_chat_for_change(world, p), p.raw("message_id"),
                            "message to pin not found")
    message.pinned = True
    world.touch(message, "pin")
    return True


@method("unpinChatMessage", {"business_connection_id", "chat_id", "message_id"})
async def unpin_chat_message(world: World, p: Params) -> bool:
    chat = _chat_for_change(world, p)
    if p.raw("message_id") is not None:
        targets = [world.message(chat, p.raw("message_id"), "message to unpin not found")]
    else:
        pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        targets = pinned[-1:]
    for message in targets:
        message.pinned = False
        world.touch(message, "pin")
    return True


@method("unpinAllChatMessages", {"chat_id"})
async def unpin_all_chat_messages(world: World, p: Params) -> bool:
    for message in _chat_for_change(world, p).messages.values():
        if message.pinned:
            message.pinned = False
            world.touch(message, "pin")
    return True
