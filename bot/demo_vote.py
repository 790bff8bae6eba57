"""The sandbox's owners' votes of the estate 阳光花园 (bot/demo.py has the community and its
people): an owners' decision open from the first start, for the owner personas to vote in,
and one whose voting closed yesterday, counted and waiting for its two scrutineers, for the
committee persona and the community office to confirm and publish; the election of the
owners' committee (three candidates, two seats) by secret ballot, open from the first start,
its paper ballots printed and the grid worker 陈刚 authorised to enter them; a by-election by
secret ballot, closed yesterday and published with its receipt codes, in which four owner
personas voted (each has the copy of their ballot, with its receipt code, in their chat);
and a resident poll of the community, open for its residents.

Both go through the same verbs as real use, at the times they would have happened: written,
dated and announced by a convenor, then each of the vote's own due items (opening, the
automatic reminders, closing) fired by its effect at its time, as the tick fires it, and the
closed vote's ballots cast by the owner personas while it was open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import replace
from html import escape
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.config import get_settings
from bot.db import Database
from bot.demo import COMMITTEE_ID, COMMUNITY, ESTATE, PERSONAS, STAFF_ID
from bot.i18n import tr
from handlers.votes.receipts import secret_copy
from handlers.votes.rendering import chosen
from models import estates
from models.base import utcnow
from models.errors import N_, NotFound
from models.people import Person, Relation, person_by_telegram
from models.places import find_by_names, label_of
from models.polls import drafting as poll_drafting
from models.polls.tables import Poll
from models.schedule import DueItem, DueStatus, Effect
from models.votes import ballots, closing, elections, lifecycle, officers, printing, secret
from models.votes import following as vote_following
from models.votes.core import (
    CLOSE_DUE,
    NOTICE_DAYS,
    OPEN_DUE,
    REMIND_DUE,
    earliest_opening,
    matters_of,
)
from models.votes.roll import owners_for
from models.votes.tables import PrintedBallot, Vote

VOTE_TITLE = ("阳光花园 2027年度业主共同决定", "Sunshine Garden: owners' decisions for 2027")
VOTE_MATTERS = (
    (4, "续聘阳光物业服务有限公司为本小区物业服务企业",
     "Keep Sunshine Property Services as the estate's property company"),
    (6, "续筹专项维修资金（每月每平方米2元）",
     "Renew the maintenance fund (2 yuan per m² a month)"),
)
# convened by the community office with the committee; voting ended yesterday
CLOSED_TITLE = ("阳光花园 2026年秋季业主共同决定", "Sunshine Garden: autumn 2026 vote")
CLOSED_MATTERS = (
    (1, "修订《阳光花园业主大会议事规则》，增加线上表决方式",
     "Amend the owners' assembly's rules of procedure to allow voting online"),
    (8, "将东门旁绿地一角改建为电动自行车充电棚",
     "Turn a corner of the lawn by the east gate into an e-bike charging shelter"),
)
# who voted in it, and how on each matter (an owner of two flats: one choice, for both)
CLOSED_BALLOTS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (COMMITTEE_ID, ("agree", "agree")),  # 吴桂兰
    (1003, ("agree", "agree")),  # 刘洋
    (1005, ("agree", "disagree")),  # 赵敏
    (1008, ("agree", "abstain")),  # 周文
)
# the committee election (secret), open from the first start: elect 2 of these 3
ELECTION_TITLE = ("阳光花园 第二届业主委员会选举",
                  "Sunshine Garden: election of the second owners' committee")
ELECTION = ("第二届业主委员会委员选举", "Members of the second owners' committee")
ELECTION_SEATS = 2
CANDIDATES = (
    ("陈建华", "1栋业主，退休电梯工程师，参与过小区电梯更新。 Building 1, retired lift engineer."),
    ("林晓燕", "2栋业主，会计师，愿意每月公开维修资金账目。 Building 2, accountant: will "
               "publish the maintenance fund's accounts monthly."),
    ("马志强", "3栋业主，律师，熟悉物业服务合同。 Building 3, lawyer who knows property "
               "service contracts."),
)
OFFICER_ID = 1002  # 陈刚, grid worker of 第一网格 (buildings 1 and 2): enters paper ballots
# the by-election (secret) that closed yesterday and is published with its receipt codes
BY_ELECTION_TITLE = ("阳光花园 业主委员会委员补选", "Sunshine Garden: committee by-election")
BY_ELECTION = ("补选业主委员会委员一名", "One member of the owners' committee")
BY_CANDIDATES = (("何丽", "2栋业主，社区志愿者。 Building 2, community volunteer."),
                 ("宋涛", "3栋业主，退休教师。 Building 3, retired teacher."))
BY_BALLOTS: tuple[tuple[int, tuple[int, ...]], ...] = (
    (COMMITTEE_ID, (1,)), (1003, (1,)), (1005, (2,)), (1008, (1,)))
# the resident poll of the community, open for its residents (one person, one answer)
POLL_QUESTION = "阳光社区 周末跳蚤市场放在哪里？ Where should the weekend flea market be?"
POLL_OPTIONS = ("中心广场 Central square", "东门停车场 East gate car park",
                "不要办 Not at all")
POLL_DAYS = 14
VOTING_DAYS = 14  # the closing day is this many days after the opening day
EFFECTS: dict[str, Effect] = {OPEN_DUE: lifecycle.open_due, CLOSE_DUE: closing.close_due,
                              REMIND_DUE: vote_following.remind_due}


async def seed_vote(db: Database, copies: Path | None = None) -> bool:
    """The demo votes and poll, each added once (when none has its title); False if none was.
    The copies of the by-election's ballots, with their receipt codes, go into `copies`: the
    database keeps nothing that joins a secret ballot to its voter, so the demo keeps each
    persona's copy outside it, as a voter keeps the copy in their chat."""
    tz = get_settings().tz
    added = False
    async with db.session() as session:
        member = await person_by_telegram(session, COMMITTEE_ID)
        staff = await person_by_telegram(session, STAFF_ID)
        if member is None or staff is None:
            return False
        if not await _exists(session, VOTE_TITLE[0]):
            await _open_vote(session, member, tz)
            added = True
        if not await _exists(session, CLOSED_TITLE[0]):
            await _closed_vote(session, staff, tz)
            added = True
        if not await _exists(session, ELECTION_TITLE[0]):
            await _open_election(session, member, tz)
            added = True
        if not await _exists(session, BY_ELECTION_TITLE[0]):
            kept = await _published_by_election(session, member, staff, tz)
            if copies is not None:
                await asyncio.to_thread(copies.write_text, json.dumps(kept, ensure_ascii=False),
                                        encoding="utf-8")
            added = True
        if not await session.scalar(select(Poll.id).where(Poll.question == POLL_QUESTION)
                                    .limit(1)):
            await _open_poll(session, staff, tz)
            added = True
    return added


