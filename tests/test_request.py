"""The bot's HTTP transport (bot/request.py): PTB's Bot over aiohttp does what it does over
httpx — calls with parameters and with uploaded files, downloads, Telegram's errors as PTB's
exceptions, a server that does not answer as `TimedOut`, one that is not there as
`NetworkError`."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.emulator.client import RunningEmulator
from bot.request import AiohttpRequest
from tests.conftest import EMULATOR_TOKEN


@pytest.fixture
async def bot(emu_server: RunningEmulator) -> AsyncIterator[Bot]:
    async with Bot(EMULATOR_TOKEN, base_url=emu_server.bot_base_url,
                   base_file_url=emu_server.file_base_url,
                   request=AiohttpRequest(connection_pool_size=8),
                   get_updates_request=AiohttpRequest()) as bot:
        yield bot


async def test_messages_uploads_downloads_and_updates_go_through(
        emu_server: RunningEmulator, bot: Bot) -> None:
    user = await emu_server.client.create_user("Ann", language_code="en")
    sent = await bot.send_message(user["id"], "<b>水管</b> & 电梯", parse_mode="HTML")
    assert sent.text == "水管 & 电梯" and sent.entities[0].type == "bold"
    doc = await bot.send_document(user["id"], b"a,b\n1,2\n", filename="tally.csv",
                                  caption="计票 tally")
    assert doc.document.file_name == "tally.csv" and doc.caption == "计票 tally"
    assert await (await doc.document.get_file()).download_as_bytearray() == b"a,b\n1,2\n"
    await emu_server.client.send(user["id"], "你好")
    (update,) = await bot.get_updates(timeout=5)
    assert update.message.text == "你好"
    # many calls at once share the pool and all arrive
    texts = [f"第{i}条" for i in range(40)]
    got = await asyncio.gather(*(bot.send_message(user["id"], t) for t in texts))
    assert [m.text for m in got] == texts


async def test_telegrams_refusal_is_ptbs_exception(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "nobody")


async def test_a_server_that_is_not_there_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{EMULATOR_TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert EMULATOR_TOKEN not in str(caught.value)  # (it is logged: no token in it)


async def test_a_server_that_never_answers_times_out() -> None:
    accepted = asyncio.Event()

    handled = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        try:
            await reader.read(-1)  # reads the request, never answers
        finally:
            writer.close()
            await writer.wait_closed()
            handled.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        request = AiohttpRequest(read_timeout=0.2)
        await request.initialize()
        try:
            with pytest.raises(TimedOut):
                await request.post(f"http://127.0.0.1:{port}/bot{EMULATOR_TOKEN}/getMe")
            assert accepted.is_set()
        finally:
            await request.shutdown()
        # the client hung up: the handler closes its side before the loop ends
        # (Python 3.11's wait_closed does not wait for handlers)
        await handled.wait()
    finally:
        server.close()
        await server.wait_closed()


async def test_the_emulator_keeps_an_idle_connection_the_bot_still_pools(
        emu_server: RunningEmulator) -> None:
    """aiohttp keeps an idle connection for 15 s and sends the next call on it: the emulator
    must not close it first (uvicorn's default closed it after 5 s, and a call that went out
    just then failed as a NetworkError). After longer than those 5 s idle, the same
    connection still answers."""
    host, port = emu_server.bot_base_url.removeprefix("http://").split("/")[0].split(":")
    request = (f"POST /bot{EMULATOR_TOKEN}/getMe HTTP/1.1\r\nHost: {host}\r\n"
               "Content-Length: 0\r\n\r\n").encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for _ in range(2):
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200"), head
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            await reader.readexactly(length)
            await asyncio.sleep(5.5)  # idle: the condition under test, not a wait for an event
    finally:
        writer.close()
