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


POISON = {"message": {"message_id": 1}}  # no chat, no date: the library cannot read it


async def test_polling_keeps_answering_after_a_poison_update_and_restarts(db_url):
    await migrated(db_url)
    async with serve_emulator(World(token=TOKEN)) as em:
        settings = Settings(bot_token=SecretStr(TOKEN), database_url=db_url,
                            api_base_url=em.bot_base_url, api_file_url=em.file_base_url)
        alice = (await em.client.create_user("Alice", language_code="en"))["id"]
        for text, expect in (("/start", "Please choose your language"),
                             ("/help", "What I can do")):
            stop = asyncio.Event()
            running = asyncio.create_task(serve(settings, TOKEN, stop=stop))
            await em.client.inject(dict(POISON))
            sent = await em.client.send(alice, text)
            reply = await em.client.wait_bot_message(
                alice, after=sent["message"]["message_id"], contains=expect)
            assert reply
            stop.set()
            await asyncio.wait_for(running, 30)
        assert (await em.client._get("/bot"))["pending_updates"] == 0


async def test_webhook_starts_past_a_stored_poison_update_and_keeps_answering(db_url):
    from models import inbox

    await migrated(db_url)
    port = free_port()
    async with serve_emulator(World(token=TOKEN)) as em:
        alice = (await em.client.create_user("Alice", language_code="en"))["id"]
        db = Database(db_url)
        async with db.session() as s:  # left by a run that died before processing them
            await inbox.store(s, 10, {"update_id": 10, **POISON})
            await inbox.store(s, 11, start_update(11, alice))
        await db.dispose()
        settings = Settings(
            bot_token=SecretStr(TOKEN), database_url=db_url, api_base_url=em.bot_base_url,
            api_file_url=em.file_base_url, webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_secret=SecretStr(SECRET), webhook_port=port,
        )
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        stop = asyncio.Event()
        running = asyncio.create_task(serve(settings, TOKEN, stop=stop))
        await em.client.wait_bot_message(alice, contains="Please choose your language")
        async with httpx.AsyncClient() as http:
            for _ in range(200):  # until the server listens
                try:
                    poisoned = await http.post(f"http://127.0.0.1:{port}/hook",
                                               json={"update_id": 12, **POISON},
                                               headers=headers)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            helped = await http.post(f"http://127.0.0.1:{port}/hook",
                                     json=start_update(13, alice, "/help"), headers=headers)
        assert (poisoned.status_code, helped.status_code) == (200, 200)
        await em.client.wait_bot_message(alice, contains="What I can do")
        stop.set()
        await asyncio.wait_for(running, 30)
