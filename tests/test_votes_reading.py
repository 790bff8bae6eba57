"""What the vote's chat screens read (models/votes/reading.py), tested without the chat: the
votes of my homes, my own record of a ballot, and a reminder that is not sent to an owner
whose home has voted since it was queued (held overnight by quiet hours, say)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models.outbox import OutboxMessage, claim
from models.outbox_owed import no_longer_owed
from models.votes import ballots, following, reading
from models.votes.core import REMINDER
from tests.conftest import resident
from tests.test_votes_service import B1, during, estate, opened, staff_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("places")


async def test_a_reminder_is_not_owed_once_the_home_has_voted(session, estate):  # noqa: F811
    staff = await staff_of(session)
    ann = await resident(session, staff, 41, B1 + "/1单元/101")
    amy = await resident(session, staff, 42, B1 + "/1单元/101")  # Ann's co-owner
    bob = await resident(session, staff, 43, B1 + "/1单元/102")
    vote = await opened(session, estate)
    assert await following.remind(session, vote_id=vote.id, by=staff, now=during(vote)) == 3
    # Ann votes for their home before the reminders go out
    [home] = await ballots.voter_owners(session, vote_id=vote.id, person=ann, now=during(vote))
    await ballots.cast(session, vote_id=vote.id, owner_id=home.id, person=ann,
                       choices={1: "agree", 2: "abstain"}, now=during(vote))
    rows = await claim(session, limit=100, lease=dt.timedelta(minutes=1), now=during(vote))
    reminders = [r for r in rows if r.kind == REMINDER]
    skipped = await no_longer_owed(session, reminders)
    by_person = {r.person_id: r.id in skipped for r in reminders}
    assert by_person == {ann.id: True, amy.id: True, bob.id: False}

    # the votes of Ann's homes, and her own record of the ballot
    assert [v.id for v in await reading.votes_of_my_homes(session, ann)] == [vote.id]
    assert await reading.to_vote(session, amy) == []
    assert [v.id for v in await reading.to_vote(session, bob)] == [vote.id]
    [record] = await reading.my_ballots(session, vote=vote, person=amy, language="zh_CN")
    assert record.choices == {"1": "agree", "2": "abstain"} and record.homes == [
        "1栋 1单元 101"]
    assert await session.scalar(select(OutboxMessage.id).limit(1)) is not None
