"""The bot's HTTP transport for python-telegram-bot: PTB's `BaseRequest` over aiohttp.

PTB builds every Bot API call and reads every answer; a `BaseRequest` only posts the form it
is given and returns the status and the body (PTB's documented extension point). PTB's own
transport is httpx, which on these 2-core machines costs 0.9–1.7 ms of CPU per call against
the emulator (more the more connections its pool holds: httpcore checks every pooled
connection's socket on each request), where aiohttp, with its HTTP parser in C, costs
0.2–0.4 ms (`python -m bench presses`, and a bare loop of 3,000 `sendMessage` calls at 1, 4
and 16 at once). A button press makes two or three calls, so the transport was most of a
press's CPU. Requests, answers, errors and timeouts are what PTB's httpx transport gives:
`TimedOut` for a timeout, `NetworkError` for anything else that fails on the way.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT_TIMEOUT = 5.0  # PTB's HTTPXRequest defaults: read, write and connect
_POOL_TIMEOUT = 1.0
_MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of `connection_pool_size` keep-alive connections."""

    __slots__ = ("_pool_size", "_read_timeout", "_session")

    def __init__(self, connection_pool_size: int = 1,
                 read_timeout: float | None = _DEFAULT_TIMEOUT) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # (made here, on the loop that runs the bot; no cookies, no proxies from the
            # environment, no compressed answers to undo: the Bot API sends none)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                headers={"User-Agent": self.USER_AGENT}, auto_decompress=False)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = ((_MEDIA_WRITE_TIMEOUT if files else _DEFAULT_TIMEOUT)
                 if isinstance(write_timeout, DefaultValue) else write_timeout)
        connect = (_DEFAULT_TIMEOUT if isinstance(connect_timeout, DefaultValue)
                   else connect_timeout)
        pool = _POOL_TIMEOUT if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no write timeout: a request as a whole may take the four together
        parts = (read, write, connect, pool)
        total = None if any(p is None for p in parts) else sum(p for p in parts if p)
        timeout = aiohttp.ClientTimeout(
            total=total, sock_connect=connect, sock_read=read,
            connect=None if pool is None or connect is None else pool + connect)
        body: Any = _form(fields, files) if files else fields
        try:
            async with self._session.request(method, url, data=body,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are asyncio's too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def _form(fields: dict[str, str] | None, files: dict[str, Any]) -> aiohttp.FormData:
    """A multipart form: the call's parameters, then its files as PTB gives them (name,
    content, MIME type)."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
