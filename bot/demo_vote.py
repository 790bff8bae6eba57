"""The sandbox's owners' decisions of the estate 阳光花园 (bot/demo.py has the community and
its people): one open from the first start, for the owner personas to vote in, and one whose
voting closed yesterday, counted and waiting for its two scrutineers, for the committee
persona and the community office to confirm and publish.

Both go through the same verbs as real use, at the times they would have happened: written,
dated and announced by a convenor, then each of the vote's own due items (opening, the
automatic reminders, closing) fired by its effect at its time, as the tick fires it, and the
closed vote's ballots cast by the owner personas while it was open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import get_settings
from bot.db import Database
from bot.demo import COMMITTEE_ID, ESTATE, STAFF_ID
from models import estates
from models.base import utcnow
from models.people import Person, person_by_telegram
from models.schedule import DueItem, DueStatus, Effect
from models.votes import ballots, closing, lifecycle
from models.votes import following as vote_following
from models.votes.core import CLOSE_DUE, NOTICE_DAYS, OPEN_DUE, REMIND_DUE, earliest_opening
from models.votes.roll import owners_for
from models.votes.tables import Vote

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
VOTING_DAYS = 14  # the closing day is this many days after the opening day
EFFECTS: dict[str, Effect] = {OPEN_DUE: lifecycle.open_due, CLOSE_DUE: closing.close_due,
                              REMIND_DUE: vote_following.remind_due}


async def seed_vote(db: Database) -> bool:
    """Both demo votes, each added once (when no vote has its title); False if neither was."""
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


async def _announce(session: AsyncSession, author: Person, title: tuple[str, str],
                    matters: Sequence[tuple[int, str, str]], announced: dt.datetime,
                    opens: dt.date, tz: dt.tzinfo) -> Vote:
    """A vote of the estate, written and announced at `announced`, voting from `opens` until
    the end of its closing day, VOTING_DAYS later."""
    estate = await estates.estate_by_names(session, ESTATE.split("/"))
    vote = await lifecycle.create(session, estate_id=estate.id, author=author, title=title[0])
    await lifecycle.set_title(session, vote_id=vote.id, title=title[1], author=author,
                              language="en")
    for item, text, text_en in matters:
        await lifecycle.add_matter(session, vote_id=vote.id, title=text, item=item,
                                   author=author, title_en=text_en)
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
