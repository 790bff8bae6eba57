"""kill -9 in the middle of a broadcast: the next start resumes, nobody is lost, and only what
was in flight at the kill may arrive twice. A real child process running `linli run`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from sqlalchemy import func, select

from bench.broadcast_seed import seed_broadcast
from bot.db import Database
from bot.emulator.client import serve
from bot.emulator.state import World
from bot.migrate import upgrade_engine
from bot.outbox import FLUSH_SECONDS
from models.outbox import OutboxMessage
from tests.botenv import TOKEN

RECIPIENTS = 400
FIRST = 100_000
RATE = 100  # messages/s, so the kill lands mid-broadcast
CONCURRENCY = 8


def start_bot(db_url: str, api: str, files: str, log) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env |= {"LINLI_BOT_TOKEN": TOKEN, "LINLI_DATABASE_URL": db_url, "LINLI_API_BASE_URL": api,
            "LINLI_API_FILE_URL": files, "LINLI_OUTBOX_RATE": str(RATE),
            "LINLI_OUTBOX_CONCURRENCY": str(CONCURRENCY), "LINLI_OUTBOX_LEASE_SECONDS": "2",
            "LINLI_TICK_SECONDS": "3600", "LINLI_QUIET_HOURS": ""}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, stdout=log,
                            stderr=log)


async def until(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def test_kill_minus_nine_mid_broadcast_resumes_without_loss(db_url, tmp_path):
    db = Database(db_url)
    await upgrade_engine(db.engine)
    await seed_broadcast(db, recipients=RECIPIENTS, first_chat_id=FIRST)
    world = World(token=TOKEN)
    world.add_users(RECIPIENTS, first_id=FIRST)
    log = (tmp_path / "bot.log").open("wb")
    async with serve(world) as em:
        first = start_bot(db_url, em.bot_base_url, em.file_base_url, log)
        try:
            assert await until(lambda: world.total_delivered >= 80, 60), "nothing was sent"
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            at_kill = world.total_delivered
            assert at_kill < RECIPIENTS, "the kill came too late to test anything"
            second = start_bot(db_url, em.bot_base_url, em.file_base_url, log)
            try:
                everyone = lambda: len(world.delivered) >= RECIPIENTS  # noqa: E731
                assert await until(everyone, 90), (world.total_delivered, at_kill)
                async with db.session() as s:
                    await until(lambda: True, 0)
                    for _ in range(200):  # the last outcomes are written every ~100 ms
                        left = await s.scalar(select(func.count()).where(
                            OutboxMessage.status != "sent"))
                        await s.rollback()
                        if left == 0:
                            break
                        await asyncio.sleep(0.05)
                    assert left == 0
            finally:
                second.send_signal(signal.SIGTERM)
                assert second.wait(30) == 0
        finally:
            if first.poll() is None:
                first.kill()
    log.close()
    await db.dispose()
    assert sorted(world.delivered) == list(range(FIRST, FIRST + RECIPIENTS))  # nobody lost
    twice = sum(n - 1 for n in world.delivered.values())
    # only messages in flight at the kill: sends under way, plus outcomes not yet written
    # (they are written every FLUSH_SECONDS, i.e. up to RATE * FLUSH_SECONDS sends)
    bound = CONCURRENCY + int(RATE * FLUSH_SECONDS) + 2
    assert twice <= bound, (twice, (tmp_path / "bot.log").read_text())
