"""The emulator's HTTP face: the Bot API under ``/bot<token>/<method>``, file downloads under
``/file/bot<token>/<path>`` and the control API under ``/control``.

Responses use Telegram's envelope and HTTP status (the error code), which is what PTB inspects to
raise ``BadRequest``, ``Forbidden``, ``InvalidToken`` and friends. A parameter the method does not
have is refused before the method runs. Every Bot API call, good or bad, is written to
``World.calls`` for the inspector.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

# Imported for their @method registrations.
from bot.emulator import messages as _messages  # noqa: F401
from bot.emulator import service as _service  # noqa: F401
from bot.emulator.control import control_routes
from bot.emulator.params import METHODS, Params, read_params, unknown_parameter
from bot.emulator.state import ApiError, World, bad_request


def api_error(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": error.code,
                            "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return JSONResponse(body, status_code=error.code)


def _summary(params: Params | None) -> str:
    if params is None:
        return ""
    for key in ("text", "caption", "data", "action", "url"):
        value = params.get_str(key)
        if value:
            return value if len(value) <= 80 else value[:79] + "…"
    return ""


def _chat_id(params: Params | None) -> int | str | None:
    value = params.raw("chat_id") if params is not None else None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value if isinstance(value, int | str) else None


async def _read_params(request: Request) -> Params:
    """``read_params``, with a fast path for urlencoded forms (every PTB call without a file).

    Starlette's form parser costs about as much as the rest of a sendMessage; ``parse_qsl`` on
    the body gives the same fields (the last of a repeated name wins, as in ``read_params``).
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return await read_params(request)
    data: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    data.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return Params(data)


class _Disconnected(Exception):
    pass


async def _unless_disconnected(request: Request, work: Awaitable[Any]) -> Any:
    """Run a long poll, abandoning it when the client hangs up first."""
    async def hang_up() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(hang_up())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, watcher):
            if not pending.done():
                pending.cancel()
        await asyncio.gather(task, watcher, return_exceptions=True)
    if task.cancelled():
        raise _Disconnected
    return task.result()


def create_app(world: World) -> Starlette:
    async def bot_api(request: Request) -> Response:
        name = request.path_params["method"]
        entry = METHODS.get(name.lower())
        canonical = entry.name if entry else name
        params: Params | None = None
        try:
            if world.token is not None and request.path_params["token"] != world.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            params = await _read_params(request)
            unknown = unknown_parameter(params, entry.params)
            if unknown is not None:
                raise bad_request(f"unknown parameter {unknown}")
            if entry.name == "getUpdates":
                result = await _unless_disconnected(request, entry.handler(world, params))
            else:
                result = await entry.handler(world, params)
        except _Disconnected:
            # PTB abandoned this poll (it is stopping); nobody will read an answer, so log none.
            return Response(status_code=204)
        except ApiError as error:
            world.log_call(canonical, _chat_id(params), error)
            return api_error(error)
        world.log_call(canonical, _chat_id(params), None, _summary(params))
        return JSONResponse({"ok": True, "result": result})

    async def download(request: Request) -> Response:
        if world.token is not None and request.path_params["token"] != world.token:
            return api_error(ApiError(401, "Unauthorized"))
        record = world.file_by_path(request.path_params["file_path"])
        if record is None:
            return api_error(ApiError(404, "Not Found"))
        return Response(record.data, media_type=record.mime_type or "application/octet-stream")

    app = Starlette(routes=[
        Route("/bot{token}/{method}", bot_api, methods=["GET", "POST"]),
        Route("/file/bot{token}/{file_path:path}", download, methods=["GET"]),
        Mount("/control", routes=control_routes(world)),
    ])
    app.state.world = world
    return app
