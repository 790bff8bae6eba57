"""The officers of a vote (录入员): the people its convenors authorise to enter paper and
on-site ballots into its roll and tally (models/votes/paper.py). A convenor grants and takes
back the role on the vote, each change audited; whom they may authorise is who already works
for the estate — its committee members, and the staff, grid workers and volunteers whose
roles cover a part of it — so the role goes to someone the community office knows. Every
entry re-checks the role on the server, whatever the button or the QR code said.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed, NotFound
from models.estates import CommitteeSeat
from models.outbox import declare_kind, enqueue
from models.participation import under
from models.people import Person, Role, RoleGrant
from models.places import Place
from models.votes.core import get_vote, require_convenor, vote_paths
from models.votes.tables import Officer, Vote, VoteStatus

# the roles that may be authorised (besides the estate's committee members)
ROLES = (Role.STAFF, Role.GRID_WORKER, Role.VOLUNTEER)
RUNNING = (VoteStatus.ANNOUNCED, VoteStatus.OPEN)
OFFICER_GRANTED = "vote.officer_granted"  # to the person authorised: how to enter ballots
declare_kind(OFFICER_GRANTED)
NOT_OFFICER = N_("Only the officers this vote's convenors have authorised can enter its "
                 "paper and on-site ballots.")
NOT_CANDIDATE = N_("Only the estate's committee members and the staff, grid workers and "
                   "volunteers who work here can be authorised to enter ballots.")


async def _running(session: AsyncSession, vote_id: int, author: Person) -> Vote:
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if vote.status not in RUNNING:
        raise Conflict(N_("Officers are authorised once the vote is announced, until voting "
                          "closes."))
    return vote


async def _candidates(session: AsyncSession, vote: Vote) -> list[Person]:
    paths = await vote_paths(session, vote)
    # a grant covers the vote when its place is above a covered path or inside one
    above = or_(*[literal(path).like(Place.path + "%") for path in paths])
    granted = (select(RoleGrant.person_id).join(Place, Place.id == RoleGrant.place_id)
               .where(RoleGrant.role.in_(ROLES), or_(above, under(paths, Place.path))))
    seated = select(CommitteeSeat.person_id).where(CommitteeSeat.estate_id == vote.estate_id)
    return list(await session.scalars(
        select(Person).where(or_(Person.id.in_(granted), Person.id.in_(seated)),
                             Person.consent_at.is_not(None)).order_by(Person.name, Person.id)))


async def candidates(session: AsyncSession, *, vote_id: int, author: Person
                     ) -> tuple[Vote, list[Person], set[int]]:
    """Whom a convenor may authorise for the vote, by name, and who is an officer already."""
    vote = await _running(session, vote_id, author)
    return vote, await _candidates(session, vote), {p.id for p in await officers_of(
        session, vote.id)}


async def grant(session: AsyncSession, *, vote_id: int, person_id: int, author: Person,
                now: dt.datetime | None = None) -> bool:
    """Authorise the person to enter the vote's paper ballots (audited), and tell them how;
    False when they were already."""
    vote = await _running(session, vote_id, author)
    if all(p.id != person_id for p in await _candidates(session, vote)):
        raise NotAllowed(NOT_CANDIDATE)
    if await _officer(session, vote.id, person_id) is not None:
        return False
    session.add(Officer(vote_id=vote.id, person_id=person_id, granted_by_id=author.id,
                        granted_at=now or utcnow()))
    person = await person_of(session, person_id)
    if person.unreachable_at is None:
        enqueue(session, chat_id=person.telegram_id, person_id=person.id, kind=OFFICER_GRANTED,
                payload={"vote_id": vote.id, "by": author.id}, topic=vote.topic)
    audit.record(session, actor_id=author.id, action="vote.officer_grant", subject="vote",
                 subject_id=vote.id, person=person_id)
    try:
        await session.commit()
    except IntegrityError:  # (another convenor's press came first)
        await session.rollback()
        raise Conflict(N_("That person has just been authorised.")) from None
    return True


async def revoke(session: AsyncSession, *, vote_id: int, person_id: int, author: Person
                 ) -> bool:
    """Take the authorisation back (audited); False when they held none."""
    vote = await _running(session, vote_id, author)
    if await _officer(session, vote.id, person_id) is None:
        return False
    await session.execute(delete(Officer).where(Officer.vote_id == vote.id,
                                                Officer.person_id == person_id))
    audit.record(session, actor_id=author.id, action="vote.officer_revoke", subject="vote",
                 subject_id=vote.id, person=person_id)
    await session.commit()
    return True


async def _officer(session: AsyncSession, vote_id: int, person_id: int) -> Officer | None:
    return await session.scalar(select(Officer).where(Officer.vote_id == vote_id,
                                                      Officer.person_id == person_id))


async def officers_of(session: AsyncSession, vote_id: int) -> list[Person]:
    """The vote's officers, by name."""
    return list(await session.scalars(
        select(Person).join(Officer, Officer.person_id == Person.id)
        .where(Officer.vote_id == vote_id).order_by(Person.name, Person.id)))


async def require_officer(session: AsyncSession, person: Person, vote: Vote | int) -> None:
    """NotAllowed unless the vote's convenors authorised the person to enter its ballots."""
    vote_id = vote if isinstance(vote, int) else vote.id
    if await _officer(session, vote_id, person.id) is None:
        raise NotAllowed(NOT_OFFICER)


async def votes_entered_by(session: AsyncSession, person: Person) -> list[Vote]:
    """The announced and open votes whose ballots the person is authorised to enter."""
    return list(await session.scalars(
        select(Vote).join(Officer, Officer.vote_id == Vote.id)
        .where(Officer.person_id == person.id, Vote.status.in_(RUNNING))
        .order_by(Vote.id.desc())))


async def person_of(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(N_("That person is not known here."))
    return person
