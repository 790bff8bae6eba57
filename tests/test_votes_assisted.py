"""Assisted voting and door-knocking (#15), the model layer: a grid worker over an owner's
home enters the owner's named ballot with a written proxy's photo — refused without the
photo, for a secret ballot, outside the worker's part, and for an owner who voted already
(saying when and how) — recorded as "assisted" in the tally and the recount files, the owner
told with a copy; door-knock states set in the worker's part, shown with who and when in the
not-voted list and its export, the owner leaving the list once they vote; all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import asks
from models.audit import AuditEntry
from models.errors import Conflict, Invalid, NotAllowed, StaleButton
from models.outbox import OutboxMessage
from models.people import Role, person_by_telegram
from models.votes import assisted, ballots, knocks
from models.votes.export import export_files
from models.votes.tables import AssistedBallot, Ballot, DoorKnock
from tests.conftest import COMMUNITY, person, place, resident
from tests.test_votes_secret import secret_election
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    B2,
    close,
    during,
    estate,
    opened,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
HOME = B1 + "/1单元/101"


async def grid_workers(session):
    """Zhou, grid worker of 第一网格 (1栋 and 2栋); Qian, grid worker of 2栋 only."""
    return (await person(session, 930, "周网格员", role=Role.GRID_WORKER,
                         at=COMMUNITY + "/第一网格"),
            await person(session, 931, "钱网格员", role=Role.GRID_WORKER, at=B2))


async def rows(session, model) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)))


async def test_a_grid_worker_enters_an_assisted_ballot_with_the_proxy(session, estate,  # noqa: F811
                                                                       tmp_path):
    staff = await staff_of(session)
    zhou, qian = await grid_workers(session)
    owner = await resident(session, staff, 41, HOME, name="老王")
    vote = await opened(session, estate)
    home = (await place(session, HOME)).id
    now = during(vote)

    with pytest.raises(NotAllowed) as refused:  # 2栋's grid worker: not over 1栋's home
        await assisted.start(session, vote_id=vote.id, household_id=home, by=qian,
                             language="zh_CN", now=now)
    assert refused.value.message == knocks.NOT_KNOCKER
    found = await assisted.start(session, vote_id=vote.id, household_id=home, by=zhou,
                                 language="zh_CN", now=now)
    assert found.names == ("老王",)
    assert (await asks.asked(session, zhou.id, now)).step == assisted.PROXY
    # no photo yet: neither entering the choices nor recording them goes through
    for verb in (lambda: assisted.entry(session, vote_id=vote.id, owner_id=found.owner.id,
                                        by=zhou, language="zh_CN", now=now),
                 lambda: assisted.record(session, vote_id=vote.id, owner_id=found.owner.id,
                                         by=zhou, answers={1: "agree", 2: "agree"}, now=now)):
        with pytest.raises(Conflict) as refused:
            await verb()
        assert refused.value.message == assisted.NO_PROXY
    with pytest.raises(Conflict) as refused:  # a text instead of the photo: nothing kept
        await assisted.take_proxy(session, owner_id=found.owner.id, file_id=None, by=zhou,
                                  language="zh_CN", now=now)
    assert refused.value.message == assisted.NOT_A_PHOTO
    assert await rows(session, AssistedBallot) == 0

    await assisted.take_proxy(session, owner_id=found.owner.id, file_id="proxy-photo-1",
                              by=zhou, language="zh_CN", now=now)
    assert await asks.asked(session, zhou.id, now) is None
    with pytest.raises(NotAllowed):  # re-checked at the last step too
        await assisted.record(session, vote_id=vote.id, owner_id=found.owner.id, by=qian,
                              answers={1: "agree", 2: "agree"}, now=now)
    # an answer a paper ballot may have (two boxes ticked) is not one the owner says
    with pytest.raises(Invalid) as refused:
        await assisted.record(session, vote_id=vote.id, owner_id=found.owner.id, by=zhou,
                              answers={1: "invalid:two", 2: "agree"}, now=now)
    assert refused.value.message == assisted.NOT_THEIR_CHOICE
    assert await rows(session, Ballot) == 0
    done = await assisted.record(session, vote_id=vote.id, owner_id=found.owner.id, by=zhou,
                                 answers={1: "agree", 2: "disagree"}, now=now)
    ballot = await session.get(Ballot, done.ballot_id)
    assert (ballot.channel, ballot.cast_by_id) == ("assisted", zhou.id)
    assert await ballots.choices_of(session, ballot.id) == {"1": "agree", "2": "disagree"}
    proxy = await assisted.proxy_of(session, ballot.id)
    assert (proxy.proxy_file_id, proxy.assisted_by_id) == ("proxy-photo-1", zhou.id)
    copy = await session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == assisted.ASSISTED))
    assert copy.chat_id == owner.telegram_id and copy.payload["ballot_id"] == ballot.id
    audited = list(await session.scalars(select(AuditEntry).where(
        AuditEntry.actor_id == zhou.id).order_by(AuditEntry.id)))
    assert [(e.action, e.detail.get("channel")) for e in audited] == [
        ("vote.assist_proxy", None), ("vote.ballot", "assisted")]

    # the owner's ballot counts once: a second one, assisted or online, is refused
    with pytest.raises(Conflict) as refused:
        await assisted.start(session, vote_id=vote.id, household_id=home, by=zhou,
                             language="zh_CN", now=now)
    assert refused.value.message == ballots.FIRST_CAST["assisted"]
    with pytest.raises(Conflict) as refused:
        await ballots.cast(session, vote_id=vote.id, owner_id=found.owner.id, person=owner,
                           choices={1: "abstain", 2: "abstain"}, now=now)
    assert refused.value.message == ballots.FIRST_CAST["assisted"]

    # the recount files carry the channel
    await close(session, vote)
    await export_files(session, vote, tmp_path)
    assert ",assisted," in (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig")


async def test_an_assisted_ballot_is_refused_for_a_secret_election(session, estate):  # noqa: F811
    zhou, _qian = await grid_workers(session)
    await resident(session, await staff_of(session), 42, HOME)
    vote = await secret_election(session, estate)
    with pytest.raises(Conflict) as refused:
        await assisted.start(session, vote_id=vote.id, household_id=(
            await place(session, HOME)).id, by=zhou, language="zh_CN", now=during(vote))
    assert refused.value.message == assisted.SECRET
    assert await asks.asked(session, zhou.id, during(vote)) is None


async def test_door_knock_states_in_the_workers_part(session, estate):  # noqa: F811
    staff = await staff_of(session)
    zhou, qian = await grid_workers(session)
    await resident(session, staff, 43, HOME, name="老王")
    voter = await resident(session, staff, 44, B2 + "/1单元/101", name="小李")
    vote = await opened(session, estate)
    home, other = (await place(session, HOME)).id, (await place(session, B2 + "/1单元/101")).id
    now = during(vote)

    # who is offered the door-knocking of a building: staff anywhere in the community, a grid
    # worker in their part, a committee member who is neither: nowhere (they follow the vote)
    member = await person_by_telegram(session, 901)
    b1, b2 = (await place(session, B1)).path, (await place(session, B2)).path
    assert [await knocks.may_knock_in(session, vote, who, path)
            for who in (staff, zhou, qian, member) for path in (b1, b2)] == [
        True, True, True, True, False, True, False, False]
    with pytest.raises(NotAllowed):  # Qian covers 2栋, not 1栋
        await knocks.set_state(session, vote_id=vote.id, household_id=home, state="refused",
                               by=qian, now=now)
    with pytest.raises(StaleButton):
        await knocks.set_state(session, vote_id=vote.id, household_id=home, state="away",
                               by=zhou, now=now)
    assert await rows(session, DoorKnock) == 0
    await knocks.set_state(session, vote_id=vote.id, household_id=home, state="refused",
                           by=zhou, now=now)
    await knocks.set_state(session, vote_id=vote.id, household_id=other, state="online",
                           by=qian, now=now)
    await knocks.set_state(session, vote_id=vote.id, household_id=home, state="paper",
                           by=staff, now=now)  # staff of the community: anywhere in it

    _vote, listed = await knocks.table(session, vote_id=vote.id, building_id=0, by=zhou)
    shown = {m.name: (m.knock.state, m.knock.by) for m in listed if m.knock}
    assert shown == {"老王": ("paper", "王主任"), "小李": ("online", "钱网格员")}
    # the homes whose owner is not in linli are listed too, after the people, to knock on
    nobody = [m for m in listed if m.person_id is None]
    assert len(nobody) == 38 and nobody[0].room == "102" and not nobody[0].knock
    await knocks.set_state(session, vote_id=vote.id, household_id=nobody[0].household_id,
                           state="not-reached", by=zhou, now=now)
    _vote, listed = await knocks.table(session, vote_id=vote.id, building_id=0, by=zhou)
    assert [m.knock.state for m in listed if m.household_id == nobody[0].household_id] == [
        "not-reached"]
    _vote, _b2, only = await knocks.building_list(session, vote_id=vote.id, building_id=(
        await place(session, B2)).id, by=qian)
    assert [m.name for m in only if m.person_id] == ["小李"]
    assert {m.building for m in only} == {"2栋"}
    with pytest.raises(NotAllowed):  # 1栋's list is outside Qian's part
        await knocks.building_list(session, vote_id=vote.id,
                                   building_id=(await place(session, B1)).id, by=qian)

    # 小李 votes: off the list, and no more knocking for the home
    [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter, now=now)
    await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                       choices={1: "agree", 2: "agree"}, now=now)
    _vote, listed = await knocks.table(session, vote_id=vote.id, building_id=0, by=zhou)
    assert "小李" not in {m.name for m in listed}
    with pytest.raises(Conflict) as refused:
        await knocks.set_state(session, vote_id=vote.id, household_id=other, state="none",
                               by=qian, now=now)
    assert refused.value.message == ballots.FIRST_CAST["online"]

    await knocks.set_state(session, vote_id=vote.id, household_id=home, state="none",
                           by=zhou, now=now)  # cleared: shown as nothing recorded
    _vote, listed = await knocks.table(session, vote_id=vote.id, building_id=0, by=zhou)
    assert [m.knock.state for m in listed if m.knock] == ["not-reached"]
    audited = [e.detail["state"] for e in await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.door_knock").order_by(AuditEntry.id))]
    assert audited == ["refused", "online", "paper", "not-reached", "none"]
    await close(session, vote)
    with pytest.raises(Conflict) as refused:  # the vote closed: nothing more recorded
        await knocks.set_state(session, vote_id=vote.id, household_id=home, state="refused",
                               by=zhou)
    assert refused.value.message == knocks.NOT_OPEN
