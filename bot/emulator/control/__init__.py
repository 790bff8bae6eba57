"""The control API: what users do (send, edit, press, share a photo or a location, join and leave
groups, add the bot, upgrade a group) and what the bot did (transcripts, callback answers, the
call log, the command menu), as plain JSON over HTTP.

Tests, scripts and the sandbox page all use this one API (documented in README.md). Successful
answers are plain JSON; errors are ``{"ok": false, "error": "..."}`` with a 4xx status. Long polls
(``/wait``, callback answers with ``timeout``) ride on ``World.wait_change``.

The routes are listed here, in one table; their handlers live by area: ``chats.py`` (users,
chats, membership, privacy, blocking), ``actions.py`` (what a user sends, edits and presses, raw
updates) and ``inspection.py`` (what the bot did, limits, stats, reset).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.emulator.control import actions, chats, inspection
from bot.emulator.control.common import MAX_WAIT, ControlError, Handler
from bot.emulator.params import read_params
from bot.emulator.state import ApiError, World

__all__ = ["MAX_WAIT", "ControlError", "control_routes"]

TABLE: list[tuple[str, Handler, str]] = [
    ("/users", chats.create_user, "POST"), ("/users", chats.list_users, "GET"),
    ("/users/bulk", chats.create_users, "POST"),
    ("/chats", chats.create_chat, "POST"), ("/chats", chats.list_chats, "GET"),
    ("/chats/{chat_id}/members", chats.add_member, "POST"),
    ("/chats/{chat_id}/members/remove", chats.remove_member, "POST"),
    ("/chats/{chat_id}/bot", chats.set_bot_status, "POST"),
    ("/chats/{chat_id}/migrate", chats.migrate, "POST"),
    ("/chats/{chat_id}/messages", inspection.chat_messages, "GET"),
    ("/send", actions.send, "POST"), ("/send_photo", actions.send_photo, "POST"),
    ("/send_document", actions.send_document, "POST"),
    ("/send_location", actions.send_location, "POST"),
    ("/edit", actions.edit, "POST"), ("/edit_location", actions.edit_location, "POST"),
    ("/privacy", chats.set_privacy, "POST"),
    ("/press", actions.press, "POST"), ("/updates", actions.inject, "POST"),
    ("/updates", inspection.pending_updates, "GET"), ("/wait", inspection.wait, "GET"),
    ("/callback_answers/{query_id}", inspection.callback_answer, "GET"),
    ("/callback_answers", inspection.callback_answers, "POST"),
    ("/calls", inspection.calls, "GET"),
    ("/commands", inspection.commands, "GET"), ("/blocked", chats.blocked, "POST"),
    ("/bot", inspection.bot_info, "GET"), ("/reset", inspection.reset, "POST"),
    ("/limits", inspection.get_limits, "GET"), ("/limits", inspection.set_limits, "POST"),
    ("/stats", inspection.stats, "GET"), ("/stats/reset", inspection.reset_stats, "POST"),
]


def control_routes(world: World) -> list[Route]:
    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                params = await read_params(request)
                return JSONResponse(await handler(world, params, request))
            except ControlError as error:
                return JSONResponse({"ok": False, "error": str(error)}, status_code=error.status)
            except ApiError as error:
                return JSONResponse({"ok": False, "error": error.description},
                                    status_code=error.code)
            except ValueError as error:
                return JSONResponse({"ok": False, "error": str(error)}, status_code=400)

        return run

    return [Route(path, endpoint(handler), methods=[verb]) for path, handler, verb in TABLE]
