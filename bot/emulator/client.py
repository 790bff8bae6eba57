"""Drive the emulator from Python: ``EmulatorClient`` over the control API, and ``serve`` to run
an emulator inside the current event loop for a test or a script.

``serve`` runs uvicorn's server object directly (``startup``/``shutdown``) instead of
``Server.serve()``: that method installs SIGINT/SIGTERM handlers (uvicorn 0.54 has no switch to
turn that off) and ticks every 0.1 s, and ``Server.shutdown`` pauses 0.1 s, while the listening
sockets alone are all a test needs. The port is read back from the bound socket so ``port=0``
gives a free one.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from bot.emulator.server import create_app
from bot.emulator.state import JSON, World


class EmulatorError(RuntimeError):
    """The control API refused a request (its ``error`` text is the message)."""


class EmulatorClient:
    """Async client for the control API at ``base_url`` (e.g. ``http://127.0.0.1:8081``)."""

    def __init__(self, base_url: str, *, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_http = http is None
        # Over plain HTTP there is nothing to verify; skipping the TLS context saves ~30 ms per
        # client, which adds up when every test starts an emulator.
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=70.0),
                                               verify=not self.base_url.startswith("http://"))

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, verb: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(verb, f"{self.base_url}/control{path}", **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("error")
            except ValueError:
                detail = response.text
            raise EmulatorError(f"{verb} {path}: {response.status_code} {detail}")
        return response.json()

    async def _get(self, path: str, **params: Any) -> Any:
        return await self._call("GET", path, params={k: v for k, v in params.items()
                                                      if v is not None})

    async def _post(self, path: str, **body: Any) -> Any:
        return await self._call("POST", path, json={k: v for k, v in body.items()
                                                     if v is not None})

    # -- people and chats -------------------------------------------------------------------

    async def create_user(self, first_name: str = "User", *, id: int | None = None,
                          last_name: str | None = None, username: str | None = None,
                          language_code: str | None = None) -> JSON:
        return await self._post("/users", id=id, first_name=first_name, last_name=last_name,
                                username=username, language_code=language_code)

    async def create_group(self, title: str, member_ids: list[int], *, type: str = "group",
                           id: int | None = None, admin_ids: list[int] | None = None) -> JSON:
        return await self._post("/chats", title=title, member_ids=member_ids, type=type, id=id,
                                admin_ids=admin_ids)

    async def chats(self) -> list[JSON]:
        """Every chat, private ones too, as ``POST /control/chats`` answers them."""
        return await self._get("/chats")

    async def add_member(self, chat_id: int, user_id: int, *,
                         by_user_id: int | None = None) -> JSON:
        """The user joins the group (added by ``by_user_id``, or by link); returns the chat."""
        return await self._post(f"/chats/{chat_id}/members", user_id=user_id,
                                by_user_id=by_user_id)

    async def remove_member(self, chat_id: int, user_id: int, *,
                            by_user_id: int | None = None) -> JSON:
        """The user leaves the group (or is kicked by ``by_user_id``); returns the chat."""
        return await self._post(f"/chats/{chat_id}/members/remove", user_id=user_id,
                                by_user_id=by_user_id)

    async def set_bot_status(self, chat_id: int, status: str,
                             by_user_id: int | None = None) -> JSON:
        """Add, promote, demote, remove or ban the bot: ``status`` is member, administrator,
        left or kicked. Returns ``{"chat": ..., "update_id": ...}`` (the my_chat_member)."""
        return await self._post(f"/chats/{chat_id}/bot", status=status, by_user_id=by_user_id)

    async def migrate(self, chat_id: int, by_user_id: int | None = None) -> JSON:
        """Upgrade a group to a supergroup; returns the new chat."""
        return await self._post(f"/chats/{chat_id}/migrate", by_user_id=by_user_id)

    async def set_privacy(self, enabled: bool) -> JSON:
        """Switch group privacy mode; returns ``{"privacy_mode": enabled}``."""
        return await self._post("/privacy", enabled=enabled)

    async def set_blocked(self, user_id: int, blocked: bool = True) -> JSON:
        return await self._post("/blocked", user_id=user_id, blocked=blocked)

    async def reset(self) -> None:
        await self._post("/reset")

    # -- what users do ----------------------------------------------------------------------

    async def send(self, user_id: int, text: str, chat_id: int | None = None, *,
                   reply_to_message_id: int | None = None) -> JSON:
        """Send ``text`` as the user; returns ``{"message": ..., "update_id": ...}``."""
        return await self._post("/send", user_id=user_id, chat_id=chat_id, text=text,
                                reply_to_message_id=reply_to_message_id)

    async def send_photo(self, user_id: int, data: bytes, chat_id: int | None = None, *,
                         caption: str | None = None, file_name: str = "photo.jpg") -> JSON:
        return await self._post("/send_photo", user_id=user_id, chat_id=chat_id,
                                caption=caption, file_name=file_name,
                                data=base64.b64encode(data).decode())

    async def send_document(self, user_id: int, data: bytes, file_name: str,
                            chat_id: int | None = None, *, caption: str | None = None,
                            mime_type: str | None = None) -> JSON:
        return await self._post("/send_document", user_id=user_id, chat_id=chat_id,
                                caption=caption, file_name=file_name, mime_type=mime_type,
                                data=base64.b64encode(data).decode())

    async def send_location(self, user_id: int, latitude: float, longitude: float,
                            chat_id: int | None = None, *,
                            live_period: int | None = None) -> JSON:
        """Share a location; with ``live_period`` (seconds) a live one, see ``edit_location``."""
        return await self._post("/send_location", user_id=user_id, chat_id=chat_id,
                                latitude=latitude, longitude=longitude, live_period=live_period)

    async def edit(self, user_id: int, message_id: int, text: str,
                   chat_id: int | None = None) -> JSON:
        """The user edits their message's text (or a photo's or file's caption); returns
        ``{"message": ..., "update_id": ...}`` (the edited_message, or None)."""
        return await self._post("/edit", user_id=user_id, chat_id=chat_id,
                                message_id=message_id, text=text)

    async def edit_location(self, user_id: int, message_id: int, latitude: float,
                            longitude: float, chat_id: int | None = None) -> JSON:
        """The user's live location moves; queues an edited_message like ``edit``."""
        return await self._post("/edit_location", user_id=user_id, chat_id=chat_id,
                                message_id=message_id, latitude=latitude, longitude=longitude)

    async def press(self, user_id: int, chat_id: int, message_id: int | None = None, *,
                    data: str | None = None, text: str | None = None,
                    forge: bool = False) -> JSON:
        """Press an inline button by callback data or label; returns ``callback_query_id``.

        Without ``message_id`` the newest bot message in the chat carrying that button is used.
        """
        return await self._post("/press", user_id=user_id, chat_id=chat_id,
                                message_id=message_id, callback_data=data, button_text=text,
                                forge=forge or None)

    async def inject(self, update: JSON) -> int:
        return (await self._call("POST", "/updates", json=update))["update_id"]

    # -- what the bot did -------------------------------------------------------------------

    async def messages(self, chat_id: int, after: int = 0) -> list[JSON]:
        return await self._get(f"/chats/{chat_id}/messages", after=after)

    async def bot_messages(self, chat_id: int, after: int = 0) -> list[JSON]:
        return [m for m in await self.messages(chat_id, after) if m["from_bot"]]

    async def wait_bot_message(self, chat_id: int, after: int = 0, timeout: float = 10.0,
                               contains: str | None = None) -> JSON:
        """The first live bot message after ``after`` (containing ``contains``); waits for it."""
        found = await self._get("/wait", chat_id=chat_id, after=after, timeout=timeout,
                                contains=contains)
        if found:
            return found[0]
        transcript = "\n".join(_line(m) for m in await self.messages(chat_id))
        wanted = f" containing {contains!r}" if contains is not None else ""
        raise AssertionError(f"no bot message{wanted} in chat {chat_id} after message {after} "
                             f"within {timeout}s; transcript:\n{transcript or '(empty)'}")

    async def callback_answer(self, callback_query_id: str) -> JSON:
        return await self._get(f"/callback_answers/{callback_query_id}")

    async def wait_callback_answer(self, callback_query_id: str, timeout: float = 10.0) -> JSON:
        answer = await self._get(f"/callback_answers/{callback_query_id}", timeout=timeout)
        if not answer["answered"]:
            raise AssertionError(f"callback query {callback_query_id} was not answered "
                                 f"within {timeout}s")
        return answer

    async def calls(self, after: int = 0, method: str | None = None) -> list[JSON]:
        return await self._get("/calls", after=after, method=method)

    async def commands(self, chat_id: int, language_code: str | None = None,
                       user_id: int | None = None) -> list[JSON]:
        return await self._get("/commands", chat_id=chat_id, language_code=language_code,
                               user_id=user_id)


def _line(message: JSON) -> str:
    who = "bot" if message["from_bot"] else message.get("from", {}).get("first_name", "?")
    body = message.get("text") or message.get("caption") or next(
        (f"[{k}]" for k in ("photo", "document", "location") if k in message), "")
    flags = "".join([" (edited)" if message.get("edit_date") else "",
                     " (deleted)" if message.get("deleted") else ""])
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard")
    buttons = f" {[b.get('text') for row in keyboard for b in row]}" if keyboard else ""
    return f"  #{message['message_id']} {who}: {body}{buttons}{flags}"


@dataclass
class RunningEmulator:
    url: str
    world: World
    client: EmulatorClient

    @property
    def bot_base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"


# seconds an idle client connection stays open. Far longer than a client keeps one idle
# (aiohttp: 15 s): with uvicorn's default of 5 s the emulator closed connections the bot's
# pool still held, and a call that went out on one just as it closed failed with a
# NetworkError (seen under load as a lost chart after the second scrutineer confirmed)
KEEP_ALIVE = 300


@asynccontextmanager
async def listen(app: Any, host: str = "127.0.0.1",
                 port: int = 0) -> AsyncIterator[tuple[uvicorn.Server, int]]:
    """Serve an ASGI app in the current event loop; yields the server and its bound port.

    Raises ``OSError`` when the port cannot be bound (uvicorn itself would exit the process).
    """
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", http="h11", ws="none",
                            log_config=None, access_log=False, timeout_graceful_shutdown=2,
                            timeout_keep_alive=KEEP_ALIVE)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup()
    except SystemExit:
        # uvicorn exits the process when it cannot bind; a caller wants an exception instead.
        raise OSError(f"could not listen on {host}:{port}") from None
    try:
        yield server, server.servers[0].sockets[0].getsockname()[1]
    finally:
        await _stop(server)


@asynccontextmanager
async def serve(world: World | None = None, host: str = "127.0.0.1",
                port: int = 0) -> AsyncIterator[RunningEmulator]:
    """Run an emulator in the current event loop for the duration of the ``async with``."""
    world = world if world is not None else World()
    world.closing = False
    async with listen(create_app(world), host, port) as (_server, bound_port):
        url = f"http://{host}:{bound_port}"
        client = EmulatorClient(url)
        try:
            yield RunningEmulator(url, world, client)
        finally:
            await client.aclose()
            # End long polls first so open requests finish and their connections close promptly.
            world.close()


async def _stop(server: uvicorn.Server, grace: float = 2.0) -> None:
    """``Server.shutdown`` without its fixed 0.1 s pause: close, drain, then force."""
    for listener in server.servers:
        listener.close()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()  # closes idle keep-alive connections, ends busy ones after reply
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    # uvicorn offers no event for "last connection closed", so poll briefly.
    while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    for task in list(state.tasks):
        task.cancel()
    for connection in list(state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.close()
    for listener in server.servers:
        await listener.wait_closed()
    await server.lifespan.shutdown()
