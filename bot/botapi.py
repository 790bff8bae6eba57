"""A lean Bot API client for the outbox's hot path.

Broadcasts send thousands of messages whose answers we only need the message id of; turning
each answer into python-telegram-bot's `Message` object (and building requests through its
object layer) cost the outbox a third of its throughput on these 2-core machines (measured in
`python -m bench broadcast`). This posts the same form-encoded requests PTB sends and maps
Telegram's answers to four outcomes. Everything else — handlers, menus, edits — uses PTB.

A broadcast is a few messages sent to many chats: `send` takes the form of a message already
encoded (`encode`, once per message) and adds the chat, so the per-send work is the HTTP.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx

# A message sent, as Telegram answers it (compact JSON, the message id first): the id is all
# the outbox keeps, read without decoding the whole answer; anything else is decoded in full.
_SENT = re.compile(rb'\{"ok":true,"result":\{"message_id":(\d+)[,}]')
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class ApiError(Exception):
    """Telegram said no; `description` is Telegram's text."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class RetryLater(ApiError):
    """429 Too Many Requests: wait `seconds`, then try again."""

    def __init__(self, description: str, seconds: float) -> None:
        super().__init__(description)
        self.seconds = seconds


class Blocked(ApiError):
    """403: the person blocked the bot, or left the group; never retry."""


class Rejected(ApiError):
    """Another 4xx (chat not found, message too long …): retrying will not help."""


class Migrated(Rejected):
    """400: the group became a supergroup; send to `new_chat_id` instead."""

    def __init__(self, description: str, new_chat_id: int) -> None:
        super().__init__(description)
        self.new_chat_id = new_chat_id


class Unavailable(ApiError):
    """A network error or a 5xx: worth a later retry."""


class BotApi:
    """POSTs to `{base_url}/{method}`, where `base_url` already includes the token."""

    def __init__(self, base_url: str, *, connections: int = 10, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._urls: dict[str, httpx.URL] = {}  # each method's, parsed once
        self.http = httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=connections,
                                                 max_keepalive_connections=connections))

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Call a method; return its `result` or raise one of the errors above."""
        try:
            response = await self.http.post(self._url(method), data=form(params))
        except httpx.HTTPError as error:
            raise Unavailable(f"{type(error).__name__}: {error}") from None
        return _result(response)

    async def edit(self, chat_id: int, message_id: int, text: str, *,
                   markup: dict[str, Any] | None, caption: bool = False) -> None:
        """Replace a message's text (or a photo's or file's caption) and its buttons (None
        removes them). A message that already says exactly that is left as it is."""
        params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id,
                                  "parse_mode": "HTML", "reply_markup": markup,
                                  "caption" if caption else "text": text}
        try:
            await self.call("editMessageCaption" if caption else "editMessageText", params)
        except Rejected as error:
            if "not modified" not in error.description:
                raise

    async def send(self, method: str, chat_id: int, encoded: bytes) -> int:
        """Send a message (`encoded`: the rest of its form, see `encode`) to a chat; return
        its message id or raise one of the errors above."""
        try:
            response = await self.http.post(
                self._url(method), content=b"chat_id=%d%s" % (chat_id, encoded), headers=_FORM)
        except httpx.HTTPError as error:
            raise Unavailable(f"{type(error).__name__}: {error}") from None
        sent = _SENT.match(response.content)
        if sent is not None:
            return int(sent[1])
        return int(_result(response)["message_id"])

    def _url(self, method: str) -> httpx.URL:
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = httpx.URL(f"{self.base_url}/{method}")
        return url


def form(params: dict[str, Any]) -> dict[str, str]:
    """Parameters as the form fields Telegram reads: objects as JSON, booleans in lower case,
    None left out."""
    return {k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, dict | list)
            else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in params.items() if v is not None}


def encode(params: dict[str, Any]) -> bytes:
    """A message's form without its chat, for `send`: encoded as the form of `call` would be
    (after `chat_id=…`)."""
    fields = form(params)
    return b"&" + urlencode(fields).encode() if fields else b""


def _result(response: httpx.Response) -> Any:
    """The `result` of Telegram's answer, or the error it stands for."""
    try:
        answer = response.json()
    except ValueError as error:
        raise Unavailable(f"{type(error).__name__}: {error}") from None
    if answer.get("ok"):
        return answer.get("result")
    code = int(answer.get("error_code") or response.status_code)
    description = str(answer.get("description") or response.reason_phrase)
    if code == 429:
        seconds = float((answer.get("parameters") or {}).get("retry_after") or 1)
        raise RetryLater(description, seconds)
    if code == 403:
        raise Blocked(description)
    moved = (answer.get("parameters") or {}).get("migrate_to_chat_id")
    if code == 400 and isinstance(moved, int) and not isinstance(moved, bool):
        raise Migrated(description, moved)
    if 400 <= code < 500:
        raise Rejected(description)
    raise Unavailable(description)
