"""Control routes for what the bot did and how the world is set: queued updates, chat
transcripts, waiting for a bot message or a callback answer, the call log, the command menu a
user sees, the bot's identity, sending limits, delivery stats, and forgetting everything."""

from __future__ import annotations

from starlette.requests import Request

from bot.emulator.control.common import ControlError, long_poll
from bot.emulator.params import Params
from bot.emulator.records import Call
from bot.emulator.state import JSON, Chat, Message, World


def _bot_messages(chat: Chat, after: int, since: int | None,
                  contains: str | None) -> list[Message]:
    return [m for m in chat.messages.values()
            if m.from_bot and not m.deleted and m.message_id > after
            and (since is None or m.seq > since)
            and (contains is None or contains in (m.text or m.caption or ""))]


async def pending_updates(world: World, p: Params, _: Request) -> list[JSON]:
    return world.updates


async def chat_messages(world: World, p: Params, request: Request) -> list[JSON]:
    chat = world.chat(request.path_params["chat_id"])
    after, since = p.get_int("after", 0) or 0, p.get_int("since")
    return [world.message_to_control(m) for m in chat.messages.values()
            if m.message_id > after and (since is None or m.seq > since)]


async def wait(world: World, p: Params, _: Request) -> list[JSON]:
    chat = world.chat(p.raw("chat_id"))
    after, since, contains = p.get_int("after", 0) or 0, p.get_int("since"), p.get_str(
        "contains")
    found = await long_poll(world, lambda: _bot_messages(chat, after, since, contains),
                            p.get_float("timeout", 10.0) or 0.0)
    return [world.message_to_control(m) for m in found or []]


async def callback_answer(world: World, p: Params, request: Request) -> JSON:
    record = world.callback_answers.get(request.path_params["query_id"])
    if record is None:
        raise ControlError(404, "unknown callback_query_id")
    await long_poll(world, lambda: record["answered"], p.get_float("timeout", 0.0) or 0.0)
    return record


async def callback_answers(world: World, p: Params, _: Request) -> JSON:
    """Many callback queries' answers at once, waiting (up to ``timeout``) until every known
    one is answered: one long poll for a whole burst of presses."""
    ids = p.get_json("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ControlError(400, "ids is a list of callback_query_id strings")
    records = {i: world.callback_answers.get(i) for i in ids}
    waiting = [r for r in records.values() if r is not None]

    def all_answered() -> bool:
        waiting[:] = [r for r in waiting if not r["answered"]]
        return not waiting

    await long_poll(world, all_answered, p.get_float("timeout", 0.0) or 0.0)
    return records


async def calls(world: World, p: Params, _: Request) -> list[JSON]:
    after, name = p.get_int("after", 0) or 0, p.get_str("method")
    count = p.get_int("count", 0) or 0
    found: list[Call] = []
    seen = after  # calls looked at so far: each change looks only at the new ones

    def enough() -> bool:
        nonlocal seen
        found.extend(c for c in world.calls[seen:]
                     if name is None or c.method.lower() == name.lower())
        seen = max(seen, len(world.calls))
        return len(found) >= count

    if count > 0:  # wait (up to ``timeout``) until at least ``count`` such calls were made
        await long_poll(world, enough, p.get_float("timeout", 0.0) or 0.0)
    else:
        enough()
    return [c.to_json() for c in found]


async def commands(world: World, p: Params, _: Request) -> list[JSON]:
    chat_id = p.get_int("chat_id")
    if chat_id is None:
        raise ControlError(400, "chat_id is required")
    return world.visible_commands(chat_id, p.get_str("language_code"), p.get_int("user_id"))


async def bot_info(world: World, p: Params, _: Request) -> JSON:
    return {"bot": world.bot.to_api(), "webhook": world.webhook,
            "privacy_mode": world.privacy_mode, "seq": world.seq,
            "pending_updates": len(world.updates), "polls": world.polls}


async def get_limits(world: World, p: Params, _: Request) -> JSON:
    return world.limits.to_json()


async def set_limits(world: World, p: Params, _: Request) -> JSON:
    mode = p.get_str("mode")
    rate = p.get_float("rate")
    if mode is None and rate is None:
        raise ControlError(400, 'give "mode" (off, telegram, rate) and, for rate, "rate"')
    world.limits.configure(mode or "rate", rate)
    world.changed("limits")
    return world.limits.to_json()


async def stats(world: World, p: Params, _: Request) -> JSON:
    return world.stats()


async def reset_stats(world: World, p: Params, _: Request) -> JSON:
    world.reset_stats()
    return world.stats()


async def reset(world: World, p: Params, _: Request) -> JSON:
    world.reset()
    return {"ok": True}