async def _exists(session: AsyncSession, title: str) -> bool:
    return await session.scalar(select(Vote.id).where(Vote.title == title).limit(1)) is not None


async def _open_vote(session: AsyncSession, member: Person, tz: dt.tzinfo) -> None:
    """Announced by the committee member 吴桂兰 more than 15 days ago and open since
    yesterday, so the owner personas find a ballot from the first start and the committee its
    progress."""
    now = utcnow()
    announced = now - dt.timedelta(days=NOTICE_DAYS + 2)
    opens = earliest_opening(announced.astimezone(tz).date())
    vote = await _announce(session, member, VOTE_TITLE, VOTE_MATTERS, announced, opens, tz)
    await _fire_until(session, vote, now)


async def _closed_vote(session: AsyncSession, staff: Person, tz: dt.tzinfo) -> None:
    """Written by the community office (王芳), voting from two weeks before yesterday until
    yesterday's end; four owner personas voted (far short of the two-thirds quorum: most of
    the estate's owners are not in the demo), and it was closed and counted at midnight. Its
    convenors, 吴桂兰 of the committee and 王芳, have the count to confirm as scrutineers."""
    now = utcnow()
    closes = now.astimezone(tz).date() - dt.timedelta(days=1)
    opens = closes - dt.timedelta(days=VOTING_DAYS)
    announced = now - dt.timedelta(days=(now.astimezone(tz).date() - opens).days
                                   + NOTICE_DAYS + 2)
    vote = await _announce(session, staff, CLOSED_TITLE, CLOSED_MATTERS, announced, opens, tz)
    assert vote.opens_at is not None and vote.closes_at is not None
    await _fire_until(session, vote, vote.opens_at)
    cast_at = vote.opens_at + dt.timedelta(days=1, hours=10)
    for telegram_id, choices in CLOSED_BALLOTS:
        voter = await person_by_telegram(session, telegram_id)
        assert voter is not None
        for owner in await owners_for(session, vote, voter.id):
            await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                               choices=dict(enumerate(choices, start=1)), now=cast_at)
        cast_at += dt.timedelta(hours=7)
    await _fire_until(session, vote, vote.closes_at)


