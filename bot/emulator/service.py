"""Bot API methods that do not put messages in chats: identity, updates, webhook, callback
answers, the command menu, chat information and files.

``getUpdates`` is a real long poll on ``World.wait_change``: it answers as soon as an update is
queued, and like Telegram it ends an older poll with 409 when a newer one starts, which is how two
bot instances polling the same token show up.
"""

from __future__ import annotations

import asyncio
import re

from bot.emulator import media
from bot.emulator.members import member_json, status_of
from bot.emulator.params import Params, method
from bot.emulator.state import JSON, ApiError, World, bad_request

WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first")
POLL_CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
                 "instance is running")


@method("getMe")
async def get_me(world: World, p: Params) -> JSON:
    # can_read_all_group_messages is how a bot learns its privacy mode (on for a new bot).
    return {**world.bot.to_api(), "can_join_groups": True,
            "can_read_all_group_messages": not world.privacy_mode,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False}


@method("logOut")
@method("close")
async def log_out(world: World, p: Params) -> bool:
    return True


@method("getUpdates", {"offset", "limit", "timeout", "allowed_updates"})
async def get_updates(world: World, p: Params) -> list[JSON]:
    if world.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = p.get_int("offset", 0) or 0
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    timeout = max(p.get_float("timeout", 0.0) or 0.0, 0.0)
    allowed = p.get_json("allowed_updates")
    if isinstance(allowed, list):
        world.allowed_updates = frozenset(allowed) if allowed else None
    if offset:
        world.acknowledge(offset)
    world.poll_generation += 1
    generation = world.poll_generation
    world.wake()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    world.polls += 1
    try:
        while True:
            if world.poll_generation != generation:
                raise ApiError(409, POLL_CONFLICT)
            if world.updates or world.closing:
                return world.updates[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await world.wait_change(remaining)
    finally:
        world.polls -= 1


@method("setWebhook", {"url", "certificate", "ip_address", "max_connections",
                       "allowed_updates", "drop_pending_updates", "secret_token"})
async def set_webhook(world: World, p: Params) -> bool:
    url = p.get_str("url") or ""
    if url and not re.match(r"https?://", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.get_bool("drop_pending_updates"):
        world.updates.clear()
    allowed = p.get_json("allowed_updates")
    if isinstance(allowed, list):
        world.allowed_updates = frozenset(allowed) if allowed else None
    # Delivering updates to the webhook is not emulated yet; the URL only switches polling off.
    world.webhook = {"url": url, "secret_token": p.get_str("secret_token"),
                     "max_connections": p.get_int("max_connections", 40)} if url else None
    return True


@method("deleteWebhook", {"drop_pending_updates"})
async def delete_webhook(world: World, p: Params) -> bool:
    if p.get_bool("drop_pending_updates"):
        world.updates.clear()
    world.webhook = None
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: World, p: Params) -> JSON:
    info: JSON = {"url": "", "has_custom_certificate": False,
                  "pending_update_count": len(world.updates)}
    if world.webhook is not None:
        info.update(url=world.webhook["url"], max_connections=world.webhook["max_connections"])
        if world.allowed_updates is not None:
            info["allowed_updates"] = sorted(world.allowed_updates)
    return info


@method("answerCallbackQuery", {"callback_query_id", "text", "show_alert", "url",
                                "cache_time"})
async def answer_callback_query(world: World, p: Params) -> bool:
    query_id = p.get_str("callback_query_id") or ""
    record = world.callback_answers.get(query_id)
    if record is None or record["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.update(answered=True, text=text, show_alert=p.get_bool("show_alert"),
                  url=p.get_str("url"), cache_time=p.get_int("cache_time"), time=world.clock())
    world.changed("answer")
    return True


def _command_key(world: World, p: Params) -> tuple[str, str]:
    scope = p.get_json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    if "chat_id" in scope:
        world.chat(scope["chat_id"])
    language = p.get_str("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return world.scope_key(scope), language


_SCOPE_PARAMS = frozenset({"scope", "language_code"})


@method("setMyCommands", _SCOPE_PARAMS | {"commands"})
async def set_my_commands(world: World, p: Params) -> bool:
    commands = p.get_json("commands") or []  # none at all: the Bot API server clears the list
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    cleaned: list[JSON] = []
    for command in commands:
        name = command.get("command") if isinstance(command, dict) else None
        description = command.get("description") if isinstance(command, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("command description must be non-empty")
        cleaned.append({"command": name, "description": description})
    key = _command_key(world, p)
    if cleaned:
        world.commands[key] = cleaned
    else:
        world.commands.pop(key, None)
    world.changed("commands")
    return True


@method("getMyCommands", _SCOPE_PARAMS)
async def get_my_commands(world: World, p: Params) -> list[JSON]:
    return world.commands.get(_command_key(world, p), [])


@method("deleteMyCommands", _SCOPE_PARAMS)
async def delete_my_commands(world: World, p: Params) -> bool:
    world.commands.pop(_command_key(world, p), None)
    world.changed("commands")
    return True


@method("setChatMenuButton", {"chat_id", "menu_button"})
async def set_chat_menu_button(world: World, p: Params) -> bool:
    button = p.get_json("menu_button") or {"type": "default"}
    if p.raw("chat_id") is None:
        world.default_menu_button = button
    else:
        world.chat(p.raw("chat_id")).menu_button = button
    return True


@method("getChatMenuButton", {"chat_id"})
async def get_chat_menu_button(world: World, p: Params) -> JSON:
    if p.raw("chat_id") is not None:
        button = world.chat(p.raw("chat_id")).menu_button
        if button is not None and button.get("type") != "default":
            return button
    return world.default_menu_button


@method("sendChatAction", {"business_connection_id", "chat_id", "message_thread_id",
                           "action"})
async def send_chat_action(world: World, p: Params) -> bool:
    if not p.get_str("action"):
        raise bad_request("wrong parameter action in request")
    chat = world.chat(p.raw("chat_id"))
    if chat.id in world.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    world.check_access(chat, "write")
    return True


@method("getChat", {"chat_id"})
async def get_chat(world: World, p: Params) -> JSON:
    chat = world.chat(p.raw("chat_id"))
    world.check_access(chat, "read")
    info: JSON = {**world.chat_to_api(chat), "accent_color_id": 0, "max_reaction_count": 11,
                  "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                          "unique_gifts": False, "premium_subscription": False,
                                          "gifts_from_channels": False}}
    pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
    if pinned:
        info["pinned_message"] = world.message_to_api(pinned[-1])
    if chat.migrated_from is not None:
        info["migrate_from_chat_id"] = chat.migrated_from
    return info


@method("getChatMember", {"chat_id", "user_id"})
async def get_chat_member(world: World, p: Params) -> JSON:
    user_id = p.get_int("user_id") or 0
    if user_id <= 0:
        raise bad_request("invalid user_id specified")
    chat = world.chat(p.raw("chat_id"))
    if user_id == world.bot.id:
        world.check_access(chat, "read")
        return member_json(world.bot, chat.bot_status if chat.type != "private" else "member")
    world.check_access(chat, "members")
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return member_json(user, status_of(chat, user.id))


@method("getChatMemberCount", {"chat_id"})
async def get_chat_member_count(world: World, p: Params) -> int:
    chat = world.chat(p.raw("chat_id"))
    world.check_access(chat, "members")
    return len(chat.member_ids) + (1 if chat.bot_member else 0)


@method("getFile", {"file_id"})
async def get_file(world: World, p: Params) -> JSON:
    if not p.get_str("file_id"):
        raise bad_request("file_id not specified")
    record = world.files.get(p.get_str("file_id") or "")
    if record is None:
        raise bad_request("invalid file_id")
    return media.file_object(record)
