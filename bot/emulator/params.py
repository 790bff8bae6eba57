"""Request parameters as a Bot API server sees them, whatever the encoding; the method registry.

PTB sends form fields (numbers as strings, objects as JSON strings) and multipart uploads; other
clients send JSON bodies with native types. ``Params`` reads both the same way and turns a
malformed value into the 400 error Telegram would answer, so handlers never see an encoding
detail. Handlers register with ``@method("sendMessage", SEND_PARAMS | {"text", ...})``, listing
every parameter the Bot API defines for the method: the emulator refuses any other (Telegram
ignores them silently, which lets a misspelt or misplaced parameter pass unnoticed).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from starlette.datastructures import UploadFile
from starlette.requests import Request

from bot.emulator.state import World, bad_request


@dataclass
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or isinstance(value, Upload):
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float | None = None) -> float | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.data.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def upload(self, name: str) -> Upload | None:
        value = self.data.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.data.get(value.removeprefix("attach://"))
        return value if isinstance(value, Upload) else None


async def read_params(request: Request) -> Params:
    """Query string plus JSON, urlencoded or multipart body."""
    data: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data[key] = Upload(value.filename, value.content_type, await value.read())
                else:
                    data[key] = value
    else:
        body = await request.body()
        if body.strip():
            try:
                parsed = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON body") from None
            if not isinstance(parsed, dict):
                raise bad_request("JSON body must be an object")
            data.update(parsed)
    return Params(data)


Handler = Callable[[World, Params], Awaitable[Any]]


class Method(NamedTuple):
    name: str  # canonical spelling, e.g. "sendMessage"
    handler: Handler
    params: frozenset[str]  # every parameter the method accepts


# Lower-cased method name -> Method; Telegram matches names case-insensitively.
METHODS: dict[str, Method] = {}

# Parameters of every method that sends a message (Bot API 10.0), including the two that
# reply_parameters replaced but Telegram still reads.
SEND_PARAMS = frozenset({
    "business_connection_id", "chat_id", "message_thread_id", "direct_messages_topic_id",
    "disable_notification", "protect_content", "allow_paid_broadcast", "message_effect_id",
    "suggested_post_parameters", "reply_parameters", "reply_markup",
    "reply_to_message_id", "allow_sending_without_reply"})

# PTB fills these from its ``Defaults`` into every call it builds with ``_send_message``, edits
# and sendLocation included, where the Bot API defines no such parameter and Telegram ignores
# them; refusing them would refuse legitimate PTB calls.
PTB_DEFAULTS = frozenset({"disable_notification", "protect_content", "parse_mode"})


def method(name: str, params: Iterable[str] = ()) -> Callable[[Handler], Handler]:
    """Register a Bot API method handler accepting exactly ``params``."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = Method(name, handler, frozenset(params))
        return handler

    return register


def unknown_parameter(p: Params, known: frozenset[str]) -> str | None:
    """The first parameter the method does not have, or None. A multipart part that a known
    parameter refers to as ``attach://NAME`` (PTB's thumbnails) is part of that parameter."""
    attached = {value.removeprefix("attach://") for value in p.data.values()
                if isinstance(value, str) and value.startswith("attach://")}
    return next((name for name in p.data if name not in known and name not in attached), None)
