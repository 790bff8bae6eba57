"""The sandbox's secret elections and paper ballots, tried as a new user would, without a
browser (tests/test_sandbox_page.py has the same on the page): an owner persona votes in the
open committee election and gets a receipt code; an owner who voted in the published
by-election finds their code in the published list and checks it; the grid worker "scans" a
printed ballot (what the page's button sends: `/start pb_<token>`) and enters it on paper;
the residents have the demo's poll."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
from sqlalchemy import func, select

from bot.demo_vote import BY_ELECTION_TITLE, ELECTION_TITLE, OFFICER_ID, POLL_QUESTION
from bot.emulator.client import EmulatorClient
from bot.i18n import tr
from bot.sandbox import run_sandbox
from models.polls.tables import Poll, PollStatus
from models.votes import officers
from models.votes.tables import SecretBallot, Vote, VoteStatus
from tests.botenv import BotEnv
from tests.test_sandbox import options

RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
LIU, LI = 1003, 1007  # 刘洋 voted in the by-election; 李秀英, 78, votes on paper
_ = tr("zh_CN")


async def test_an_owner_votes_secretly_and_finds_a_receipt_and_the_grid_worker_enters_paper(
        tmp_path):
    async with run_sandbox(options(tmp_path)) as sandbox, \
            EmulatorClient(sandbox.api_url) as client:
        env = BotEnv(SimpleNamespace(client=client, world=sandbox.world),  # type: ignore[arg-type]
                     sandbox.app, sandbox.db)
        # 刘洋's copy of his by-election ballot is in his chat, and its code in the result
        copy = await client.wait_bot_message(LIU, contains=BY_ELECTION_TITLE[0])
        [code] = RECEIPT.findall(copy["text"])
        result = await client.wait_bot_message(LIU, copy["message_id"], contains=code,
                                               timeout=30)
        assert _("🔎 Check my receipt") in env.buttons(result)
        asked = await env.tap_on(LIU, _("🔎 Check my receipt"), on=result, expect="回执码")
        assert "回执码" in asked["text"]
        checked = await env.say(LIU, code, "公布的名单中")
        assert code in checked["text"] and "何丽" in checked["text"]

        # … and he votes in the open committee election: 2 of 3, secretly, with a receipt
        opened = await client.wait_bot_message(LIU, contains="候选人：陈建华、林晓燕、马志强")
        assert ELECTION_TITLE[0] in opened["text"]
        ballot = await env.tap_on(LIU, _("🗳 Vote"), on=opened, button=_("Review ▶"))
        for label in ("1. 陈建华", "2. 林晓燕"):
            ballot = await env.tap_on(LIU, label, on=ballot, button=f"✓ {label}")
        summary = await env.tap_on(LIU, _("Review ▶"), on=ballot, button=_("✔ Confirm"))
        mine = await env.tap_on(LIU, _("✔ Confirm"), on=summary, expect="回执码")
        assert "陈建华、林晓燕" in mine["text"] and RECEIPT.search(mine["text"])

        # the grid worker 陈刚 scans 李秀英's printed ballot and enters it as a paper ballot
        async with httpx.AsyncClient(base_url=sandbox.page_url, timeout=60) as page:
            printed = (await page.get("/api/ballots", params={"lang": "zh_CN"})).json()
            pdf = await page.get("/api/ballots.pdf")
        [hers] = [b for b in printed if "李秀英" in b["label"]]
        assert hers["label"] == "阳光社区 1栋 1单元 101 · 李秀英 Li Xiuying"
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
        # a page per listed ballot
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf.content)) == len(printed) == 5
        entering = await env.say(OFFICER_ID, f"/start pb_{hers['token']}", "李秀英")
        entry = await env.tap_on(OFFICER_ID, "3. 马志强", on=entering, button="✓ 3. 马志强")
        assert _("🏢 It was cast on site") in env.buttons(entry)  # (else: a paper ballot)
        summary = await env.tap_on(OFFICER_ID, _("Review ▶"), on=entry,
                                   button=_("✔ Record this ballot"))
        recorded = await env.tap_on(OFFICER_ID, _("✔ Record this ballot"), on=summary,
                                    expect="回执码")
        assert RECEIPT.search(recorded["text"])
        # a persona nobody authorised who scans the same ballot is refused
        # (her chat also has the word that 陈刚 entered her ballot: the refusal is its own)
        await env.say(LI, f"/start pb_{hers['token']}", _(officers.NOT_OFFICER))

        async with sandbox.db.session() as s:
            election = await s.scalar(select(Vote).where(Vote.title == ELECTION_TITLE[0]))
            assert election.secret and election.status == VoteStatus.OPEN
            channels = dict((await s.execute(
                select(SecretBallot.channel, func.count()).where(
                    SecretBallot.vote_id == election.id).group_by(SecretBallot.channel))).all())
            assert channels == {"online": 1, "paper": 1}
            published = await s.scalar(select(Vote).where(Vote.title == BY_ELECTION_TITLE[0]))
            assert published.secret and published.status == VoteStatus.PUBLISHED
            poll = await s.scalar(select(Poll).where(Poll.question == POLL_QUESTION))
            assert poll.status == PollStatus.OPEN

    # the next start adds nothing, and the copy is back in his chat (the chats are in memory)
    async with run_sandbox(options(tmp_path)) as sandbox, \
            EmulatorClient(sandbox.api_url) as client:
        again = await client.wait_bot_message(LIU, contains=BY_ELECTION_TITLE[0])
        assert code in again["text"]
        async with sandbox.db.session() as s:
            assert await s.scalar(select(func.count()).select_from(Vote)) == 4
            assert await s.scalar(select(func.count()).select_from(Poll)) == 1
