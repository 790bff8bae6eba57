"""`linli sandbox` without a browser: the demo community, a port already taken, --reset and
kept state, and Ctrl-C, through `run_sandbox` and the real command in a subprocess."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.demo import (
    COMMITTEE_ID,
    GROUPS,
    PERSONAS,
    PLEDGE_TITLE,
    PLEDGE_TITLE_EN,
    SIGNED_ID,
    STAFF_ID,
)
from bot.demo_vote import CLOSED_BALLOTS, CLOSED_TITLE, VOTE_TITLE
from bot.emulator.client import EmulatorClient
from bot.sandbox import Sandbox, SandboxError, SandboxOptions, run_sandbox
from models.groups import ChatBinding
from models.notices import Notice
from models.people import Membership, MembershipStatus, Person, RoleGrant, person_by_telegram
from models.places import Place, PlaceKind
from models.pledges import Pledge, PledgeStatus, Signature
from models.votes.tables import Vote, VoteStatus
from tests.commands import first_line

NEWCOMER = 1011


def options(tmp_path: Path, **changes: object) -> SandboxOptions:
    return SandboxOptions(**{"db_path": tmp_path / "sandbox.sqlite", "port": 0, "api_port": 0,
                             "rate_limit": False, **changes})  # type: ignore[arg-type]


async def test_demo_community_is_seeded_and_bound(tmp_path):
    async with run_sandbox(options(tmp_path)) as sandbox, sandbox.db.session() as s:
        buildings = await s.scalar(select(func.count()).select_from(Place)
                                   .where(Place.kind == PlaceKind.BUILDING))
        households = await s.scalar(select(func.count()).select_from(Place)
                                    .where(Place.kind == PlaceKind.HOUSEHOLD))
        assert buildings >= 3 and households >= 60
        roles = set(await s.scalars(select(RoleGrant.role)))
        assert roles == {"staff", "grid_worker", "volunteer", "supervisor", "department"}
        statuses = list(await s.scalars(select(Membership.status)))
        assert len(statuses) >= 7 and set(statuses) == {MembershipStatus.APPROVED}
        assert await s.scalar(select(func.count()).select_from(ChatBinding)) == len(GROUPS)
        # the newcomers a visitor tries joining with are in Telegram, not yet in linli
        assert await person_by_telegram(s, NEWCOMER) is None
        assert {p.telegram_id for p in PERSONAS} <= set(sandbox.world.users)
        for group in GROUPS:
            assert set(group.members) <= sandbox.world.chats[group.chat_id].member_ids

        async with httpx.AsyncClient(base_url=sandbox.page_url) as page:
            personas = (await page.get("/api/personas", params={"lang": "en"})).json()
            staff = next(p for p in personas if p["id"] == STAFF_ID)
            assert staff["name"] == "王芳 Wang Fang"
            assert staff["roles"] == ["Staff · Sunshine Community"]  # the demo's English names
            # an owner who sits on the owners' committee of the estate 阳光花园
            member = next(p for p in personas if p["id"] == COMMITTEE_ID)
            assert member["roles"] == ["Owners' committee · Sunshine Garden",
                                       "Owner · Building 1 · Unit 2 · 201"]
            chats = (await page.get("/api/chats", params={"user_id": STAFF_ID})).json()
            assert chats[0]["type"] == "private"
            assert "1栋 邻里群" in [c["title"] for c in chats]
            posters = (await page.get("/api/posters")).json()
            assert [p["label"] for p in posters][:2] == ["阳光社区 1栋", "阳光社区 1栋 1单元"]
            strings = (await page.get("/api/strings", params={"lang": "zh_CN"})).json()
            assert strings["who"] == "你是谁？"


async def test_residents_find_a_notice_and_a_pledge_to_sign(tmp_path):
    """The demo is not empty: the first start delivers a water-cut notice (in each reader's
    language) and an open pledge, which one household has already signed."""
    async with run_sandbox(options(tmp_path)) as sandbox:
        async with EmulatorClient(sandbox.api_url) as client:
            await client.wait_bot_message(1007, contains="停水通知")  # 李秀英 reads Chinese
            await client.wait_bot_message(1007, contains=PLEDGE_TITLE)
            await client.wait_bot_message(1009, contains="Water cut")  # David Miller: English
            # … and the pledge in English: the demo's pledge has an English text
            await client.wait_bot_message(1009, contains=PLEDGE_TITLE_EN)
        async with sandbox.db.session() as s:
            pledge = await s.scalar(select(Pledge))
            assert pledge.status == PledgeStatus.OPEN and pledge.title == PLEDGE_TITLE
            signers = list(await s.scalars(select(Person.telegram_id).join(
                Signature, Signature.person_id == Person.id)))
            assert signers == [SIGNED_ID]
    async with run_sandbox(options(tmp_path)) as sandbox, sandbox.db.session() as s:
        # the next start keeps them and adds no second notice or pledge
        assert await s.scalar(select(func.count()).select_from(Notice)) == 1
        assert await s.scalar(select(func.count()).select_from(Pledge)) == 1


async def consent(sandbox: Sandbox, user_id: int) -> None:
    """Open the bot as a newcomer, choose Chinese and agree: linli stores the person."""
    async with EmulatorClient(sandbox.api_url) as client:
        sent = await client.send(user_id, "/start")
        first = await client.wait_bot_message(user_id, sent["message"]["message_id"])
        for label in ("✓ 中文", "我同意"):
            pressed = await client.press(user_id, user_id, first["message_id"], text=label)
            await client.wait_callback_answer(pressed["callback_query_id"])


async def test_state_is_kept_between_runs_and_reset_starts_over(tmp_path):
    async with run_sandbox(options(tmp_path)) as sandbox:
        await consent(sandbox, NEWCOMER)
    async with run_sandbox(options(tmp_path)) as sandbox:
        async with sandbox.db.session() as s:
            assert await person_by_telegram(s, NEWCOMER) is not None
        async with EmulatorClient(sandbox.api_url) as client:
            await client.send(NEWCOMER, "/start")
            await client.wait_bot_message(NEWCOMER, contains="欢迎回来，张伟 Zhang Wei")
    async with run_sandbox(options(tmp_path, reset=True)) as sandbox, sandbox.db.session() as s:
        assert await person_by_telegram(s, NEWCOMER) is None
        assert await s.scalar(select(func.count()).select_from(Person)) == sum(
            p.joined for p in PERSONAS)


def linli_sandbox(*args: str, stderr: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "sandbox", *args],
                            stdout=subprocess.PIPE, stderr=stderr, text=True,
                            env=environment)


async def test_a_port_in_use_is_one_clear_sentence(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError, match=f"port {port} on 127.0.0.1 is already in use"):
            async with run_sandbox(options(tmp_path, port=port)):
                pass

        db = tmp_path / "cli.sqlite"
        process = linli_sandbox("--port", "0", "--api-port", str(port), "--db", str(db))
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err == (f"linli: port {port} on 127.0.0.1 is already in use (another sandbox?); "
                   "choose another with --api-port PORT\n")
    assert not db.exists()  # checked before anything was started or written


def test_ctrl_c_stops_cleanly(tmp_path):
    # its log goes to a file: a pipe nobody reads while the test waits for the first line
    # would stop the sandbox once the pipe is full, and the test with it
    log = (tmp_path / "stderr.log").open("w+", encoding="utf-8")
    process = linli_sandbox("--port", "0", "--api-port", "0", "--db", str(tmp_path / "s.sqlite"),
                            stderr=log)
    try:
        line = first_line(process, 60.0)
        found = re.fullmatch(r"linli sandbox: open (http://127\.0\.0\.1:\d+) in your browser "
                             r"\(Ctrl-C to stop\)\n", line)
        assert found, line
        page = httpx.get(found.group(1))
        assert page.status_code == 200 and "/static/app.js" in page.text
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        log.seek(0)
        err = log.read()
        log.close()
    assert process.returncode == 0
    assert "Traceback" not in err and "Error" not in err, err


def test_sandbox_has_help(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--port", "--api-port", "--db", "--reset", "--host"):
        assert option in out


async def test_the_owners_find_an_open_vote_and_the_convenors_a_count_to_confirm(tmp_path):
    """From the first start the demo's owners' decision of 阳光花园 is open: 李秀英, an owner
    there, has its ballot to open, in Chinese; David Miller, a tenant, gets nothing of it. Its
    second vote closed yesterday with the ballots of four owner personas, and both its
    convenors, 吴桂兰 of the committee and 王芳 of the community office who wrote it, have the
    count to confirm as its scrutineers. The next start adds no other vote."""
    async with run_sandbox(options(tmp_path)) as sandbox:
        async with EmulatorClient(sandbox.api_url) as client:
            # her welcome lists it as waiting for her, with a button that opens it
            opened = await client.wait_bot_message(1007, contains=VOTE_TITLE[0])
            assert any(VOTE_TITLE[0] in button["text"] for row in
                       opened["reply_markup"]["inline_keyboard"] for button in row)
            for convenor in (COMMITTEE_ID, STAFF_ID):
                count = await client.wait_bot_message(convenor, contains="投票已结束")
                assert CLOSED_TITLE[0] in count["text"]
                assert "56 位业主中 4 位" in count["text"]
                assert [b["text"] for row in count["reply_markup"]["inline_keyboard"]
                        for b in row][0] == "✔ 确认计票结果"
            assert not [m for m in await client.messages(1009)
                        if any(t in (m.get("text") or "") for t in (*VOTE_TITLE, *CLOSED_TITLE))]
        async with sandbox.db.session() as s:
            votes = {v.title: v for v in await s.scalars(select(Vote))}
            assert votes[VOTE_TITLE[0]].status == VoteStatus.OPEN
            closed = votes[CLOSED_TITLE[0]]
            assert closed.status == VoteStatus.COUNTED and closed.roll_owners == 56
            assert closed.result["matters"][0]["owners_voted"] == len(CLOSED_BALLOTS)
    async with run_sandbox(options(tmp_path)) as sandbox, sandbox.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Vote)) == 4  # (and 2 elections)
