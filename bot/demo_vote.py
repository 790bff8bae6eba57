"""The sandbox's owners' decision: a vote of the estate 阳光花园 with two matters, open from
the first start (bot/demo.py has the community and its people)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.config import get_settings
from bot.db import Database
from bot.demo import COMMITTEE_ID, ESTATE
from models import estates
from models.base import utcnow
from models.people import person_by_telegram
from models.schedule import DueItem, DueStatus
from models.votes import lifecycle
from models.votes.core import NOTICE_DAYS, OPEN_DUE, earliest_opening
from models.votes.tables import Vote

VOTE_TITLE = ("阳光花园 2027年度业主共同决定", "Sunshine Garden: owners' decisions for 2027")
VOTE_MATTERS = (
    (4, "续聘阳光物业服务有限公司为本小区物业服务企业",
     "Keep Sunshine Property Services as the estate's property company"),
    (6, "续筹专项维修资金（每月每平方米2元）",
     "Renew the maintenance fund (2 yuan per m² a month)"),
)


async def seed_vote(db: Database) -> bool:
    """An owners' decision of 阳光花园 with two matters, announced by its committee member
    吴桂兰 more than 15 days ago and open since yesterday, so the owner personas find a ballot
    from the first start and the committee its progress. Added once, when there is no vote;
    False if nothing was added."""
    tz = get_settings().tz
    async with db.session() as session:
        member = await person_by_telegram(session, COMMITTEE_ID)
        if member is None or await session.scalar(select(func.count()).select_from(Vote)):
            return False
        estate = await estates.estate_by_names(session, ESTATE.split("/"))
        vote = await lifecycle.create(session, estate_id=estate.id, author=member,
                                      title=VOTE_TITLE[0])
        await lifecycle.set_title(session, vote_id=vote.id, title=VOTE_TITLE[1], author=member,
                                  language="en")
        for item, title, title_en in VOTE_MATTERS:
            await lifecycle.add_matter(session, vote_id=vote.id, title=title, item=item,
                                       author=member, title_en=title_en)
        now = utcnow()
        announced = now - dt.timedelta(days=NOTICE_DAYS + 2)
        opens = earliest_opening(announced.astimezone(tz).date())
        await lifecycle.set_dates(session, vote_id=vote.id, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=14), author=member, tz=tz,
                                  now=announced)
        await lifecycle.announce(session, vote_id=vote.id, author=member, tz=tz, now=announced)
        item = await session.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                          DueItem.ref_id == vote.id))
        assert item is not None
        item.status = DueStatus.DONE  # opened here, not by the tick
        await lifecycle.open_due(session, item, now)
        await session.commit()
    return True
