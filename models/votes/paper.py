"""Entering paper and on-site ballots (纸质/现场表决票录入): an officer the vote's convenors
authorised (models/votes/officers.py) finds the owner — by scanning the printed ballot's QR
code (its token, models/votes/printing.py), by typing the code printed under it, or from the
roll by building, unit and home — enters each matter's answer as the paper shows it, marks it
a paper or an on-site ballot, and confirms. The ballot goes into the same roll and tally as
the owners' own, with its channel: a named ballot cast by the officer (`ballots.first_ballot`),
or a secret one under a receipt code (`secret.record`), which the officer is shown to hand to
the owner and which nothing keeps with the owner any more than an online one. The owners of
the home are told that a ballot was entered for it, and by whom.

Every step re-checks, in this order: the token is a ballot's (and, while the officer is
entering one vote's ballots, that vote's); the person is the vote's officer; voting is open;
the owner has no ballot yet. An owner's first ballot counts, whichever way it came: a second
is refused with when and how the first was cast (for a secret ballot, from the audit log,
the only record of it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks, audit
from models.audit import AuditEntry
from models.base import utcnow
from models.errors import N_, Conflict, DomainError, Invalid, NotFound, StaleButton
from models.outbox import declare_kind, enqueue_select
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind, children, get_place
from models.votes import ballots, fixed, secret, selections, standing
from models.votes.core import FEATURE, get_vote
from models.votes.elections import counted
from models.votes.fixed import BallotMatter
from models.votes.officers import require_officer
from models.votes.printing import buildings, parse_token
from models.votes.reading import home_names
from models.votes.tables import (
    PrintedBallot,
    RollHousehold,
    RollOwner,
    SecretVoter,
    UnsignedBallot,
    Vote,
    VoteStatus,
)

CHANNELS = ("paper", "on-site")
ENTERING = "paper"  # the question's step: a ballot's code, typed (or its QR code scanned)
ENTERING_KEPT = dt.timedelta(hours=12)  # (an afternoon of counting ballots in)
PAPER_ENTERED = "vote.paper_entered"  # to the owners of the home: a ballot was entered
PAPER_UNSIGNED = "vote.paper_unsigned"  # to them: their paper ballot was not signed
declare_kind(PAPER_ENTERED, PAPER_UNSIGNED)
ALREADY_UNSIGNED = N_("An unsigned ballot of these homes was recorded already, on {when}. "
                      "A signed one can still be entered.")
NO_SUCH_BALLOT = N_("This is not the code of a printed ballot. Check that it is a ballot of an "
                    "owners' vote here, or pick the owner from the roll.")
OTHER_VOTE = N_("This ballot is one of «{title}», not of the vote whose ballots you are "
                "entering. Open «{title}» to enter it there.")
NOT_A_CODE = N_("A ballot's code has 16 letters and digits, as printed under its QR code "
                "(such as 7KQ2-M9XD-4HPA-3RTW): send it as the ballot shows it.")


@dataclass(frozen=True)
class Entry:
    """An owner's ballot as the officer enters it: the vote, the roll owner, their homes
    (named in the officer's language) and the owners linli knows, to check the signature."""

    vote: Vote
    owner: RollOwner
    homes: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class Entered:
    """What was recorded: the named ballot's number, or the secret ballot's receipt code."""

    entry: Entry
    channel: str
    at: dt.datetime
    ballot_id: int | None
    receipt: str | None


async def _checked(session: AsyncSession, vote: Vote, by: Person, now: dt.datetime) -> None:
    """The officer may enter the vote's ballots now."""
    await require_officer(session, by, vote)
    standing.require_open(vote, now)


async def already(session: AsyncSession, vote: Vote, owner_id: int) -> DomainError | None:
    """Why the owner cannot have another ballot (when and how the first was cast), or None."""
    if not vote.secret:
        ballot = await ballots.ballot_of(session, vote.id, owner_id)
        return None if ballot is None else ballots.first_cast(ballot.channel, ballot.cast_at)
    if await session.get(SecretVoter, (vote.id, owner_id)) is None:
        return None
    # a secret ballot keeps nothing of its casting: the audit log has when and how
    found = (await session.execute(
        select(AuditEntry.at, AuditEntry.detail).where(
            AuditEntry.action == "vote.ballot", AuditEntry.subject == "vote",
            AuditEntry.subject_id == vote.id,
            AuditEntry.detail["owner"].as_integer() == owner_id)
        .order_by(AuditEntry.id).limit(1))).first()
    if found is None:
        return ballots.first_cast("online", None)
    return ballots.first_cast(str(found.detail.get("channel", "online")), found.at)


async def owner_entry(session: AsyncSession, vote: Vote, owner: RollOwner,
                      language: str) -> Entry:
    """The owner's ballot to enter, unless they have one already (refused: when and how)."""
    refused = await already(session, vote, owner.id)
    if refused is not None:
        raise refused
    names = await session.scalars(
        select(Person.name).join(Membership, Membership.person_id == Person.id)
        .join(RollHousehold, RollHousehold.household_id == Membership.household_id)
        .where(RollHousehold.owner_id == owner.id, Membership.status ==
               MembershipStatus.APPROVED, Membership.relation == Relation.OWNER)
        .order_by(Membership.id))
    return Entry(vote, owner, tuple(await home_names(session, owner, language)),
                 tuple(dict.fromkeys(names)))


async def owner_of_home(session: AsyncSession, vote: Vote, household_id: int) -> RollOwner:
    """The roll owner of a home of the vote's roll."""
    owner = await session.scalar(
        select(RollOwner).join(RollHousehold, RollHousehold.owner_id == RollOwner.id)
        .where(RollHousehold.vote_id == vote.id, RollHousehold.household_id == household_id))
    if owner is None:
        raise StaleButton()  # (not a home of this vote's roll)
    return owner


# --- finding the owner -----------------------------------------------------------------------


async def start(session: AsyncSession, *, vote_id: int, by: Person,
                now: dt.datetime | None = None) -> Vote:
    """The officer begins entering the vote's ballots: a code typed next goes to it, and a
    ballot of another vote scanned meanwhile is refused (for ENTERING_KEPT)."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    await _checked(session, vote, by, now)
    await asks.ask(session, person_id=by.id, feature=FEATURE, step=ENTERING,
                   object_id=vote.id, keep=ENTERING_KEPT, now=now)
    await session.commit()
    return vote


async def by_token(session: AsyncSession, *, token: str, by: Person, language: str,
                   vote_id: int | None = None, now: dt.datetime | None = None) -> Entry:
    """The ballot a scanned or typed code names, for the officer to enter. `vote_id`: the
    vote the code was typed for; a scanned one is checked against the vote whose ballots the
    officer is entering, if any."""
    now = now or utcnow()
    code = parse_token(token)
    printed = await session.get(PrintedBallot, code) if code is not None else None
    if printed is None:
        raise NotFound(NO_SUCH_BALLOT)
    vote = await get_vote(session, printed.vote_id)
    if vote_id is not None and vote_id != vote.id:  # typed while entering another vote's
        await require_officer(session, by, vote_id)
        raise Conflict(OTHER_VOTE, title=vote.title_for(language))
    await require_officer(session, by, vote)
    entering = await asks.asked(session, by.id, now)
    if vote_id is None and entering is not None and entering.feature == FEATURE and \
            entering.step == ENTERING and entering.object_id != vote.id:
        raise Conflict(OTHER_VOTE, title=vote.title_for(language))
    standing.require_open(vote, now)
    return await owner_entry(session, vote, await owner_of_home(session, vote,
                                                                printed.household_id),
                             language)


async def by_code(session: AsyncSession, *, vote_id: int, text: str, by: Person,
                  language: str, now: dt.datetime | None = None) -> Entry:
    """A code typed while entering the vote's ballots (the question stays open)."""
    if parse_token(text) is None:
        raise Invalid(NOT_A_CODE)
    return await by_token(session, token=text, by=by, language=language, vote_id=vote_id,
                          now=now)


async def by_home(session: AsyncSession, *, vote_id: int, household_id: int, by: Person,
                  language: str, now: dt.datetime | None = None) -> Entry:
    """The ballot of the owner of a home picked from the roll."""
    vote = await get_vote(session, vote_id)
    await _checked(session, vote, by, now or utcnow())
    return await owner_entry(session, vote, await owner_of_home(session, vote, household_id),
                             language)


async def entry(session: AsyncSession, *, vote_id: int, owner_id: int, by: Person,
                language: str, now: dt.datetime | None = None) -> Entry:
    """The ballot being entered, re-checked at every press."""
    vote = await get_vote(session, vote_id)
    await _checked(session, vote, by, now or utcnow())
    owner = await session.get(RollOwner, owner_id)
    if owner is None or owner.vote_id != vote.id:
        raise StaleButton()
    return await owner_entry(session, vote, owner, language)


@dataclass(frozen=True)
class Level:
    """A level of the roll to pick from: the vote's buildings, a building's units or a unit's
    homes; for homes, those whose owner has voted."""

    vote: Vote
    place: Place | None
    places: list[Place]
    voted: set[int]


async def roll_level(session: AsyncSession, *, vote_id: int, place_id: int, by: Person,
                     now: dt.datetime | None = None) -> Level:
    """The officer picks the owner from the roll: `place_id` 0 is the vote's buildings."""
    vote = await get_vote(session, vote_id)
    await _checked(session, vote, by, now or utcnow())
    tops = await buildings(session, vote)
    if not place_id:
        return Level(vote, None, tops, set())
    place = await get_place(session, place_id)
    if place.kind not in (PlaceKind.BUILDING, PlaceKind.UNIT) or not any(
            place.path.startswith(b.path) for b in tops):
        raise StaleButton()
    below = await children(session, place.id)
    if place.kind == PlaceKind.BUILDING:
        return Level(vote, place, below, set())
    voted = ballots.voted_owners(vote).subquery()
    done = set(await session.scalars(
        select(RollHousehold.household_id).where(
            RollHousehold.vote_id == vote.id,
            RollHousehold.household_id.in_([p.id for p in below]),
            RollHousehold.owner_id.in_(select(voted.c.owner_id)))))
    return Level(vote, place, below, done)


# --- recording -------------------------------------------------------------------------------


async def record(session: AsyncSession, *, vote_id: int, owner_id: int, by: Person,
                 channel: str, answers: Mapping[int, object],
                 now: dt.datetime | None = None) -> Entered:
    """Record the owner's ballot as the paper shows it, as a `channel` ballot (paper,
    on-site) cast by the officer: in one transaction with its version or receipt, its audit
    row and a word to the owners of the home. `answers` as `ballots.cast` takes them."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise StaleButton()
    found = await entry(session, vote_id=vote_id, owner_id=owner_id, by=by,
                        language=by.language, now=now)
    vote, owner = found.vote, found.owner
    picked = checked((await fixed.of_vote(session, vote.id)).matters, answers)
    officer_id, topic, vote_key = by.id, vote.topic, vote.id
    owners = standing.co_owners(owner.id, officer_id)  # (the officer is not one of them)
    if vote.secret:
        told = [(int(t), int(p)) for t, p in await session.execute(owners)]
        receipt = await secret.record(session, vote=vote, owner=owner, picked=picked,
                                      actor_id=officer_id, channel=channel, told=told,
                                      kind=PAPER_ENTERED)
        return Entered(found, channel, now, None, receipt)
    brief = standing.OwnerBrief(owner.id, owner.area, found.homes, None, False, False)
    try:
        ballot = await ballots.first_ballot(session, vote_brief(vote), brief, picked,
                                            officer_id, now, channel)
        ballot_id = ballot.id
        await enqueue_select(session, owners, kind=PAPER_ENTERED, payload={
            "vote_id": vote_key, "owner_id": owner_id, "by": officer_id, "channel": channel},
            topic=topic, now=now)
        await session.commit()
    except IntegrityError:  # the owner's own ballot (or another officer's entry) came first
        await session.rollback()
        raise Conflict(N_("The ballot for these homes has just been cast. Open the vote again "
                          "to see it.")) from None
    return Entered(found, channel, now, ballot_id, None)


def checked(matters: Sequence[BallotMatter], answers: Mapping[int, object]) -> dict[str, str]:
    """Every matter's answer as the paper shows it, checked, as text: as an owner's ballot
    takes them, or invalid with its reason ("invalid:two": no box ticked or two on a
    decision, more candidates than the seats on an election)."""
    invalid = {m.number: text for m in matters if isinstance(answers.get(m.number), str)
               for text in [selections.invalid_answer(counted(m), str(answers[m.number]))]
               if text is not None}
    rest = [m for m in matters if m.number not in invalid]
    picked = ballots.checked_choices(rest, {n: a for n, a in answers.items()
                                            if n not in invalid})
    picked |= {str(n): text for n, text in invalid.items()}
    return {str(m.number): picked[str(m.number)] for m in matters}


async def record_unsigned(session: AsyncSession, *, vote_id: int, owner_id: int, by: Person,
                          channel: str, now: dt.datetime | None = None) -> Entered:
    """Record that the owner's paper (or on-site) ballot is not signed: invalid, and not
    taking part, so not the owner's ballot (the owner may still vote); counted for the
    result, audited, the home's owners told."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise StaleButton()
    found = await entry(session, vote_id=vote_id, owner_id=owner_id, by=by,
                        language=by.language, now=now)
    before = await session.scalar(select(UnsignedBallot).where(
        UnsignedBallot.vote_id == vote_id, UnsignedBallot.owner_id == owner_id))
    if before is not None:
        raise Conflict(ALREADY_UNSIGNED, when=before.recorded_at)
    officer_id, topic = by.id, found.vote.topic
    session.add(UnsignedBallot(vote_id=vote_id, owner_id=owner_id, channel=channel,
                               recorded_by_id=officer_id, recorded_at=now))
    audit.record(session, actor_id=officer_id, action="vote.paper_unsigned", subject="vote",
                 subject_id=vote_id, owner=owner_id, channel=channel)
    await enqueue_select(session, standing.co_owners(owner_id, officer_id), kind=PAPER_UNSIGNED,
                         payload={"vote_id": vote_id, "owner_id": owner_id, "by": officer_id},
                         topic=topic, now=now)
    try:
        await session.commit()
    except IntegrityError:  # (another officer's press came first)
        await session.rollback()
        raise Conflict(ALREADY_UNSIGNED, when=now) from None
    return Entered(found, channel, now, None, None)


async def unsigned_count(session: AsyncSession, vote_id: int) -> int:
    """How many of the vote's paper ballots were found unsigned."""
    return int(await session.scalar(select(func.count()).select_from(UnsignedBallot).where(
        UnsignedBallot.vote_id == vote_id)) or 0)


def vote_brief(vote: Vote) -> standing.VoteBrief:
    return standing.VoteBrief(vote.id, vote.estate_id, vote.building_id, vote.title,
                              vote.title_en, VoteStatus(vote.status), vote.changeable,
                              vote.secret, vote.opens_at, vote.closes_at)

