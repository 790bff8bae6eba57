"""Bot API methods that send, edit and delete messages.

Validation follows Telegram's order and wording (PTB turns the description into the exception
text, e.g. ``BadRequest("Message is too long")``), so a bot that passes against the emulator does
not trip the same limits in production. Every method that puts something in a chat calls
``World.check_send`` first: that is where blocking and Telegram's rate limits (``limits.py``) are
enforced; a message that went out is counted with ``World.record_send``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.emulator import media
from bot.emulator.formatting import ParseError, parse, utf16_len
from bot.emulator.params import Params, Upload, method
from bot.emulator.state import JSON, ApiError, Chat, Message, World, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
_BUTTON_KINDS = {"url", "callback_data", "web_app", "login_url", "switch_inline_query",
                 "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                 "copy_text", "callback_game", "pay"}
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
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Field \"text\" must be "
                                  "of type String")
            if not _BUTTON_KINDS & set(button):
                raise bad_request("can't parse inline keyboard button: Text buttons are "
                                  "unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and (not isinstance(data, str)
                                     or not 1 <= len(data.encode()) <= 64):
                raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not button["url"]:
                raise bad_request("BUTTON_URL_INVALID")
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


@method("sendMessage")
async def send_message(world: World, p: Params) -> JSON:
    chat = world.chat(p.raw("chat_id"))
    text, entities, kept = formatted(p, "text", "entities")
    check_text(text)
    markup = reply_markup(p)
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
    chat = world.chat(p.raw("chat_id"))
    upload, record = _media(world, p, field)
    caption, caption_entities, kept = formatted(p, "caption", "caption_entities")
    check_caption(caption)
    markup = reply_markup(p)
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


@method("sendPhoto")
async def send_photo(world: World, p: Params) -> JSON:
    return await _send_media(world, p, "photo", "sendPhoto")


@method("sendDocument")
async def send_document(world: World, p: Params) -> JSON:
    return await _send_media(world, p, "document", "sendDocument")


@method("sendLocation")
async def send_location(world: World, p: Params) -> JSON:
    chat = world.chat(p.raw("chat_id"))
    latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")
    markup = reply_markup(p)
    reply = reply_to(world, chat, p)
    return send(world, chat, "sendLocation", p, reply_markup=markup, reply_to_message_id=reply,
                location={"latitude": latitude, "longitude": longitude})


def _editable(world: World, p: Params, method_name: str) -> tuple[Chat, Message]:
    if p.raw("inline_message_id") is not None:
        raise bad_request("inline messages are not supported by the emulator")
    chat = world.chat(p.raw("chat_id"))
    message = world.message(chat, p.raw("message_id"), "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    world.check_send(chat, method_name)
    return chat, message


def _apply_edit(world: World, message: Message, **changes: Any) -> JSON:
    if all(getattr(message, key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    message.edits.append({"text": message.text, "entities": message.entities,
                          "caption": message.caption, "reply_markup": message.reply_markup,
                          "edit_date": message.edit_date})
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_date = int(world.clock())
    world.touch(message, "edit")
    return world.message_to_api(message)


@method("editMessageText")
async def edit_message_text(world: World, p: Params) -> JSON:
    _, message = _editable(world, p, "editMessageText")
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities, kept = formatted(p, "text", "entities")
    check_text(text)
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    return _apply_edit(world, message, text=text, entities=entities, parse_mode=kept,
                       reply_markup=reply_markup(p, inline_only=True))


@method("editMessageCaption")
async def edit_message_caption(world: World, p: Params) -> JSON:
    _, message = _editable(world, p, "editMessageCaption")
    if message.photo is None and message.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption, caption_entities, kept = formatted(p, "caption", "caption_entities")
    check_caption(caption)
    return _apply_edit(world, message, caption=caption, caption_entities=caption_entities,
                       parse_mode=kept, reply_markup=reply_markup(p, inline_only=True))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, p: Params) -> JSON:
    _, message = _editable(world, p, "editMessageReplyMarkup")
    return _apply_edit(world, message, reply_markup=reply_markup(p, inline_only=True))


def _delete(world: World, chat: Chat, message_id: Any) -> None:
    message = world.message(chat, message_id, "message to delete not found")
    message.deleted = True
    world.touch(message, "delete")


@method("deleteMessage")
async def delete_message(world: World, p: Params) -> bool:
    _delete(world, world.chat(p.raw("chat_id")), p.raw("message_id"))
    return True


@method("deleteMessages")
async def delete_messages(world: World, p: Params) -> bool:
    chat = world.chat(p.raw("chat_id"))
    for message_id in p.get_json("message_ids") or []:
        try:
            _delete(world, chat, message_id)
        except ApiError:
            pass  # Telegram skips messages that cannot be deleted
    return True


@method("pinChatMessage")
async def pin_chat_message(world: World, p: Params) -> bool:
    message = world.message(world.chat(p.raw("chat_id")), p.raw("message_id"),
                            "message to pin not found")
    message.pinned = True
    world.touch(message, "pin")
    return True


@method("unpinChatMessage")
async def unpin_chat_message(world: World, p: Params) -> bool:
    chat = world.chat(p.raw("chat_id"))
    if p.raw("message_id") is not None:
        targets = [world.message(chat, p.raw("message_id"), "message to unpin not found")]
    else:
        pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        targets = pinned[-1:]
    for message in targets:
        message.pinned = False
        world.touch(message, "pin")
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(world: World, p: Params) -> bool:
    for message in world.chat(p.raw("chat_id")).messages.values():
        if message.pinned:
            message.pinned = False
            world.touch(message, "pin")
    return True
