"""Printable ballots (纸质表决票), one per roll owner, for the owners who vote on paper or at
the meeting: what a page says, in data (bot/ballot_pdf.py draws it) — the vote and its
matters, the owner's homes with their areas, the names of the owners linli knows (to sign
against), and the token its QR code carries: a Telegram deep link `t.me/<bot>?start=pb_<token>`
that an officer authorised by the convenors scans to enter the ballot (models/votes/paper.py).

A vote is printed from its announcement on, when its roll is not frozen yet: the owners are
then grouped as the roll would group them now (`roll.grouped`), and a token is bound to the
owner's first household, which the frozen roll later puts under its owner. Each (vote,
household) keeps one token (`PrintedBallot`): printing again, after a lost page or for one
building, gives the same QR code, so two copies of one owner's ballot are one ballot and the
first entered counts. Tokens are 16 characters drawn by `secrets` from the receipt codes'
alphabet (no 0/O, 1/I/L: the code printed under the QR can be typed from the paper).
"""

from __future__ import annotations

import datetime as dt
import secrets as random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.errors import N_, Conflict, NotFound
from models.estates import buildings_of
from models.participation import under
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind, get_place
from models.votes.core import estate_of_vote, get_vote, matters_of, require_convenor
from models.votes.roll import grouped, scope_paths
from models.votes.secret import ALPHABET, parse_code
from models.votes.tables import PrintedBallot, RollHousehold, Vote, VoteStatus

LENGTH = 16
LINK_PREFIX = "pb_"  # /start pb_<token>
PRINTABLE = (VoteStatus.ANNOUNCED, VoteStatus.OPEN)
NOT_PRINTABLE = N_("Printable ballots are there once the vote is announced, until voting "
                   "closes.")
NAMED = (PlaceKind.BUILDING, PlaceKind.UNIT, PlaceKind.HOUSEHOLD)  # what a home's name shows


def new_token() -> str:
    return "".join(random.choice(ALPHABET) for _ in range(LENGTH))


def parse_token(text: str) -> str | None:
    """A token as printed or typed ("7KQ2-M9XD-4HPA-…", any case, spaces) as stored."""
    return parse_code(text, LENGTH)


@dataclass(frozen=True)
class Home:
    """A household as the ballot names it ("1栋 1单元 101"), with its area (None: the
    register has none yet)."""

    name: str
    name_en: str
    area: int | None


@dataclass(frozen=True)
class PrintedOwner:
    token: str
    homes: tuple[Home, ...]
    names: tuple[str, ...]  # the approved owners linli knows, to sign against

    @property
    def area(self) -> int | None:
        areas = [h.area for h in self.homes]
        return None if None in areas else sum(a or 0 for a in areas)


@dataclass(frozen=True)
class PrintedMatter:
    number: int
    kind: str  # tally.MatterKind
    item: int | None
    title: str
    title_en: str | None
    seats: int | None
    options: tuple[str, ...]


@dataclass(frozen=True)
class Printable:
    vote_id: int
    title: str
    title_en: str | None
    estate: str
    estate_en: str | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    secret: bool
    matters: tuple[PrintedMatter, ...]
    owners: tuple[PrintedOwner, ...]  # in the order of their first homes


async def buildings(session: AsyncSession, vote: Vote) -> list[Place]:
    """The buildings a vote's ballots can be printed by."""
    if vote.building_id is not None:
        return [await get_place(session, vote.building_id)]
    return await buildings_of(session, vote.estate_id)


async def print_choices(session: AsyncSession, *, vote_id: int, author: Person
                        ) -> tuple[Vote, int, list[Place]]:
    """What a convenor may print: (the vote, how many owners its roll has, its buildings)."""
    vote = await _printable_vote(session, vote_id, author)
    owners = vote.roll_owners if vote.status == VoteStatus.OPEN else len(
        (await grouped(session, vote))[0])
    return vote, owners, await buildings(session, vote)


