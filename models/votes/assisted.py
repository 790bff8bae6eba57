"""Assisted voting (代为投票): a grid worker (or a staff member) over an owner's home enters
the ballot of an owner who cannot vote in the chat — the elderly living alone — for a named
ballot only (a secret ballot is cast by the owner alone: refused with the reason). A written
proxy (委托书) the owner signed is required: its photo comes first (kept as Telegram's file
id, on a `vote_assisted_ballot` row that the ballot is then linked to); without it nothing is
written and the worker is told what to send. The choices are entered by the buttons of the
paper entry (handlers/votes/paper.py, `how` "a"); the ballot is recorded with the channel
"assisted", cast by the worker (audited, as every ballot is, with its actor), and the
owners of the home get a copy in their chats through the outbox.

Every step re-checks, in this order: the vote is a named one and open; the person is staff
or a grid worker over one of the owner's homes (knocks.require_over_home); the owner has no
ballot yet (the first recorded counts, whichever way it came: the second is refused with
when and how it was cast, as for paper).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks, audit
from models.base import utcnow
from models.errors import N_, Conflict, Invalid, StaleButton
from models.outbox import declare_kind, enqueue_select
from models.people import Person
from models.votes import ballots, fixed, standing
from models.votes.core import FEATURE, get_vote
from models.votes.knocks import require_over_home
from models.votes.paper import Entered, Entry, checked, owner_entry, owner_of_home, vote_brief
from models.votes.tables import AssistedBallot, RollOwner, Vote

CHANNEL = "assisted"
PROXY = "assist_proxy"  # the question's step: the proxy's photo (object: the roll owner)
PROXY_KEPT = dt.timedelta(hours=2)
ASSISTED = "vote.assisted"  # to the owners of the home: the copy of the ballot entered
declare_kind(ASSISTED)
SECRET = N_("This is a secret ballot: nobody may cast it for an owner. The owner votes "
            "alone — in the chat, or on a paper ballot put in the ballot box.")
# (the owner says what they choose: there is no paper whose ticks could be invalid)
NOT_THEIR_CHOICE = N_("An assisted ballot takes the owner's own choice on every matter: one "
                      "answer on each decision, no more candidates than the seats. Nothing "
                      "was recorded; enter the choices again.")
NO_PROXY = N_("First send a photo of the written proxy (委托书) the owner signed: without it "
              "a ballot cannot be entered for them.")
NOT_A_PHOTO = N_("Please send the written proxy as a photo (a picture, not a file or text): "
                 "the owner's signed 委托书, readable.")


async def _checked(session: AsyncSession, vote_id: int, owner: RollOwner | None, by: Person,
                   now: dt.datetime) -> Vote:
    vote = await get_vote(session, vote_id)
    if owner is None or owner.vote_id != vote.id:
        raise StaleButton()
    if vote.secret:
        raise Conflict(SECRET)
    standing.require_open(vote, now)
    await require_over_home(session, by, owner)
    return vote


async def start(session: AsyncSession, *, vote_id: int, household_id: int, by: Person,
                language: str, now: dt.datetime | None = None) -> Entry:
    """The worker begins an assisted ballot for the owner of a home: the proxy's photo is
    asked for next (nothing else is written)."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    owner = await owner_of_home(session, vote, household_id)
    await _checked(session, vote_id, owner, by, now)
    found = await owner_entry(session, vote, owner, language)
    await asks.ask(session, person_id=by.id, feature=FEATURE, step=PROXY, object_id=owner.id,
                   keep=PROXY_KEPT, now=now)
    await session.commit()
    return found


async def take_proxy(session: AsyncSession, *, owner_id: int, file_id: str | None, by: Person,
                     language: str, now: dt.datetime | None = None) -> Entry:
    """The proxy's photo, kept for the owner's ballot (audited); the question is answered.
    No photo (`file_id` None): nothing is written, the worker is told what to send."""
    now = now or utcnow()
    owner = await session.get(RollOwner, owner_id)
    vote = await _checked(session, owner.vote_id if owner else 0, owner, by, now)
    assert owner is not None
    found = await owner_entry(session, vote, owner, language)
    if not file_id:
        raise Conflict(NOT_A_PHOTO)
    row = await _proxy(session, vote.id, owner.id)
    if row is None:
        session.add(AssistedBallot(vote_id=vote.id, owner_id=owner.id, proxy_file_id=file_id,
                                   assisted_by_id=by.id, proxy_at=now))
    else:
        row.proxy_file_id, row.assisted_by_id, row.proxy_at = file_id, by.id, now
    audit.record(session, actor_id=by.id, action="vote.assist_proxy", subject="vote",
                 subject_id=vote.id, owner=owner.id)
    await asks.clear(session, by.id, feature=FEATURE, object_id=owner.id)
    await session.commit()
    return found


async def _proxy(session: AsyncSession, vote_id: int, owner_id: int) -> AssistedBallot | None:
    return await session.scalar(select(AssistedBallot).where(
        AssistedBallot.vote_id == vote_id, AssistedBallot.owner_id == owner_id))


async def entry(session: AsyncSession, *, vote_id: int, owner_id: int, by: Person,
                language: str, now: dt.datetime | None = None) -> Entry:
    """The assisted ballot being entered, re-checked at every press (the proxy sent)."""
    owner = await session.get(RollOwner, owner_id)
    vote = await _checked(session, vote_id, owner, by, now or utcnow())
    assert owner is not None
    found = await owner_entry(session, vote, owner, language)
    if await _proxy(session, vote.id, owner.id) is None:
        raise Conflict(NO_PROXY)
    return found


async def record(session: AsyncSession, *, vote_id: int, owner_id: int, by: Person,
                 answers: Mapping[int, object], now: dt.datetime | None = None) -> Entered:
    """Record the owner's choices as an assisted ballot cast by the worker, linked to the
    proxy, in one transaction with its version, its audit row and the owners' copy."""
    now = now or utcnow()
    found = await entry(session, vote_id=vote_id, owner_id=owner_id, by=by,
                        language=by.language, now=now)
    vote, owner = found.vote, found.owner
    picked = checked((await fixed.of_vote(session, vote.id)).matters, answers)
    if any(answer.startswith("invalid:") for answer in picked.values()):
        raise Invalid(NOT_THEIR_CHOICE)
    proxy = await _proxy(session, vote.id, owner.id)
    assert proxy is not None
    worker_id, topic = by.id, vote.topic
    brief = standing.OwnerBrief(owner.id, owner.area, found.homes, None, False, False)
    try:
        ballot = await ballots.first_ballot(session, vote_brief(vote), brief, picked, worker_id,
                                            now, CHANNEL)
        ballot_id = ballot.id
        proxy.ballot_id, proxy.assisted_by_id = ballot_id, worker_id
        await enqueue_select(session, standing.co_owners(owner_id, worker_id), kind=ASSISTED,
                             payload={"vote_id": vote_id, "owner_id": owner_id,
                                      "by": worker_id, "ballot_id": ballot_id},
                             topic=topic, now=now)
        await session.commit()
    except IntegrityError:  # the owner's own ballot (or a paper one) came first
        await session.rollback()
        raise Conflict(N_("The ballot for these homes has just been cast. Open the vote again "
                          "to see it.")) from None
    return Entered(found, CHANNEL, now, ballot_id, None)


async def proxy_of(session: AsyncSession, ballot_id: int) -> AssistedBallot | None:
    """The proxy an assisted ballot was entered with."""
    return await session.scalar(select(AssistedBallot).where(
        AssistedBallot.ballot_id == ballot_id))
