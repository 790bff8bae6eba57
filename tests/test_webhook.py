"""Webhook mode: secret checked, every update stored before the 200, processed exactly once,
and what a crash left unprocessed is processed after restart."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import func, select

from bot.webhook import InboxWorker, create_webhook_app
from models import inbox
from models.inbox import InboxUpdate

SECRET = "s3cret-token_for-webhook"


def start_update(update_id: int, user_id: int, text: str = "/start") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Alice", "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "Alice"}, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }}


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hook")


async def stored(db) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(InboxUpdate))


async def test_wrong_secret_is_refused_and_nothing_stored(env):
    worker = InboxWorker(env.app, env.db)
    async with client_for(create_webhook_app(env.db, worker, SECRET)) as http:
        no_header = await http.post("/telegram", json=start_update(1, 5))
        wrong = await http.post("/telegram", json=start_update(1, 5),
                                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        garbage = await http.post("/telegram", content=b"not json",
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert (no_header.status_code, wrong.status_code, garbage.status_code) == (403, 403, 400)
    assert await stored(env.db) == 0


async def test_duplicate_delivery_is_processed_once(env):
    alice = await env.user("Alice", language_code="en")
    worker = InboxWorker(env.app, env.db)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with client_for(create_webhook_app(env.db, worker, SECRET)) as http:
        for _ in range(3):  # Telegram retries when it did not see our 200 in time
            answer = await http.post("/telegram", json=start_update(77, alice), headers=headers)
            assert answer.status_code == 200
    assert await stored(env.db) == 1  # stored before the 200, once
    assert await worker.process_pending() == 1
    assert await worker.process_pending() == 0
    prompts = [m for m in await env.client.bot_messages(alice)
               if "Please choose your language" in m["text"]]
    assert len(prompts) == 1


async def test_update_stored_before_a_crash_is_processed_after_restart(env):
    alice = await env.user("Alice", language_code="en")
    async with env.db.session() as s:  # the 200 went out, then the process died
        assert await inbox.store(s, 78, start_update(78, alice))
    restarted = InboxWorker(env.app, env.db)
    assert await restarted.process_pending() == 1
    await env.wait(alice, "Please choose your language", since=0)
    async with env.db.session() as s:
        row = await s.scalar(select(InboxUpdate))
        assert row.processed_at is not None