async def printable(session: AsyncSession, *, vote_id: int, author: Person | None,
                    building_id: int | None = None) -> Printable:
    """Every roll owner's ballot of the vote (or only those whose first home is in
    `building_id`), each with its token, made the first time and kept. For a convenor of the
    vote (`author`), or from the command line (None), once announced and until voting
    closes; audited."""
    vote = await _printable_vote(session, vote_id, author)
    owners = await _owners(session, vote)
    places = await _places(session, vote)
    if building_id is not None:
        building = places.get(building_id)
        if building is None or building.kind != PlaceKind.BUILDING:
            raise NotFound(N_("That building is not part of this vote."))
        owners = [o for o in owners if places[_first(o)].path.startswith(building.path)]
    tokens = await _tokens(session, vote, [_first(o) for o in owners])
    names = await _names(session, vote)
    printed = tuple(PrintedOwner(tokens[_first(o)],
                                 tuple(_home(places, h, area) for h, area in o.items()),
                                 tuple(names.of(list(o)))) for o in owners)
    estate = await estate_of_vote(session, vote)
    audit.record(session, actor_id=author.id if author else None, action="vote.print_ballots",
                 subject="vote", subject_id=vote.id, ballots=len(printed),
                 building_id=building_id)
    await session.commit()
    return Printable(vote.id, vote.title, vote.title_en, estate.name, estate.name_en,
                     vote.opens_at, vote.closes_at, vote.secret,
                     tuple(PrintedMatter(m.number, m.kind, m.item, m.title, m.title_en, m.seats,
                                         tuple(m.options or ()))
                           for m in await matters_of(session, vote.id)), printed)


async def _printable_vote(session: AsyncSession, vote_id: int, author: Person | None) -> Vote:
    vote = await get_vote(session, vote_id)
    if author is not None:
        await require_convenor(session, author, vote)
    if vote.status not in PRINTABLE:
        raise Conflict(NOT_PRINTABLE)
    return vote


async def _owners(session: AsyncSession, vote: Vote) -> list[dict[int, int | None]]:
    """Each owner's households (id → area), first home first: the frozen roll once voting
    has opened, the roll as it would be frozen now before that."""
    if vote.status == VoteStatus.OPEN:
        found: dict[int, dict[int, int | None]] = {}
        for owner_id, household_id, area in await session.execute(
                select(RollHousehold.owner_id, RollHousehold.household_id, RollHousehold.area)
                .join(Place, Place.id == RollHousehold.household_id)
                .where(RollHousehold.vote_id == vote.id).order_by(Place.path)):
            found.setdefault(owner_id, {})[household_id] = area
        return list(found.values())
    owners, areas = await grouped(session, vote)
    paths = {h: p for h, p in await session.execute(
        select(Place.id, Place.path).where(Place.kind == PlaceKind.HOUSEHOLD,
                                           under(await scope_paths(session, vote), Place.path)))}
    homes = [sorted((int(k) for k in owner.households), key=lambda h: paths[h])
             for owner in owners]
    return sorted(({h: areas[h] for h in group} for group in homes),
                  key=lambda group: paths[_first(group)])


async def _places(session: AsyncSession, vote: Vote) -> dict[int, Place]:
    """Every place under the vote's scope, by id (a home's name is its building's, its
    unit's and its own)."""
    return {p.id: p for p in await session.scalars(
        select(Place).where(under(await scope_paths(session, vote), Place.path)))}


def _first(owner: dict[int, int | None]) -> int:
    return next(iter(owner))


def _home(places: dict[int, Place], household_id: int, area: int | None) -> Home:
    chain = []
    place: Place | None = places[household_id]
    while place is not None and place.kind in NAMED:
        chain.append(place)
        place = places.get(place.parent_id) if place.parent_id is not None else None
    chain.reverse()
    return Home(" ".join(p.name for p in chain), " ".join(p.name_in("en") for p in chain),
                area)


async def _tokens(session: AsyncSession, vote: Vote, households: Sequence[int]
                  ) -> dict[int, str]:
    """The token of each owner's ballot by its first household, made where there is none."""
    kept = dict((await session.execute(select(PrintedBallot.household_id, PrintedBallot.token)
                                       .where(PrintedBallot.vote_id == vote.id))).all())
    made = {h: new_token() for h in households if h not in kept}
    if made:
        await session.execute(insert(PrintedBallot), [
            {"token": token, "vote_id": vote.id, "household_id": h} for h, token in made.items()])
    return {**kept, **made}


class _Names(dict[int, list[str]]):
    def of(self, households: Sequence[int]) -> list[str]:
        """The names of the owners of these households, each once."""
        seen: list[str] = []
        for household in households:
            seen += [n for n in self.get(household, []) if n not in seen]
        return seen


async def _names(session: AsyncSession, vote: Vote) -> _Names:
    """Each household's approved owners' names, as linli knows them."""
    names = _Names()
    for household_id, name in await session.execute(
            select(Membership.household_id, Person.name)
            .join(Person, Person.id == Membership.person_id)
            .join(Place, Place.id == Membership.household_id)
            .where(Membership.status == MembershipStatus.APPROVED,
                   Membership.relation == Relation.OWNER,
                   under(await scope_paths(session, vote), Place.path))
            .order_by(Membership.id)):
        names.setdefault(household_id, []).append(name)
    return names
