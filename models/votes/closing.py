"""The end of voting: closing at the deadline exactly once (a due item; one from before an
extension is stale, not wrong), counting with models/votes/tally.py, extending when
participation is short, the scrutineers' confirmations and publishing the result to every
owner. Every verb is one transaction with its audit row and its outbox rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import end_of_day, utcnow
from models.errors import N_, Conflict, Invalid
from models.estates import CommitteeSeat
from models.outbox import enqueue_select
from models.participation import reachable
from models.people import Person
from models.schedule import DueItem
from models.votes import recount, secret, selections, tally
from models.votes.core import (
    CLOSE_DUE,
    EXTENDED,
    MAX_VOTING,
    REMIND_DUE,
    RESULT,
    TO_CONFIRM,
    cancel_due,
    convenors,
    duty_of,
    get_vote,
    require_convenor,
    schedule_closing,
    tell_convenors,
    vote_paths,
)
from models.votes.export import matters_as_counted
from models.votes.tables import Ballot, BallotChoice, RollOwner, Scrutiny, Vote, VoteStatus


async def tally_of(session: AsyncSession, vote: Vote) -> list[tally.MatterResult]:
    """The tally of the vote's ballots against its frozen roll: two GROUP BY queries in the
    database (a district's 100,000 ballots never become Python objects), decided by the same
    rules as a recount (`tally.tally_counts`)."""
    matters = await matters_as_counted(session, vote)
    if vote.secret:  # the same GROUP BY over the secret ballots, weighted by their own areas
        owners_voted, area_voted, counts = await secret.counts(session, vote)
        return tally.tally_counts(matters, owners_total=vote.roll_owners,
                                  area_total=vote.roll_area, owners_voted=owners_voted,
                                  area_voted=area_voted, counts=counts)
    voted = (await session.execute(
        select(func.count(Ballot.id), func.coalesce(func.sum(RollOwner.area), 0))
        .join(RollOwner, RollOwner.id == Ballot.owner_id).where(Ballot.vote_id == vote.id))
    ).one()
    counts = defaultdict(dict)
    for matter, value, owners, area in await session.execute(
            select(BallotChoice.matter, BallotChoice.value, func.count(), func.sum(RollOwner.area))
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .join(RollOwner, RollOwner.id == Ballot.owner_id)
            .where(BallotChoice.vote_id == vote.id)
            .group_by(BallotChoice.matter, BallotChoice.value)):
        # (an empty election ballot abstains; invalid answers count together, whatever
        # their reasons)
        key, had = selections.counted_value(str(value)), counts[int(matter)]
        before = had.get(key, tally.Count())
        had[key] = tally.Count(before.owners + int(owners), before.area + int(area or 0))
    return tally.tally_counts(matters, owners_total=vote.roll_owners,
                              area_total=vote.roll_area, owners_voted=int(voted[0]),
                              area_voted=int(voted[1]), counts=counts)


async def count(session: AsyncSession, vote: Vote, now: dt.datetime) -> list[tally.MatterResult]:
    """Tally the vote (`tally_of`), and store it as the recount's JSON; a secret vote's
    ballots are rewritten in key order first (`secret.settle`)."""
    if vote.secret:
        await secret.settle(session, vote)
    results = await tally_of(session, vote)
    vote.result = recount.result_json(results)
    vote.status, vote.counted_at = VoteStatus.COUNTED, now
    return results


async def close_due(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect at the closing time: close, count, and ask the scrutineers to confirm.
    An item from before an extension is stale: the new one closes."""
    vote = await session.get(Vote, item.ref_id or 0)
    if vote is None or vote.status != VoteStatus.OPEN or vote.closes_at is None:
        return
    if item.payload.get("closes_at") != vote.closes_at.isoformat():
        return
    vote.status, vote.closed_at = VoteStatus.CLOSED, now
    results = await count(session, vote, now)
    quorum = all(r.quorum for r in results)
    await tell_convenors(session, vote, TO_CONFIRM, quorum=quorum)
    audit.record(session, actor_id=None, action="vote.close", subject="vote",
                 subject_id=vote.id, ballots=results[0].owners_voted if results else 0,
                 quorum=quorum)


def can_extend(vote: Vote) -> bool:
    """Open, or counted without a quorum on some matter and not yet confirmed."""
    if vote.status == VoteStatus.OPEN:
        return True
    return (vote.status == VoteStatus.COUNTED and vote.result is not None
            and not all(m["quorum"] for m in vote.result["matters"]))


async def extend(session: AsyncSession, *, vote_id: int, closes_on: dt.date, author: Person,
                 tz: dt.tzinfo, now: dt.datetime | None = None,
                 max_voting: dt.timedelta = MAX_VOTING) -> Vote:
    """Move the closing to the end of `closes_on`: while voting runs, or after a count that
    fell short of the quorum (voting opens again; the scrutineers' confirmations so far are
    void). The whole voting time stays within `max_voting` (LINLI_VOTE_MAX_DAYS)."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if not can_extend(vote):
        raise Conflict(N_("Only a vote that is open, or counted without a quorum, can be "
                          "extended."))
    assert vote.opens_at is not None and vote.closes_at is not None
    closes_at = end_of_day(closes_on, tz)
    if closes_at <= max(now, vote.closes_at):
        raise Invalid(N_("Choose a day after the current closing."))
    if closes_at - vote.opens_at > max_voting:
        raise Invalid(N_("Voting can last at most {days} days."), days=max_voting.days)
    if vote.status == VoteStatus.COUNTED:
        await session.execute(delete(Scrutiny).where(Scrutiny.vote_id == vote.id))
        vote.result, vote.counted_at, vote.closed_at = None, None, None
    vote.status, vote.closes_at = VoteStatus.OPEN, closes_at
    await cancel_due(session, vote.id, (CLOSE_DUE, REMIND_DUE))
    schedule_closing(session, vote, now)
    paths = await vote_paths(session, vote)
    people = reachable(duty_of(vote, paths)).subquery()
    await enqueue_select(session, select(people.c.chat_id, people.c.person_id), kind=EXTENDED,
                         payload={"vote_id": vote.id}, topic=vote.topic, now=now)
    audit.record(session, actor_id=author.id, action="vote.extend", subject="vote",
                 subject_id=vote.id, closes_at=closes_at.isoformat())
    await session.commit()
    return vote


# --- scrutineers, publishing ----------------------------------------------------------------


async def confirmations(session: AsyncSession, vote_id: int) -> list[Scrutiny]:
    return list(await session.scalars(select(Scrutiny).where(Scrutiny.vote_id == vote_id)
                                      .order_by(Scrutiny.id)))


@dataclass(frozen=True)
class StillToConfirm:
    """Whom the count waits for after a first confirmation."""

    member_needed: bool  # a staff member confirmed: the second must sit on the committee
    convenors: list[Person]  # its committee members and author who may still confirm


async def still_to_confirm(session: AsyncSession, vote_id: int) -> StillToConfirm:
    """The vote's convenors (committee members, its author) whose confirmation the count
    still waits for: not yet confirmed, and on the committee where a staff member has
    confirmed already. (Any staff member of the community may confirm too.)"""
    vote = await get_vote(session, vote_id)
    done = await confirmations(session, vote.id)
    members = set(await session.scalars(select(CommitteeSeat.person_id).where(
        CommitteeSeat.estate_id == vote.estate_id)))
    staff_first = any(s.staff for s in done)
    confirmed = {s.person_id for s in done}
    return StillToConfirm(staff_first, [
        p for p in await convenors(session, vote)
        if p.id not in confirmed and (p.id in members or not staff_first)])


async def confirm_count(session: AsyncSession, *, vote_id: int, person: Person,
                        now: dt.datetime | None = None) -> int:
    """A scrutineer confirms the count (audited). Two are needed, at least one of them a
    committee member (two members, or a staff member and one member); then the result is
    published to every owner. Returns the confirmations so far."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    await require_convenor(session, person, vote)
    if vote.status != VoteStatus.COUNTED:
        raise Conflict(N_("Only a counted vote can be confirmed."))
    member = bool(await session.scalar(select(func.count()).select_from(CommitteeSeat).where(
        CommitteeSeat.estate_id == vote.estate_id, CommitteeSeat.person_id == person.id)))
    done = await confirmations(session, vote.id)
    if any(s.person_id == person.id for s in done):
        raise Conflict(N_("You have already confirmed this count."))
    if not member and any(s.staff for s in done):
        raise Conflict(N_("A committee member must confirm the count too: two staff members "
                          "are not enough."))
    session.add(Scrutiny(vote_id=vote.id, person_id=person.id, staff=not member, at=now))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(N_("You have already confirmed this count.")) from None
    audit.record(session, actor_id=person.id, action="vote.confirm", subject="vote",
                 subject_id=vote.id, as_staff=not member)
    total = len(done) + 1
    if total >= 2:
        await _publish(session, vote, now)
    await session.commit()
    return total


async def _publish(session: AsyncSession, vote: Vote, now: dt.datetime) -> None:
    vote.status = VoteStatus.CONFIRMED
    paths = await vote_paths(session, vote)
    people = reachable(duty_of(vote, paths)).subquery()
    told = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                kind=RESULT, payload={"vote_id": vote.id}, topic=vote.topic,
                                now=now)
    vote.status, vote.published_at = VoteStatus.PUBLISHED, now
    audit.record(session, actor_id=None, action="vote.publish", subject="vote",
                 subject_id=vote.id, told=told)
