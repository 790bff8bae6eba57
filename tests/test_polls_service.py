"""Resident polls (#15), the model layer, on SQLite and PostgreSQL: a poll written step by step
and published to the residents of a building; one vote per person (named: changed until
closing) and one vote per household (anonymous, several options: final once given, nothing
joining an answer to its voter); a minimum turnout met and missed; reminders only to those who
have not answered; closing once at its time; the roll frozen at closing (a voter who moved
away stays on it); bad input refused with nothing written; and the recount from the exported
files equal to the bot's own result."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from models import polls as poll_feature
from models.audit import AuditEntry
from models.base import utcnow
from models.errors import Conflict, Invalid, NotAllowed, StaleButton
from models.onboarding import decide_membership, request_membership
from models.outbox import OutboxMessage
from models.participation import ALREADY_REMINDED, Unit
from models.people import Membership, MembershipStatus, Person, Relation, Role
from models.polls import answering, closing, core, drafting, export, following
from models.polls.tables import (
    Poll,
    PollAnswer,
    PollRoll,
    PollSecretAnswer,
    PollSecretChoice,
    PollStatus,
    PollVoter,
)
from models.schedule import run_due
from models.votes import recount, tally
from models.votes.report import result_table
from tests.conftest import person, place, resident

pytestmark = pytest.mark.usefixtures("places")
COMMUNITY = "城东街道/阳光社区"
B1 = COMMUNITY + "/第一网格/1栋"
STAFF, GRID2, ANN, AMY, BOB, CAI, DAN, EVE = 900, 901, 1, 2, 3, 4, 5, 6


async def people(session) -> dict[int, object]:
    """Staff of 阳光社区, a grid worker of 第二网格 and the residents: Ann (owner) and Amy
    (family) of 1栋1单元101, Bob the tenant of 102, Cai the owner of 1栋2单元101 and 102, Dan
    still waiting for approval in 201, Eve of 2栋 (not asked)."""
    staff = await person(session, STAFF, "Director Wang", role=Role.STAFF, at=COMMUNITY)
    found = {STAFF: staff, GRID2: await person(session, GRID2, "Grid Liu", role=Role.GRID_WORKER,
                                               at=COMMUNITY + "/第二网格")}
    for tid, name, room, relation in ((ANN, "Ann", "1单元/101", Relation.OWNER),
                                      (AMY, "Amy", "1单元/101", Relation.FAMILY),
                                      (BOB, "Bob", "1单元/102", Relation.TENANT),
                                      (CAI, "Cai", "2单元/101", Relation.OWNER)):
        found[tid] = await resident(session, staff, tid, f"{B1}/{room}", relation=relation,
                                    name=name)
    second = await request_membership(session, person=found[CAI], relation=Relation.OWNER,
                                      household_id=(await place(session, f"{B1}/2单元/102")).id)
    await decide_membership(session, membership_id=second.membership.id, decider=staff,
                            approve=True)
    found[DAN] = await person(session, DAN, "Dan")
    await request_membership(session, person=found[DAN], relation=Relation.OWNER,
                             household_id=(await place(session, f"{B1}/1单元/201")).id)
    found[EVE] = await resident(session, staff, EVE, COMMUNITY + "/第一网格/2栋/1单元/101",
                                name="Eve")
    return found


async def written(session, who, *, options=("Yes", "No", "No opinion"), **settings) -> Poll:
    """A poll of 1栋 written by `who` through the draft's verbs (not yet published)."""
    draft = await drafting.start_draft(session, author=who)
    await drafting.set_place(session, poll_id=draft.id, author=who,
                             place_id=(await place(session, B1)).id)
    await drafting.answer(session, poll_id=draft.id, author=who, step="question",
                          text="Should the bike shed move to the north gate?")
    for option in options:
        await drafting.answer(session, poll_id=draft.id, author=who, step="options", text=option)
    await drafting.options_done(session, poll_id=draft.id, author=who)
    return await drafting.configure(session, poll_id=draft.id, author=who, **settings)


async def published(session, who, **settings) -> Poll:
    poll = await written(session, who, **settings)
    poll, _count = await drafting.publish(session, poll_id=poll.id, author=who)
    return poll


