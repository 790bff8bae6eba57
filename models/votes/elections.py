"""Committee elections (选举业主委员会, Civil Code art. 278 item 3) in a draft: an election
matter, its candidates (each a name, a short description and optionally a photo, kept as a
Telegram file id), and how many seats it fills; the questions the convenor is asked to type
for them (models/asks.py, as the rest of the draft does). What the tally makes of an election
is models/votes/tally.py; the ballot is models/votes/ballots.py.

A half-filled ballot travels in its buttons (handlers/votes/buttons.py): a decision takes
one character, an election one per five candidates (`width`), and the whole must fit a
button's 64 bytes beside the vote's and the owner's numbers — so a vote's ballot is at most
`BALLOT_WIDTH` characters, checked as matters and candidates are added.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks
from models.errors import N_, Conflict, Invalid
from models.people import Person
from models.votes import tally
from models.votes.core import (
    FEATURE,
    MAX_MATTERS,
    MAX_TITLE,
    get_vote,
    matters_of,
    require_convenor,
)
from models.votes.fixed import BallotMatter
from models.votes.selections import SEPARATOR
from models.votes.tables import Candidate, Vote, VoteMatter, VoteStatus

MAX_CANDIDATES = 20
MAX_NAME = 60
MAX_ABOUT = 300
BALLOT_WIDTH = 34  # characters of a ballot's state that its buttons carry
BITS = 5  # candidates per character of the state (base 32)
# the questions' steps: the election's title; a candidate's name, description, photo (per
# matter number, so the answer goes to the election that asked)
ELECTION = "election"
CANDIDATE, ABOUT, PHOTO = "candidate", "about", "photo"
TEXT_STEPS = (ELECTION, *(f"{what}{n}" for what in (CANDIDATE, ABOUT)
                          for n in range(1, MAX_MATTERS + 1)))
PHOTO_STEPS = tuple(f"{PHOTO}{n}" for n in range(1, MAX_MATTERS + 1))
NOT_DRAFT = N_("This vote has been announced: its matters and dates can no longer change.")
PROBLEMS = {  # tally.matter_problem → what the convenor is told before announcing
    "seats": N_("Matter {matter} is an election: choose how many candidates it elects."),
    "options": N_("Matter {matter} is an election: add its candidates first."),
    "seats_range": N_("Matter {matter}: an election cannot elect more candidates than it "
                      "has."),
}


def width(kind: str, candidates: int) -> int:
    """Characters a matter takes in a ballot's state."""
    if kind == tally.MatterKind.DECISION:
        return 1
    return max(1, -(-candidates // BITS))


def ballot_width(matters: Sequence[VoteMatter]) -> int:
    return sum(width(m.kind, len(m.options or ())) for m in matters)


def counted(matter: VoteMatter | BallotMatter) -> tally.Matter:
    """The matter as the tally sees it."""
    return tally.Matter(number=matter.number, kind=tally.MatterKind(matter.kind),
                        item=matter.item, seats=matter.seats,
                        options=tuple(matter.options or ()))


def _text(text: str, limit: int, empty: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise Invalid(empty)
    if len(text) > limit:
        raise Invalid(N_("That is too long: at most {limit} characters."), limit=limit)
    return text


async def _draft(session: AsyncSession, vote_id: int, author: Person) -> Vote:
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if vote.status != VoteStatus.DRAFT:
        raise Conflict(NOT_DRAFT)
    return vote


async def _election(session: AsyncSession, vote_id: int, number: int,
                    author: Person) -> tuple[VoteMatter, list[VoteMatter]]:
    """The draft's election matter `number`, and all its matters."""
    vote = await _draft(session, vote_id, author)
    matters = await matters_of(session, vote.id)
    found = next((m for m in matters if m.number == number), None)
    if found is None or found.kind != tally.MatterKind.ELECTION:
        raise Invalid(N_("That election is no longer in the vote."))
    return found, matters


async def candidates(session: AsyncSession, matter: VoteMatter) -> list[Candidate]:
    return list(await session.scalars(select(Candidate).where(Candidate.matter_id == matter.id)
                                      .order_by(Candidate.number)))


async def candidates_of(session: AsyncSession, vote_id: int) -> dict[int, list[Candidate]]:
    """Every election's candidates, by the matter's number."""
    rows = await session.execute(
        select(VoteMatter.number, Candidate).join(VoteMatter,
                                                  VoteMatter.id == Candidate.matter_id)
        .where(VoteMatter.vote_id == vote_id).order_by(VoteMatter.number, Candidate.number))
    found: dict[int, list[Candidate]] = {}
    for number, candidate in rows:
        found.setdefault(int(number), []).append(candidate)
    return found


# --- the verbs ---------------------------------------------------------------------------


async def add_election(session: AsyncSession, *, vote_id: int, title: str, author: Person,
                       title_en: str | None = None) -> VoteMatter:
    """An election of the owners' committee (item 3), numbered after the other matters; its
    candidates and seats follow."""
    vote = await _draft(session, vote_id, author)
    matters = await matters_of(session, vote.id)
    if len(matters) >= MAX_MATTERS:
        raise Invalid(N_("A vote holds at most {limit} matters."), limit=MAX_MATTERS)
    if ballot_width(matters) + 1 > BALLOT_WIDTH:
        raise Invalid(N_("This vote's ballot has no room for another matter."))
    empty = N_("Send the title as text.")
    matter = VoteMatter(vote_id=vote.id, number=len(matters) + 1,
                        kind=tally.MatterKind.ELECTION, item=tally.ELECTION_ITEM,
                        title=_text(title, MAX_TITLE, empty), options=[],
                        title_en=_text(title_en, MAX_TITLE, empty) if title_en else None)
    session.add(matter)
    await session.commit()
    return matter


async def add_candidate(session: AsyncSession, *, vote_id: int, matter: int, name: str,
                        author: Person) -> Candidate:
    """A candidate of the election, numbered after the others."""
    election, matters = await _election(session, vote_id, matter, author)
    name = _text(name, MAX_NAME, N_("Send the candidate's name as text."))
    if SEPARATOR in name:  # (the recount files separate candidates with it)
        raise Invalid(N_("A candidate's name cannot contain “;”."))
    names = list(election.options or ())
    if name in names:
        raise Invalid(N_("{name} is already a candidate of this election."), name=name)
    if len(names) >= MAX_CANDIDATES:
        raise Invalid(N_("An election has at most {limit} candidates."), limit=MAX_CANDIDATES)
    grown = ballot_width(matters) - width(election.kind, len(names)) + width(election.kind,
                                                                           len(names) + 1)
    if grown > BALLOT_WIDTH:
        raise Invalid(N_("This vote's ballot has no room for another candidate."))
    candidate = Candidate(matter_id=election.id, number=len(names) + 1, name=name, about="")
    session.add(candidate)
    election.options = [*names, name]
    await session.commit()
    return candidate


async def _last(session: AsyncSession, vote_id: int, matter: int,
                author: Person) -> Candidate:
    election, _matters = await _election(session, vote_id, matter, author)
    found = await candidates(session, election)
    if not found:
        raise Invalid(N_("Add a candidate first."))
    return found[-1]


async def describe_candidate(session: AsyncSession, *, vote_id: int, matter: int, about: str,
                             author: Person) -> Candidate:
    """The newest candidate's short description."""
    candidate = await _last(session, vote_id, matter, author)
    candidate.about = _text(about, MAX_ABOUT, N_("Send the description as text."))
    await session.commit()
    return candidate


async def set_candidate_photo(session: AsyncSession, *, vote_id: int, matter: int,
                              file_id: str, author: Person) -> Candidate:
    """The newest candidate's photo (a Telegram file id)."""
    candidate = await _last(session, vote_id, matter, author)
    candidate.photo_id = file_id[:255]
    await session.commit()
    return candidate


async def drop_candidate(session: AsyncSession, *, vote_id: int, matter: int, number: int,
                         author: Person) -> VoteMatter:
    """Remove a candidate; the later ones move up, and the seats shrink to fit."""
    election, _matters = await _election(session, vote_id, matter, author)
    found = await candidates(session, election)
    gone = next((c for c in found if c.number == number), None)
    if gone is None:
        raise Invalid(N_("That candidate is no longer in the election."))
    await session.delete(gone)
    await session.flush()
    kept = [c for c in found if c is not gone]
    for position, candidate in enumerate(kept, start=1):
        if candidate.number != position:
            candidate.number = position
            await session.flush()
    election.options = [c.name for c in kept]
    if election.seats is not None and election.seats > len(kept):
        election.seats = len(kept) or None
    await session.commit()
    return election


async def set_seats(session: AsyncSession, *, vote_id: int, matter: int, seats: int,
                    author: Person) -> VoteMatter:
    """How many candidates the election elects (at most as many as it has)."""
    election, _matters = await _election(session, vote_id, matter, author)
    if not 1 <= seats <= len(election.options or ()):
        raise Invalid(PROBLEMS["seats_range"], matter=election.number)
    election.seats = seats
    await session.commit()
    return election


def check_ready(matters: Sequence[VoteMatter]) -> None:
    """Refuse to announce an election without its candidates or seats (Invalid)."""
    for matter in matters:
        problem = tally.matter_problem(counted(matter))
        if problem is not None:
            raise Invalid(PROBLEMS.get(problem, tally.MATTER_PROBLEMS[problem]),
                          matter=matter.number)


# --- what the convenor is asked to type -----------------------------------------------------


async def _ask(session: AsyncSession, person: Person, vote_id: int, step: str) -> None:
    await asks.ask(session, person_id=person.id, feature=FEATURE, step=step, object_id=vote_id)
    await session.commit()


async def ask_election(session: AsyncSession, *, vote_id: int, author: Person) -> Vote:
    """Ask for a new election's title."""
    vote = await _draft(session, vote_id, author)
    await _ask(session, author, vote.id, ELECTION)
    return vote


async def ask_candidate(session: AsyncSession, *, vote_id: int, matter: int,
                        author: Person) -> VoteMatter:
    """Ask for the next candidate's name."""
    election, _matters = await _election(session, vote_id, matter, author)
    if len(election.options or ()) >= MAX_CANDIDATES:
        raise Invalid(N_("An election has at most {limit} candidates."), limit=MAX_CANDIDATES)
    await _ask(session, author, vote_id, f"{CANDIDATE}{election.number}")
    return election


def step_matter(step: str) -> tuple[str, int]:
    """("about", 2) from "about2"; ("election", 0)."""
    what = step.rstrip("0123456789")
    return what, int(step[len(what):] or 0)


async def answer(session: AsyncSession, *, vote_id: int, step: str, text: str,
                 author: Person) -> tuple[VoteMatter, str]:
    """A typed answer: the election's title, a candidate's name or description. Returns the
    election and what is asked next (a candidate's description, their photo)."""
    what, number = step_matter(step)
    if what == ELECTION:
        election = await add_election(session, vote_id=vote_id, title=text, author=author)
        number, ask_next = election.number, CANDIDATE
    elif what == CANDIDATE:
        await add_candidate(session, vote_id=vote_id, matter=number, name=text, author=author)
        ask_next = ABOUT
    else:
        await describe_candidate(session, vote_id=vote_id, matter=number, about=text,
                                 author=author)
        ask_next = PHOTO
    await _ask(session, author, vote_id, f"{ask_next}{number}")
    election, _matters = await _election(session, vote_id, number, author)
    return election, ask_next


async def answer_photo(session: AsyncSession, *, vote_id: int, step: str, file_id: str,
                       author: Person) -> VoteMatter:
    """The newest candidate's photo; nothing more is asked."""
    _what, number = step_matter(step)
    await set_candidate_photo(session, vote_id=vote_id, matter=number, file_id=file_id,
                              author=author)
    return await election_page(session, vote_id=vote_id, matter=number, author=author)


async def election_page(session: AsyncSession, *, vote_id: int, matter: int,
                        author: Person) -> VoteMatter:
    """The election as its page shows it; whatever was being asked about it is dropped."""
    election, _matters = await _election(session, vote_id, matter, author)
    await asks.clear(session, author.id, feature=FEATURE, object_id=vote_id)
    await session.commit()
    return election
