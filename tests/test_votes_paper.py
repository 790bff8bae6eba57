"""The paper side of owners' votes (#15), the model layer: the officers a vote's convenors
authorise to enter paper and on-site ballots (who may be authorised, by whom, when; each
change audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.errors import Conflict, NotAllowed
from models.people import Role
from models.votes import officers
from tests.conftest import COMMUNITY, person, resident
from tests.test_votes_printing import announced
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    close,
    draft,
    estate,
    opened,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
GRID = COMMUNITY + "/第一网格"


async def workers(session):
    """A grid worker of 1栋's grid, a volunteer of 1栋, and a staff member of another
    community (桂花社区), who does not work for 阳光花园."""
    return (await person(session, 910, "格网员", role=Role.GRID_WORKER, at=GRID),
            await person(session, 911, "志愿者", role=Role.VOLUNTEER, at=B1),
            await person(session, 912, "桂花社工", role=Role.STAFF, at="城东街道/桂花社区"))


async def test_convenors_authorise_the_people_who_work_for_the_estate(session, estate):  # noqa: F811
    staff = await staff_of(session)
    grid, volunteer, elsewhere = await workers(session)
    owner = await resident(session, staff, 31, B1 + "/1单元/101")
    vote = await announced(session, estate)
    found, people, chosen = await officers.candidates(session, vote_id=vote.id, author=staff)
    assert found.id == vote.id and not chosen
    assert {p.name for p in people} == {"王主任", "李委员", "张委员", "格网员", "志愿者"}

    assert await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    assert not await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    member = await person(session, 901, "李委员")  # a committee member convenes too
    assert await officers.grant(session, vote_id=vote.id, person_id=volunteer.id,
                                author=member)
    await officers.require_officer(session, grid, vote)
    assert [p.name for p in await officers.officers_of(session, vote.id)] == ["志愿者", "格网员"]
    assert [v.id for v in await officers.votes_entered_by(session, grid)] == [vote.id]
    for who in (elsewhere, owner):  # neither works for the estate: refused, nothing written
        with pytest.raises(NotAllowed):
            await officers.grant(session, vote_id=vote.id, person_id=who.id, author=staff)
        with pytest.raises(NotAllowed):
            await officers.require_officer(session, who, vote)
    with pytest.raises(NotAllowed):  # an owner cannot authorise anyone
        await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=owner)

    assert await officers.revoke(session, vote_id=vote.id, person_id=grid.id, author=staff)
    assert not await officers.revoke(session, vote_id=vote.id, person_id=grid.id,
                                     author=staff)
    with pytest.raises(NotAllowed):
        await officers.require_officer(session, grid, vote)
    entries = list(await session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("vote.officer%")).order_by(AuditEntry.id)))
    assert [(e.action, e.actor_id, e.detail["person"]) for e in entries] == [
        ("vote.officer_grant", staff.id, grid.id), ("vote.officer_grant", member.id,
                                                    volunteer.id),
        ("vote.officer_revoke", staff.id, grid.id)]


async def test_officers_are_authorised_while_the_vote_runs(session, estate):  # noqa: F811
    staff = await staff_of(session)
    grid, _volunteer, _elsewhere = await workers(session)
    vote = await draft(session, estate)
    with pytest.raises(Conflict):
        await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    vote = await opened(session, estate)
    assert await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    await close(session, vote)
    with pytest.raises(Conflict):
        await officers.revoke(session, vote_id=vote.id, person_id=grid.id, author=staff)
    assert not await officers.votes_entered_by(session, grid)