async def fresh(session, *objects) -> None:
    for obj in objects:
        await session.refresh(obj)


async def outbox_to(session, kind: str) -> list[int]:
    return sorted(await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == kind)))


async def recounted(session, poll: Poll, folder: Path) -> dict:
    await export.export_files(session, poll, folder)
    return recount.result_json(tally.tally(*recount.read_files(folder)))


async def test_a_named_poll_one_vote_per_person(session, tmp_path):
    p = await people(session)
    poll = await published(session, p[STAFF], close_in=7)
    assert poll.status == PollStatus.OPEN and poll.unit == Unit.PERSON
    # everyone approved in 1栋 is asked, the waiting Dan and Eve of 2栋 are not
    assert await outbox_to(session, core.ANNOUNCED) == [ANN, AMY, BOB, CAI]

    done = await answering.cast(session, poll_id=poll.id, person=p[ANN], household_id=0,
                                options=[1])
    assert (done.chosen, done.changed) == ((1,), False)
    await answering.cast(session, poll_id=poll.id, person=p[AMY], household_id=0, options=[2])
    again = await answering.cast(session, poll_id=poll.id, person=p[AMY], household_id=0,
                                 options=[1])
    assert again.changed  # a named answer changes in place
    seen = await answering.stand(session, poll_id=poll.id, person=p[AMY])
    assert seen.chosen == (1,) and seen.given
    await answering.cast(session, poll_id=poll.id, person=p[CAI], household_id=0, options=[3])
    with pytest.raises(Invalid, match="one option"):
        await answering.cast(session, poll_id=poll.id, person=p[BOB], household_id=0,
                             options=[1, 2])
    with pytest.raises(StaleButton):  # an option the poll does not have
        await answering.cast(session, poll_id=poll.id, person=p[BOB], household_id=0,
                             options=[4])
    for outsider in (p[DAN], p[EVE]):
        with pytest.raises(NotAllowed, match="residents of"):
            await answering.cast(session, poll_id=poll.id, person=outsider, household_id=0,
                                 options=[1])
    assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 3

    seen = await following.progress(session, poll_id=poll.id, viewer=p[STAFF])
    assert (seen.totals.expected, seen.totals.acted) == (4, 3)
    assert [m.name for m in seen.missing] == ["Bob"]
    with pytest.raises(NotAllowed):  # 第二网格's grid worker does not follow 1栋
        await following.progress(session, poll_id=poll.id, viewer=p[GRID2])

    # it closes at its time, once (the tick running again changes nothing); the result goes
    # to its creator
    for _again in range(2):
        await run_due(session, poll_feature.EFFECTS, now=poll.closes_at + dt.timedelta(minutes=1))
    assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "poll.close")) == 1
    await fresh(session, poll, *p.values())  # (the tick's rollback expired them)
    assert poll.status == PollStatus.CLOSED
    assert await outbox_to(session, core.CLOSED) == [STAFF]
    [matter] = poll.result["matters"]
    assert (matter["owners_total"], matter["owners_voted"], matter["quorum"]) == (4, 3, None)
    assert [o["owners"] for o in matter["options"]] == [2, 0, 1]
    with pytest.raises(Conflict, match="closed"):
        await answering.cast(session, poll_id=poll.id, person=p[BOB], household_id=0,
                             options=[1], now=poll.closes_at + dt.timedelta(minutes=2))
    assert await recounted(session, poll, tmp_path) == poll.result

    # who answered what, for those who run it, once closed; residents see nothing yet
    _poll, rows = await following.answers_table(session, poll_id=poll.id, viewer=p[STAFF])
    assert sorted((who, chosen) for _home, who, _at, chosen in rows) == [
        ("Amy", (1,)), ("Ann", (1,)), ("Cai", (3,))]
    with pytest.raises(NotAllowed):
        await closing.results(session, poll_id=poll.id, viewer=p[ANN])
    await closing.publish_result(session, poll_id=poll.id, by=p[STAFF])
    assert await outbox_to(session, core.RESULT) == [ANN, AMY, BOB, CAI]
    _poll, result = await closing.results(session, poll_id=poll.id, viewer=p[BOB])
    assert [o.owners for o in result.options] == [2, 0, 1]
    with pytest.raises(Conflict, match="already"):
        await closing.publish_result(session, poll_id=poll.id, by=p[STAFF])


