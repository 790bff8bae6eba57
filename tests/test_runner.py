"""`linli run` as deployed: long polling, and the webhook server, against the emulator."""

from __future__ import annotations

import asyncio
import socket

import httpx
from pydantic import SecretStr

from bot.config import Settings
from bot.db import Database
from bot.emulator.client import serve as serve_emulator
from bot.emulator.state import World
from bot.migrate import upgrade_engine
from bot.runner import serve
from tests.botenv import TOKEN
from tests.test_webhook import SECRET, start_update


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def migrated(db_url: str) -> None:
    db = Database(db_url)
    await upgrade_engine(db.engine)
    await db.dispose()


async def test_polling_mode_answers(db_url):
    await migrated(db_url)
    async with serve_emulator(World(token=TOKEN)) as em:
        settings = Settings(bot_token=SecretStr(TOKEN), database_url=db_url,
                            api_base_url=em.bot_base_url, api_file_url=em.file_base_url)
        stop = asyncio.Event()
        running = asyncio.create_task(serve(settings, TOKEN, stop=stop))
        alice = (await em.client.create_user("Alice", language_code="en"))["id"]
        await em.client.send(alice, "/start")
        reply = await em.client.wait_bot_message(alice, contains="Please choose your language")
        assert reply
        stop.set()
        await asyncio.wait_for(running, 30)


async def test_webhook_mode_stores_and_answers(db_url):
    await migrated(db_url)
    port = free_port()
    async with serve_emulator(World(token=TOKEN)) as em:
        settings = Settings(
            bot_token=SecretStr(TOKEN), database_url=db_url, api_base_url=em.bot_base_url,
            api_file_url=em.file_base_url, webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_secret=SecretStr(SECRET), webhook_port=port,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(serve(settings, TOKEN, stop=stop))
        alice = (await em.client.create_user("Alice", language_code="en"))["id"]
        async with httpx.AsyncClient() as http:
            for _ in range(200):  # until the server listens
                try:
                    answer = await http.post(
                        f"http://127.0.0.1:{port}/hook", json=start_update(5, alice),
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert answer.status_code == 200
        await em.client.wait_bot_message(alice, contains="Please choose your language")
        info = [c for c in await em.client.calls() if c["method"] == "setWebhook"]
        assert info and info[0]["ok"]
        stop.set()
        await asyncio.wait_for(running, 30)
