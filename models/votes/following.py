"""Following an open vote: progress per building and unit (households and area), the running
double-quorum status, reminders to the owners who have not voted (by the schedule set at
creation, and by a button at most once a day per owner), and who voted how — only after
closing, for the convenors.

Headcount and area come from the frozen roll; who may be reminded comes from the shared
participation parts, with the roll as the counting units (`Duty.units`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import audit, participation
from models.base import utcnow
from models.errors import N_, Conflict
from models.people import Person
from models.places import Place, PlaceKind, name_column
from models.schedule import DueItem
from models.votes import secret, selections
from models.votes.core import REMINDER, acted, duty_of, get_vote, require_convenor, vote_paths
from models.votes.roll import roll_units, voted_owners
from models.votes.tables import (
    Ballot,
    BallotChoice,
    RollHousehold,
    RollOwner,
    Vote,
    VoteStatus,
)

QUORUM = Fraction(2, 3)


@dataclass(frozen=True)
class Status:
    """The running double-quorum status: owners and area that have voted, of the roll."""

    owners_total: int
    owners_voted: int
    area_total: int
    area_voted: int

    @property
    def owners_of_needed(self) -> Fraction:
        """The owners who voted, as a share of the 2/3 participation needs (1 = reached)."""
        return _of_needed(self.owners_voted, self.owners_total)

    @property
    def area_of_needed(self) -> Fraction:
        return _of_needed(self.area_voted, self.area_total)

    @property
    def quorum(self) -> bool:
        return (self.owners_total > 0 and self.area_total > 0
                and Fraction(self.owners_voted, self.owners_total) >= QUORUM
                and Fraction(self.area_voted, self.area_total) >= QUORUM)


def _of_needed(done: int, total: int) -> Fraction:
    return Fraction(done, total) / QUORUM if total else Fraction(0)


async def status(session: AsyncSession, vote: Vote) -> Status:
    voted = voted_owners(vote).subquery()
    row = (await session.execute(
        select(func.count(RollOwner.id), func.coalesce(func.sum(RollOwner.area), 0))
        .join(voted, voted.c.owner_id == RollOwner.id))).one()
    return Status(vote.roll_owners, int(row[0]), vote.roll_area, int(row[1]))


@dataclass(frozen=True)
class BuildingRow:
    """A building (or a unit of it) on the roll: households and area, and how many voted."""

    place_id: int
    name: str
    households: int
    voted_households: int
    area: int
    voted_area: int


async def by_building(session: AsyncSession, vote: Vote, paths: Sequence[str], *,
                      kind: PlaceKind = PlaceKind.BUILDING,
                      language: str = "zh_CN") -> list[BuildingRow]:
    """Per building (or per unit, `kind`) within `paths` (the viewer's part): households and
    area of the roll, and of those whose owner has voted."""
    household = aliased(Place)
    group = aliased(Place)
    voted = voted_owners(vote).scalar_subquery()
    has_voted = RollHousehold.owner_id.in_(voted)
    rows = await session.execute(
        select(group.id, name_column(group, language), func.count(RollHousehold.id),
               func.sum(case((has_voted, 1), else_=0)), func.sum(RollHousehold.area),
               func.sum(case((has_voted, RollHousehold.area), else_=0)))
        .join(household, household.id == RollHousehold.household_id)
        .join(group, household.path.startswith(group.path))
        .where(RollHousehold.vote_id == vote.id, group.kind == kind,
               participation.under(paths, household.path))
        .group_by(group.id, group.path, name_column(group, language)).order_by(group.path))
    return [BuildingRow(int(i), str(n), int(h), int(vh or 0), int(a or 0), int(va or 0))
            for i, n, h, vh, a, va in rows]


async def remind(session: AsyncSession, *, vote_id: int, by: Person | None,
                 now: dt.datetime | None = None) -> int:
    """Remind the reachable owners who have not voted (those reminded about this vote in the
    last day are skipped; a button pressed when all were is told so). Returns how many."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    if by is not None:
        await require_convenor(session, by, vote)
    # (past the deadline the vote is over, whether or not its closing has run yet: after
    # downtime the tick runs a late reminder before the closing, due earlier)
    if vote.status != VoteStatus.OPEN or (vote.closes_at is not None and now >= vote.closes_at):
        if by is None:
            return 0
        raise Conflict(N_("Reminders can only be sent while voting is open."))
    paths = await vote_paths(session, vote)
    count = await participation.remind(
        session, duty_of(vote, paths), acted(vote), subject="vote", subject_id=vote.id,
        kind=REMINDER, payload={"vote_id": vote.id}, by_id=by.id if by else None, now=now,
        topic=vote.topic)
    audit.record(session, actor_id=by.id if by else None, action="vote.remind", subject="vote",
                 subject_id=vote.id, reminded=count)
    if by is not None:
        await session.commit()
    return count


async def remind_due(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect: the automatic reminder, unless the closing moved since."""
    vote = await session.get(Vote, item.ref_id or 0)
    if vote is None or vote.status != VoteStatus.OPEN or vote.closes_at is None:
        return
    if item.payload.get("closes_at") != vote.closes_at.isoformat():
        return
    await remind(session, vote_id=vote.id, by=None, now=now)


async def not_voted(session: AsyncSession, vote: Vote, paths: Sequence[str], *,
                    limit: int | None = None, language: str = "zh_CN") -> Sequence[Any]:
    """Owners who have not voted under `paths` (rows as participation.not_acted gives)."""
    return await participation.not_acted(session, duty_of(vote, paths), acted(vote),
                                         limit=limit, language=language)


async def ballots_after_closing(session: AsyncSession, *, vote_id: int, viewer: Person
                                ) -> list[tuple[str, int, dict[str, str], str]]:
    """Who voted how — (owner's first household's name, area, choices as text: "agree",
    an election's "1;3", channel) — for the convenors, and only once voting has closed
    (named ballots; nobody sees them before). A secret vote's ballots come by receipt code
    instead of home, in the codes' order, as its recount file lists them."""
    vote = await get_vote(session, vote_id)
    await require_convenor(session, viewer, vote)
    if vote.status in (VoteStatus.DRAFT, VoteStatus.ANNOUNCED, VoteStatus.OPEN,
                       VoteStatus.CANCELLED):
        raise Conflict(N_("Who voted how is shown only after voting has closed."))
    if vote.secret:
        return [(secret.receipt_text(receipt), area, selections.texts_from_rows(
            (m, v) for m, found in values.items() for v in found), channel)
            for receipt, area, channel, values in await secret.ballots_of(session, vote)]
    first = (select(RollHousehold.owner_id, func.min(RollHousehold.household_id).label("h"))
             .where(RollHousehold.vote_id == vote.id).group_by(RollHousehold.owner_id)
             .subquery())
    rows = await session.execute(
        select(Ballot.id, Place.name, RollOwner.area, Ballot.channel)
        .join(RollOwner, RollOwner.id == Ballot.owner_id)
        .join(first, first.c.owner_id == Ballot.owner_id)
        .join(Place, Place.id == first.c.h).where(Ballot.vote_id == vote.id)
        .order_by(Place.path))
    chosen: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ballot_id, matter, value in await session.execute(
            select(BallotChoice.ballot_id, BallotChoice.matter, BallotChoice.value)
            .where(BallotChoice.vote_id == vote.id)):
        chosen[ballot_id].append((int(matter), str(value)))
    return [(name, area, selections.texts_from_rows(chosen[ballot_id]), channel)
            for ballot_id, name, area, channel in rows]

__all__ = ["BuildingRow", "Status", "by_building", "not_voted", "remind", "remind_due",
           "roll_units", "status"]