async def test_one_household_one_vote_anonymous_with_several_options(session, tmp_path):
    p = await people(session)
    poll = await published(session, p[STAFF], unit=Unit.HOUSEHOLD, anonymous=True,
                           multiple=True, turnout=67)
    await answering.cast(session, poll_id=poll.id, person=p[ANN], household_id=0,
                         options=[1, 3])
    with pytest.raises(Conflict, match="cannot be changed"):  # Amy: the same household
        await answering.cast(session, poll_id=poll.id, person=p[AMY], household_id=0,
                             options=[2])
    seen = await answering.stand(session, poll_id=poll.id, person=p[CAI])
    assert seen.household_id is None and len(seen.homes) == 2  # picks which home first
    with pytest.raises(StaleButton):
        await answering.cast(session, poll_id=poll.id, person=p[CAI], household_id=0,
                             options=[1])
    for home, _label in seen.homes:
        await answering.cast(session, poll_id=poll.id, person=p[CAI], household_id=home,
                             options=[1])
    # only that each household answered is kept apart from the answers, which hold no voter
    assert [c.name for c in inspect(PollSecretAnswer).columns] == ["poll_id", "key"]
    assert [c.name for c in inspect(PollSecretChoice).columns] == ["poll_id", "option", "key"]
    marks = list(await session.scalars(select(PollVoter)))
    assert len(marks) == 3 and all(m.person_id is None for m in marks)
    details = [e.detail for e in await session.scalars(
        select(AuditEntry).where(AuditEntry.action == "poll.answer"))]
    assert len(details) == 3 and all(d["options"] is None for d in details)

    poll = await closing.close_now(session, poll_id=poll.id, by=p[STAFF])
    [matter] = poll.result["matters"]
    # 3 of 4 households took part: at least the 67% the poll needs
    assert (matter["owners_total"], matter["owners_voted"]) == (4, 3)
    assert matter["quorum"] is True and matter["turnout_min"] == 67
    assert [o["owners"] for o in matter["options"]] == [3, 0, 1]
    assert await outbox_to(session, core.CLOSED) == []  # (its creator closed it: shown there)
    assert await recounted(session, poll, tmp_path) == poll.result
    assert (tmp_path / "matters.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "matter,kind,item,seats,candidates,turnout", "1,poll,,3,Yes;No;No opinion,67%"]
    with pytest.raises(Conflict, match="anonymous"):
        await following.answers_table(session, poll_id=poll.id, viewer=p[STAFF])


async def test_a_minimum_turnout_missed(session, tmp_path):
    from bot.i18n import tr

    p = await people(session)
    poll = await published(session, p[STAFF], turnout=50)
    await answering.cast(session, poll_id=poll.id, person=p[BOB], household_id=0, options=[2])
    poll = await closing.close_now(session, poll_id=poll.id, by=p[STAFF])
    [matter] = poll.result["matters"]
    assert (matter["owners_voted"], matter["owners_total"], matter["quorum"]) == (1, 4, False)
    table = result_table(tally.tally(*recount.read_files(await _files(session, poll,
                                                                        tmp_path))), tr("en"))
    assert "Matter 1: poll — not valid: turnout below the minimum" in table
    assert re.search(r"\nVoted +1 +25\.00% +✗ +≥ 1/2\n", table), table
    assert "m²" not in table  # nobody is weighed by area


async def _files(session, poll: Poll, folder: Path) -> Path:
    await export.export_files(session, poll, folder)
    return folder


async def test_reminders_go_only_to_those_who_have_not_answered(session):
    p = await people(session)
    poll = await published(session, p[STAFF], close_in=3)
    await answering.cast(session, poll_id=poll.id, person=p[ANN], household_id=0, options=[1])
    assert await following.remind(session, poll_id=poll.id, by=p[STAFF]) == 3
    assert await outbox_to(session, core.REMINDER) == [AMY, BOB, CAI]
    with pytest.raises(Conflict) as refused:  # once a day
        await following.remind(session, poll_id=poll.id, by=p[STAFF])
    assert refused.value.message == ALREADY_REMINDED
    # the automatic reminder on the last day: those not reminded since a day, not Ann
    await answering.cast(session, poll_id=poll.id, person=p[BOB], household_id=0, options=[2])
    last_day = poll.closes_at - dt.timedelta(hours=13)
    await run_due(session, poll_feature.EFFECTS, now=last_day)
    await fresh(session, *p.values())
    assert await outbox_to(session, core.REMINDER) == [AMY, AMY, BOB, CAI, CAI]


async def test_a_voter_who_moved_away_stays_on_the_roll(session, tmp_path):
    p = await people(session)
    poll = await published(session, p[STAFF])
    await answering.cast(session, poll_id=poll.id, person=p[BOB], household_id=0, options=[2])
    membership = await session.scalar(select(Membership).where(Membership.person_id == p[BOB].id))
    membership.status = MembershipStatus.REJECTED  # Bob moved out before it closed
    await session.commit()
    poll = await closing.close_now(session, poll_id=poll.id, by=p[STAFF])
    voters = sorted(await session.scalars(select(PollRoll.voter).where(PollRoll.voted)))
    assert voters == [f"p{p[BOB].id}"]
    [matter] = poll.result["matters"]
    assert (matter["owners_total"], matter["owners_voted"]) == (4, 1)  # Ann, Amy, Cai, Bob
    assert await recounted(session, poll, tmp_path) == poll.result


async def test_bad_input_is_refused_and_nothing_is_written(session):
    p = await people(session)
    with pytest.raises(NotAllowed, match="staff and grid workers"):
        await drafting.start_draft(session, author=p[ANN])
    draft = await drafting.start_draft(session, author=p[GRID2])
    with pytest.raises(NotAllowed):  # 1栋 is not in 第二网格
        await drafting.set_place(session, poll_id=draft.id, author=p[GRID2],
                                 place_id=(await place(session, B1)).id)
    draft = await drafting.start_draft(session, author=p[STAFF])
    await drafting.set_place(session, poll_id=draft.id, author=p[STAFF],
                             place_id=(await place(session, B1)).id)
    with pytest.raises(Invalid, match="too long"):
        await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="question",
                              text="长" * 301)
    await session.refresh(draft)
    assert draft.question == "" and draft.step == "question"
    await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="question",
                          text="Which day for the clean-up?")
    await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="options",
                          text="Saturday")
    with pytest.raises(Invalid, match="at least 2"):
        await drafting.options_done(session, poll_id=draft.id, author=p[STAFF])
    with pytest.raises(Invalid, match="already"):
        await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="options",
                              text="saturday")
    with pytest.raises(Invalid, match="at most 60"):
        await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="options",
                              text="x" * 61)
    with pytest.raises(Invalid, match="not complete"):
        await drafting.publish(session, poll_id=draft.id, author=p[STAFF])
    for n in range(2, 11):
        await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="options",
                              text=f"Day {n}")
    await session.refresh(draft)
    assert len(draft.options) == 10 and draft.step == "preview"  # ten: the preview, at once
    with pytest.raises(StaleButton):  # no more options are asked for
        await drafting.answer(session, poll_id=draft.id, author=p[STAFF], step="options",
                              text="Day 11")
    with pytest.raises(StaleButton):
        await drafting.configure(session, poll_id=draft.id, author=p[STAFF], turnout=99)
    assert await session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind.like("poll.%"))) == 0
    assert (await session.get(Poll, draft.id)).status == PollStatus.DRAFT
    with pytest.raises(NotAllowed):  # someone else's draft
        await drafting.publish(session, poll_id=draft.id, author=p[GRID2])


async def test_two_members_of_a_household_at_once_make_one_answer(db):
    async with db.session() as s:
        p = await people(s)
        poll = await published(s, p[STAFF], unit=Unit.HOUSEHOLD, anonymous=True)
        ids, poll_id = [p[ANN].id, p[AMY].id], poll.id

    async def press(person_id: int) -> str:
        async with db.session() as s:
            try:
                await answering.cast(s, poll_id=poll_id, person=await s.get_one(Person, person_id),
                                     household_id=0, options=[1], now=utcnow())
                return "answered"
            except Conflict:
                return "refused"

    assert sorted(await asyncio.gather(*map(press, ids))) == ["answered", "refused"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(PollSecretAnswer)) == 1
