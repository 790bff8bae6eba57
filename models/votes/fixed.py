"""What of a vote never changes once it is announced — its matters and its elections'
candidates, as ballots show and check them, and whether its ballot is secret — read once per
vote in one statement and kept in this process.

Nothing of an announced vote is editable: lifecycle and elections refuse every change but to a
draft, a vote never becomes a draft again, and no vote is ever deleted. So a copy kept here
can never be stale, and every worker of a multi-worker deployment may keep its own without
telling the others. A draft's are never kept (they change while it is written). The copies
are kept per database (engine: two databases may have votes with the same ids), for the
`KEPT` votes most recently pressed on, so the cache stays small however many votes there are.
Only what the rules freeze belongs here: a vote's status, dates and roll, who may vote and
what has been cast are read from the database at every press.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import N_, NotFound
from models.votes import tally
from models.votes.tables import Candidate, Vote, VoteMatter, VoteStatus

KEPT = 64  # votes kept per database


@dataclass(frozen=True)
class BallotMatter:
    """A matter as ballots show and check it (frozen: shared by every press on the vote)."""

    id: int
    number: int
    kind: str  # tally.MatterKind
    item: int | None
    title: str
    title_en: str | None
    seats: int | None
    options: tuple[str, ...]  # an election's candidates' names, numbered from 1

    def title_for(self, language: str) -> str:
        return (self.title_en or self.title) if language == "en" else self.title


@dataclass(frozen=True)
class CandidateBrief:
    """An election's candidate as the ballot shows them."""

    number: int
    name: str
    about: str
    photo_id: str | None


@dataclass(frozen=True)
class Fixed:
    matters: tuple[BallotMatter, ...]
    candidates: dict[int, tuple[CandidateBrief, ...]]  # by the election's matter number
    secret: bool  # a secret ballot (chosen on the draft, like the matters)

    @property
    def has_elections(self) -> bool:
        return any(m.kind == tally.MatterKind.ELECTION for m in self.matters)


_KEPT: weakref.WeakKeyDictionary[Engine, OrderedDict[int, Fixed]] = (
    weakref.WeakKeyDictionary())

# built once: the vote's status, each matter, and each election's candidates
_FIXED = (select(Vote.status, Vote.secret, VoteMatter.id, VoteMatter.number, VoteMatter.kind,
                 VoteMatter.item, VoteMatter.title, VoteMatter.title_en, VoteMatter.seats,
                 VoteMatter.options, Candidate.number.label("c_number"),
                 Candidate.name.label("c_name"), Candidate.about.label("c_about"),
                 Candidate.photo_id.label("c_photo"))
          .select_from(Vote).outerjoin(VoteMatter, VoteMatter.vote_id == Vote.id)
          .outerjoin(Candidate, Candidate.matter_id == VoteMatter.id)
          .where(Vote.id == bindparam("vote_id"))
          .order_by(VoteMatter.number, Candidate.number))


def _kept(session: AsyncSession) -> OrderedDict[int, Fixed] | None:
    bind = session.bind
    engine = getattr(bind, "sync_engine", None)
    if not isinstance(engine, Engine):
        return None  # (a session bound otherwise keeps nothing)
    return _KEPT.setdefault(engine, OrderedDict())


async def of_vote(session: AsyncSession, vote_id: int) -> Fixed:
    """The vote's matters and candidates: kept, or read in one statement (NotFound: no such
    vote)."""
    kept = _kept(session)
    found = kept.get(vote_id) if kept is not None else None
    if found is not None:
        kept.move_to_end(vote_id)  # type: ignore[union-attr]
        return found
    rows = (await session.execute(_FIXED, {"vote_id": vote_id})).all()
    if not rows:
        raise NotFound(N_("That vote no longer exists."))
    matters: dict[int, BallotMatter] = {}
    candidates: dict[int, list[CandidateBrief]] = {}
    for row in rows:
        if row.id is None:
            continue  # a vote without matters (a draft just begun)
        if row.number not in matters:
            matters[row.number] = BallotMatter(row.id, row.number, row.kind, row.item,
                                               row.title, row.title_en, row.seats,
                                               tuple(row.options or ()))
        if row.c_number is not None:
            candidates.setdefault(row.number, []).append(
                CandidateBrief(row.c_number, row.c_name, row.c_about or "", row.c_photo))
    fixed = Fixed(tuple(matters.values()),
                  {n: tuple(found) for n, found in candidates.items()}, bool(rows[0].secret))
    if kept is not None and rows[0].status != VoteStatus.DRAFT:
        kept[vote_id] = fixed
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return fixed