async def _open_election(session: AsyncSession, member: Person, tz: dt.tzinfo) -> None:
    """The committee election, by secret ballot, announced by 吴桂兰 and open since
    yesterday; she authorised the grid worker 陈刚 to enter its paper ballots, and printed
    them (the QR codes the sandbox page lets 陈刚 "scan")."""
    now = utcnow()
    announced = now - dt.timedelta(days=NOTICE_DAYS + 2)
    opens = earliest_opening(announced.astimezone(tz).date())
    vote = await _announce(session, member, ELECTION_TITLE, (), announced, opens, tz,
                           election=(ELECTION, CANDIDATES, ELECTION_SEATS))
    await _fire_until(session, vote, now)
    officer = await person_by_telegram(session, OFFICER_ID)
    assert officer is not None
    await officers.grant(session, vote_id=vote.id, person_id=officer.id, author=member,
                         now=now)
    await printing.printable(session, vote_id=vote.id, author=member)


async def _published_by_election(session: AsyncSession, member: Person, staff: Person,
                                 tz: dt.tzinfo) -> list[dict[str, object]]:
    """The by-election, by secret ballot, voting until yesterday's end; four owner personas
    voted in the chat, it was counted at midnight, and 吴桂兰 and 王芳 confirmed the count
    this morning: published, with its receipt codes. Returns each ballot's copy (whose, the
    vote, the choices, the receipt code)."""
    now = utcnow()
    closes = now.astimezone(tz).date() - dt.timedelta(days=1)
    opens = closes - dt.timedelta(days=VOTING_DAYS)
    announced = now - dt.timedelta(days=(now.astimezone(tz).date() - opens).days
                                   + NOTICE_DAYS + 3)
    vote = await _announce(session, member, BY_ELECTION_TITLE, (), announced, opens, tz,
                           election=(BY_ELECTION, BY_CANDIDATES, 1))
    assert vote.opens_at is not None and vote.closes_at is not None
    await _fire_until(session, vote, vote.opens_at)
    cast_at = vote.opens_at + dt.timedelta(days=2, hours=9)
    kept: list[dict[str, object]] = []
    for telegram_id, picked in BY_BALLOTS:
        voter = await person_by_telegram(session, telegram_id)
        assert voter is not None
        for owner in await owners_for(session, vote, voter.id):
            receipt = await secret.cast(session, vote_id=vote.id, owner_id=owner.id,
                                        person=voter, choices={1: picked}, now=cast_at)
            kept.append({"telegram_id": telegram_id, "vote_id": vote.id,
                         "choices": {"1": ";".join(map(str, picked))}, "receipt": receipt})
        cast_at += dt.timedelta(hours=5)
    await _fire_until(session, vote, vote.closes_at)
    for scrutineer in (member, staff):
        await closing.confirm_count(session, vote_id=vote.id, person=scrutineer)
    return kept


async def _open_poll(session: AsyncSession, staff: Person, tz: dt.tzinfo) -> None:
    """The community office's poll of 阳光社区's residents, one person one answer, named,
    closing in two weeks."""
    community = await find_by_names(session, COMMUNITY.split("/"))
    draft = await poll_drafting.start_draft(session, author=staff)
    await poll_drafting.set_place(session, poll_id=draft.id, author=staff,
                                  place_id=community.id)
    await poll_drafting.answer(session, poll_id=draft.id, author=staff, step="question",
                               text=POLL_QUESTION)
    for option in POLL_OPTIONS:
        await poll_drafting.answer(session, poll_id=draft.id, author=staff, step="options",
                                   text=option)
    await poll_drafting.options_done(session, poll_id=draft.id, author=staff)
    await poll_drafting.configure(session, poll_id=draft.id, author=staff, close_in=POLL_DAYS,
                                  tz=tz)
    await poll_drafting.publish(session, poll_id=draft.id, author=staff)


async def _announce(session: AsyncSession, author: Person, title: tuple[str, str],
                    matters: Sequence[tuple[int, str, str]], announced: dt.datetime,
                    opens: dt.date, tz: dt.tzinfo,
                    election: tuple[tuple[str, str], Sequence[tuple[str, str]], int] | None
                    = None) -> Vote:
    """A vote of the estate, written and announced at `announced`, voting from `opens` until
    the end of its closing day, VOTING_DAYS later; `election`: its one election, by secret
    ballot ((title, English title), candidates (name, description), seats)."""
    estate = await estates.estate_by_names(session, ESTATE.split("/"))
    vote = await lifecycle.create(session, estate_id=estate.id, author=author, title=title[0])
    await lifecycle.set_title(session, vote_id=vote.id, title=title[1], author=author,
                              language="en")
    for item, text, text_en in matters:
        await lifecycle.add_matter(session, vote_id=vote.id, title=text, item=item,
                                   author=author, title_en=text_en)
    if election is not None:
        (name, name_en), candidates, seats = election
        matter = await elections.add_election(session, vote_id=vote.id, title=name,
                                              author=author, title_en=name_en)
        for candidate, about in candidates:
            await elections.add_candidate(session, vote_id=vote.id, matter=matter.number,
                                          name=candidate, author=author)
            await elections.describe_candidate(session, vote_id=vote.id, matter=matter.number,
                                               about=about, author=author)
        await elections.set_seats(session, vote_id=vote.id, matter=matter.number,
                                  seats=seats, author=author)
        await lifecycle.set_secret(session, vote_id=vote.id, secret_ballot=True,
                                   author=author)
    await lifecycle.set_dates(session, vote_id=vote.id, opens_on=opens,
                              closes_on=opens + dt.timedelta(days=VOTING_DAYS),
                              author=author, tz=tz, now=announced)
    await lifecycle.announce(session, vote_id=vote.id, author=author, tz=tz, now=announced)
    return vote


