"""Telegram's sending limits in the emulator, delivery stats, bulk users, the standalone process.

The limiter runs on a fake clock (``World(limits_clock=...)``) that the tests move by hand, so
nothing here sleeps or depends on how fast the machine is. The bot side is PTB's real ``Bot`` or
raw HTTP, as a benchmark would use it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram import Bot
from telegram.error import Forbidden, RetryAfter

from bot.emulator import ApiError, RunningEmulator, World, serve
from bot.emulator.limits import Limiter, Window, parse_mode
from bot.emulator.params import METHODS, Params
from tests.commands import first_line

TOKEN = "123456789:emulator-limits-token"
ROOT = Path(__file__).resolve().parent.parent

# PTB 22 warns that RetryAfter.retry_after will become a timedelta whenever it builds one; the
# suite turns warnings into errors, which would replace the RetryAfter itself.
ptb_retry_after = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning")


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@pytest.fixture
def emu_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu_limited(emu_clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    async with serve(World(TOKEN, limits="telegram", limits_clock=emu_clock)) as running:
        yield running


@pytest.fixture
async def emu_http(emu_limited: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emu_limited.url) as http:
        yield http


@pytest.fixture
async def emu_bot(emu_limited: RunningEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu_limited.bot_base_url,
                   base_file_url=emu_limited.file_base_url) as bot:
        yield bot


async def bulk(http: httpx.AsyncClient, count: int, first_id: int = 500001) -> list[int]:
    response = await http.post("/control/users/bulk", json={"count": count, "first_id": first_id})
    assert response.status_code == 200, response.text
    return response.json()["ids"]


async def api(http: httpx.AsyncClient, method: str, **params: object) -> httpx.Response:
    return await http.post(f"/bot{TOKEN}/{method}", json=params)


async def direct_send(world: World, chat_id: int, **extra: object) -> None:
    """sendMessage straight through the handler, without HTTP, for counts in the thousands."""
    handler = METHODS["sendmessage"][1]
    await handler(world, Params({"chat_id": chat_id, "text": "notice", **extra}))


async def stats(http: httpx.AsyncClient) -> dict:
    return (await http.get("/control/stats")).json()


def too_many(retry_after: int) -> dict:
    return {"ok": False, "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after}}


async def test_limits_are_off_by_default() -> None:
    world = World(TOKEN, limits_clock=FakeClock())
    chat_id = world.add_user("Ann").id
    for _ in range(200):
        await direct_send(world, chat_id)
    assert world.delivered == {chat_id: 200} and world.rejected_429 == 0
    assert world.limits.to_json() == {"mode": "off", "rate": None}


async def test_thirty_per_second_across_chats_then_429_with_retry_after(
        emu_limited: RunningEmulator, emu_http: httpx.AsyncClient, emu_clock: FakeClock) -> None:
    ids = await bulk(emu_http, 31)
    for chat_id in ids[:30]:
        assert (await api(emu_http, "sendMessage", chat_id=chat_id, text="hi")).status_code == 200
    response = await api(emu_http, "sendMessage", chat_id=ids[30], text="hi")
    assert response.status_code == 429
    assert response.json() == too_many(1)
    emu_clock.advance(0.6)
    assert (await api(emu_http, "sendMessage", chat_id=ids[30], text="hi")).json() == too_many(1)
    # Rejected sends leave no message and are not delivered.
    assert await emu_limited.client.messages(ids[30]) == []
    numbers = await stats(emu_http)
    assert (numbers["total_delivered"], numbers["rejected_429"]) == (30, 2)
    assert str(ids[30]) not in numbers["delivered"]
    emu_clock.advance(0.4)  # the first 30 leave the one-second window
    response = await api(emu_http, "sendMessage", chat_id=ids[30], text="hi")
    assert response.status_code == 200 and response.json()["ok"] is True
    numbers = await stats(emu_http)
    assert numbers["total_delivered"] == 31 and numbers["delivered"][str(ids[30])] == 1
    assert numbers["first_delivery_at"] == 1000.0 and numbers["last_delivery_at"] == 1001.0
    calls = await emu_limited.client.calls(method="sendMessage")
    assert [c["error_code"] for c in calls].count(429) == 2


@ptb_retry_after
async def test_ptb_bot_raises_retry_after(
        emu_limited: RunningEmulator, emu_http: httpx.AsyncClient, emu_bot: Bot,
        emu_clock: FakeClock) -> None:
    group = (await emu_http.post("/control/chats", json={
        "title": "Building 3", "member_ids": await bulk(emu_http, 1)})).json()
    for n in range(20):
        await emu_bot.send_message(group["id"], f"notice {n}")
        emu_clock.advance(1.0)
    # 20 messages sent at t=0..19; at t=20 the group must wait until t=60.
    with pytest.raises(RetryAfter) as raised:
        await emu_bot.send_message(group["id"], "one too many")
    assert seconds(raised.value.retry_after) == 40
    emu_clock.advance(39.5)
    with pytest.raises(RetryAfter) as raised:
        await emu_bot.send_message(group["id"], "still too early")
    assert seconds(raised.value.retry_after) == 1
    emu_clock.advance(0.5)
    sent = await emu_bot.send_message(group["id"], "now")
    assert sent.text == "now"
    assert [m["text"] for m in await emu_limited.client.bot_messages(group["id"])][-2:] == [
        "notice 19", "now"]


async def test_private_chat_one_per_second_with_a_small_burst(emu_clock: FakeClock) -> None:
    world = World(TOKEN, limits="telegram", limits_clock=emu_clock)
    ann, bob = world.add_user("Ann").id, world.add_user("Bob").id
    for _ in range(3):
        await direct_send(world, ann)
    with pytest.raises(ApiError) as raised:
        await direct_send(world, ann)
    assert (raised.value.code, raised.value.parameters) == (429, {"retry_after": 3})
    await direct_send(world, bob)  # other chats are not held up
    emu_clock.advance(1.0)
    with pytest.raises(ApiError) as raised:
        await direct_send(world, ann)
    assert raised.value.parameters == {"retry_after": 2}
    emu_clock.advance(2.0)
    for _ in range(10):  # a steady one per second always passes
        await direct_send(world, ann)
        emu_clock.advance(1.0)
    await direct_send(world, ann)
    with pytest.raises(ApiError) as raised:  # but not two in the same second
        await direct_send(world, ann)
    assert raised.value.parameters == {"retry_after": 1}
    assert world.delivered == {ann: 14, bob: 1} and world.rejected_429 == 3


async def test_group_twenty_per_minute(emu_clock: FakeClock) -> None:
    world = World(TOKEN, limits="telegram", limits_clock=emu_clock)
    ann = world.add_user("Ann").id
    group = world.add_group("Building 3", [ann], type="supergroup").id
    for _ in range(20):
        await direct_send(world, group)
    emu_clock.advance(5.0)
    with pytest.raises(ApiError) as raised:
        await direct_send(world, group)
    retry_after = raised.value.parameters["retry_after"]
    assert 50 <= retry_after <= 60 and retry_after == 55
    emu_clock.advance(54.0)
    with pytest.raises(ApiError):
        await direct_send(world, group)
    emu_clock.advance(1.0)
    await direct_send(world, group)
    assert world.delivered[group] == 21


async def test_rate_mode_and_paid_broadcast(emu_clock: FakeClock) -> None:
    world = World(TOKEN, limits="rate=1000", limits_clock=emu_clock)
    ids = [u.id for u in world.add_users(1001, first_id=700001)]
    for chat_id in ids[:1000]:
        await direct_send(world, chat_id)
    with pytest.raises(ApiError) as raised:
        await direct_send(world, ids[1000])
    assert (raised.value.code, raised.value.parameters) == (429, {"retry_after": 1})
    emu_clock.advance(1.0)
    await direct_send(world, ids[1000])
    assert world.total_delivered == 1001 and world.rejected_429 == 1

    # Telegram mode: 30/s for ordinary messages, a separate 1,000/s for paid broadcasts.
    world.limits.configure("telegram")
    world.reset_stats()
    for chat_id in ids[:30]:
        await direct_send(world, chat_id)
    with pytest.raises(ApiError):
        await direct_send(world, ids[30])
    for chat_id in ids[:1000]:  # the first 30 chats take a second message: within their limit
        await direct_send(world, chat_id, allow_paid_broadcast="true")
    with pytest.raises(ApiError) as raised:
        await direct_send(world, ids[1000], allow_paid_broadcast=True)
    assert raised.value.parameters == {"retry_after": 1}
    assert (world.total_delivered, world.paid_delivered, world.rejected_429) == (1030, 1000, 2)


async def test_paid_broadcast_over_http(
        emu_http: httpx.AsyncClient, emu_clock: FakeClock) -> None:
    ids = await bulk(emu_http, 40)
    for chat_id in ids[:30]:
        await api(emu_http, "sendMessage", chat_id=chat_id, text="hi")
    assert (await api(emu_http, "sendMessage", chat_id=ids[30], text="hi")).status_code == 429
    # PTB sends booleans in forms as the string "true".
    response = await emu_http.post(f"/bot{TOKEN}/sendMessage", data={
        "chat_id": str(ids[30]), "text": "paid", "allow_paid_broadcast": "true"})
    assert response.status_code == 200
    assert (await stats(emu_http))["paid_delivered"] == 1


async def test_edits_and_other_methods_are_not_counted(
        emu_http: httpx.AsyncClient, emu_bot: Bot) -> None:
    [chat_id] = await bulk(emu_http, 1)
    sent = [await emu_bot.send_message(chat_id, f"m{n}") for n in range(3)]
    assert (await api(emu_http, "sendMessage", chat_id=chat_id, text="x")).status_code == 429
    for n in range(5):
        await emu_bot.edit_message_text(f"edited {n}", chat_id, sent[0].message_id)
    await emu_bot.send_chat_action(chat_id, "typing")
    await emu_bot.set_my_commands([("start", "Start")])
    numbers = await stats(emu_http)
    assert (numbers["total_delivered"], numbers["rejected_429"]) == (3, 1)


async def test_blocked_user_is_counted_as_403(
        emu_limited: RunningEmulator, emu_http: httpx.AsyncClient, emu_bot: Bot) -> None:
    ann, bob = await bulk(emu_http, 2)
    await emu_limited.client.set_blocked(ann)
    with pytest.raises(Forbidden):
        await emu_bot.send_message(ann, "notice")
    await emu_bot.send_message(bob, "notice")
    numbers = await stats(emu_http)
    assert numbers["blocked_403"] == 1 and numbers["delivered"] == {str(bob): 1}
    reset = (await emu_http.post("/control/stats/reset")).json()
    assert (reset["delivered"], reset["total_delivered"], reset["blocked_403"],
            reset["first_delivery_at"]) == ({}, 0, 0, None)


async def test_bulk_users(emu_limited: RunningEmulator, emu_http: httpx.AsyncClient) -> None:
    world = emu_limited.world
    seq = world.seq
    response = await emu_http.post("/control/users/bulk", json={
        "count": 10_000, "first_id": 900001, "language_code": "zh"})
    body = response.json()
    assert (body["count"], body["first_id"], body["last_id"]) == (10_000, 900001, 910000)
    assert len(world.users) == 10_000 and world.seq == seq + 1  # one change for all
    user = world.users[905000]
    assert (user.first_name, user.language_code) == ("User 5000", "zh")
    assert world.chats[905000].type == "private" and world.chats[905000].member_ids == {905000}
    auto = (await emu_http.post("/control/users/bulk", json={
        "count": 2, "first_name": "Tenant", "language_code": ["en", "zh"]})).json()
    assert auto["ids"] == [100001, 100002]
    assert [world.users[i].language_code for i in auto["ids"]] == ["en", "zh"]
    listed = (await emu_http.post("/control/users/bulk", json={"users": [
        {"first_name": "Ann", "id": 42, "language_code": "en"}, {"first_name": "Bob"}]})).json()
    assert listed["ids"] == [42, 100003] and world.users[42].first_name == "Ann"
    bad = await emu_http.post("/control/users/bulk", json={"count": -1})
    assert bad.status_code == 400


async def test_switching_limits_at_run_time(
        emu_limited: RunningEmulator, emu_http: httpx.AsyncClient) -> None:
    current = (await emu_http.get("/control/limits")).json()
    assert current["mode"] == "telegram" and current["rate"] == 30
    assert current["group_chat"] == {"limit": 20, "period": 60.0}
    rate = (await emu_http.post("/control/limits", json={"mode": "rate", "rate": 1000})).json()
    assert (rate["mode"], rate["rate"], rate["overall"]) == ("rate", 1000, {
        "limit": 1000, "period": 1.0})
    spec = await emu_http.post("/control/limits", json={"mode": "rate=250"})
    assert spec.json()["rate"] == 250
    for body in ({"mode": "rate"}, {"mode": "fast"}, {"mode": "rate", "rate": 0}, {}):
        response = await emu_http.post("/control/limits", json=body)
        assert response.status_code == 400 and response.json()["ok"] is False
    off = (await emu_http.post("/control/limits", json={"mode": "off"})).json()
    assert off == {"mode": "off", "rate": None}
    [chat_id] = await bulk(emu_http, 1)
    for _ in range(10):
        assert (await api(emu_http, "sendMessage", chat_id=chat_id, text="x")).status_code == 200
    # /control/reset forgets messages and counts, not the chosen mode.
    await emu_http.post("/control/limits", json={"mode": "telegram"})
    await emu_limited.client.reset()
    assert emu_limited.world.limits.mode == "telegram" and emu_limited.world.delivered == {}


def test_window_and_mode_parsing() -> None:
    window = Window(2, 1.0)
    window.add(0.0)
    window.add(0.5)
    assert window.wait(0.5) == 0.5 and window.wait(1.0) == 0.0
    assert Window.per_second(0.5).to_json() == {"limit": 1, "period": 2.0}
    assert parse_mode("rate=1000") == ("rate", 1000.0) and parse_mode("Telegram") == (
        "telegram", None)
    for bad in ("rate", "rate=-1", "rate=x", "fast"):
        with pytest.raises(ValueError):
            parse_mode(bad)
    limiter = Limiter("telegram", clock=lambda: 5.0)
    assert World(TOKEN, limits=limiter).limits is limiter


def test_standalone_process() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.emulator", "--host", "127.0.0.1", "--port", "0",
         "--token", TOKEN, "--limits", "rate=1000"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = first_line(process, 30.0)
        assert line.startswith("emulator listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        with httpx.Client(base_url=url, timeout=10.0) as http:
            me = http.post(f"/bot{TOKEN}/getMe").json()
            assert me["ok"] and me["result"]["id"] == 123456789
            assert http.get("/control/limits").json()["rate"] == 1000
            assert http.post("/bot123:wrong/getMe").status_code == 401
        # A long poll in progress must not hold the shutdown up: it is answered and ended.
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=15) as poll:
            poll.sendall(f"GET /bot{TOKEN}/getUpdates?timeout=50 HTTP/1.1\r\n"
                         f"Host: {host}\r\n\r\n".encode())
            deadline = time.monotonic() + 15
            while httpx.get(f"{url}/control/bot").json()["polls"] == 0:  # not yet held
                assert time.monotonic() < deadline, "the long poll never started"
                time.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
            assert poll.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_standalone_help() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.emulator", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert "--limits" in result.stdout and "--port" in result.stdout