async def _fire_until(session: AsyncSession, vote: Vote, until: dt.datetime) -> None:
    """Fire the vote's own due items up to `until`, each at its time, as the tick would."""
    while item := await session.scalar(
            select(DueItem).where(DueItem.ref_id == vote.id, DueItem.kind.in_(EFFECTS),
                                  DueItem.status == DueStatus.PENDING,
                                  DueItem.due_at <= until)
            .order_by(DueItem.due_at, DueItem.id).limit(1)):
        item.status, item.done_at = DueStatus.DONE, item.due_at
        await EFFECTS[item.kind](session, item, item.due_at)
        await session.commit()


async def deliver_copies(bot: Bot, db: Database, copies: Path) -> int:
    """Put each by-election voter's copy of their ballot, with its receipt code, back in their
    chat with the bot (the sandbox's chats live in memory, the copies in `copies`): the
    message the bot sent them when they voted, in their language. How many were sent."""
    try:
        kept = json.loads(await asyncio.to_thread(copies.read_text, encoding="utf-8"))
    except FileNotFoundError:  # (a sandbox from before the by-election: nobody voted in it)
        return 0
    sent = 0
    async with db.session() as session:
        for copy in kept:
            person = await person_by_telegram(session, int(copy["telegram_id"]))
            vote = await session.get(Vote, int(copy["vote_id"]))
            if person is None or vote is None:
                continue
            _ = tr(person.language or "zh_CN")
            matters = await matters_of(session, vote.id)
            lines = [_("{number}. {title} — {choice}", number=m.number,
                       title=escape(m.title_for(_.language)),
                       choice=escape(chosen(_, [m], copy["choices"]))) for m in matters]
            await bot.send_message(person.telegram_id, secret_copy(
                _, vote, lines, secret.receipt_text(str(copy["receipt"]))), parse_mode="HTML")
            sent += 1
    return sent


async def printed_ballots(db: Database, language: str) -> list[dict[str, str]]:
    """The committee election's printed ballots of the owner personas' homes, as the sandbox
    page offers them to "scan": each its home and owner, and the token its QR code carries
    (`/start pb_<token>`, what Telegram sends when a phone's camera opens the link)."""
    async with db.session() as session:
        vote = await session.scalar(select(Vote).where(Vote.title == ELECTION_TITLE[0]))
        if vote is None:
            return []
        out = []
        for persona in PERSONAS:
            for home, relation in persona.homes:
                if relation != Relation.OWNER:
                    continue
                place = await find_by_names(session, f"{COMMUNITY}/{home}".split("/"))
                token = await session.scalar(select(PrintedBallot.token).where(
                    PrintedBallot.vote_id == vote.id, PrintedBallot.household_id == place.id))
                if token is not None:
                    label = await label_of(session, place, language=language)
                    out.append({"label": f"{label} · {persona.name}", "token": token,
                                "code": secret.receipt_text(token)})
        return out


async def ballots_pdf(db: Database, bot_username: str, tz: dt.tzinfo) -> tuple[str, bytes]:
    """The printed ballots the page lists (`printed_ballots`), a page each, as the convenors
    print them (its file name and the PDF): what the sandbox page offers to download."""
    from bot.ballot_pdf import ballots_pdf as draw  # (matplotlib: loaded when first drawn)

    listed = {b["token"] for b in await printed_ballots(db, "zh_CN")}
    async with db.session() as session:
        vote = await session.scalar(select(Vote).where(Vote.title == ELECTION_TITLE[0]))
        if vote is None:
            raise NotFound(N_("That vote no longer exists."))
        printed = await printing.printable(session, vote_id=vote.id, author=None)
    printed = replace(printed, owners=tuple(o for o in printed.owners if o.token in listed))
    return (f"vote-{vote.id}-ballots.pdf",
            await asyncio.to_thread(draw, printed, bot_username, tz))
