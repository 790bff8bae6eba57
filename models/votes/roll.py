"""A vote's roll: every exclusive unit of its estate (or building), joined or not, under the
owner it counts for, frozen when voting opens.

Owners are counted as art. 9 of the Supreme People's Court interpretation on disputes over
the ownership of building units counts them (业主人数):
- each exclusive unit counts as one owner;
- the developer's units that are unsold, or sold but not delivered, count together as one
  owner (`Place.developer`);
- one buyer of several units counts once, the areas added: households with the same owner
  reference from the property register (`Place.owner_ref`), or, without a reference, with the
  same set of approved owners in linli;
(the grouping itself is models/votes/headcount.py, pure Python; here the rows it groups)
- co-owners of one unit are one owner, and cast one ballot.

Who votes for a roll owner is live, not frozen: any approved owner member (业主, verified by the
community office) of one of its households, at the moment they vote.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, String, cast, insert, literal, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.estates import estate_paths
from models.participation import Query, under
from models.people import Membership, MembershipStatus, Relation
from models.places import Place, PlaceKind, ancestor_ids, get_place, label_of
from models.votes.headcount import Household, owners_of
from models.votes.tables import Ballot, RollHousehold, RollOwner, SecretVoter, Vote
from models.votes.tally import RollOwner as RollOwnerCount

MISSING_SHOWN = 20  # households without an area listed in the refusal


def hundredths(area: Decimal) -> int:
    """A floor area in m² (two decimals, as the register keeps it) in hundredths."""
    return int((area * 100).to_integral_value())


async def scope_paths(session: AsyncSession, vote: Vote) -> list[str]:
    """The place paths the vote covers: its building, or every building of its estate — as
    few paths as cover exactly those buildings (`covering_paths`)."""
    if vote.building_id is not None:
        return [(await get_place(session, vote.building_id)).path]
    return await covering_paths(session, await estate_paths(session, vote.estate_id))


async def covering_paths(session: AsyncSession, buildings: Sequence[str]) -> list[str]:
    """The fewest subtree paths whose buildings are exactly these: a grid or community all of
    whose buildings are listed stands for them. Every query over a vote's scope is one range
    per path, OR'd together: an estate that is a whole community is one range however many
    buildings it has (SQLite refuses an OR of more than about 1,000: its expression depth)."""
    if len(buildings) <= 1:
        return list(buildings)
    wanted = set(buildings)
    roots = sorted({f"/{ancestor_ids(path)[0]}/" for path in wanted})
    total: Counter[str] = Counter()  # buildings under each ancestor of a wanted one
    inside: Counter[str] = Counter()  # of them, wanted
    for path in await session.scalars(select(Place.path).where(
            Place.kind == PlaceKind.BUILDING, under(roots, Place.path))):
        for ancestor in _ancestor_paths(path):
            total[ancestor] += 1
            inside[ancestor] += path in wanted
    cover = set()
    for path in wanted:
        cover.add(next((a for a in _ancestor_paths(path) if total[a] == inside[a]), path))
    return sorted(cover)


def _ancestor_paths(path: str) -> list[str]:
    """The paths of a place's ancestors, root first (the place itself not included)."""
    ids = ancestor_ids(path)
    return ["/" + "/".join(str(i) for i in ids[:n]) + "/" for n in range(1, len(ids))]


@dataclass(frozen=True)
class Unit:
    household_id: int
    area: int | None
    owner_ref: str | None
    developer: bool


async def _units(session: AsyncSession, paths: Sequence[str]) -> list[Unit]:
    if not paths:
        return []
    rows = await session.execute(
        select(Place.id, Place.floor_area, Place.owner_ref, Place.developer)
        .where(Place.kind == PlaceKind.HOUSEHOLD, under(paths, Place.path)).order_by(Place.id))
    return [Unit(id_, None if area is None else hundredths(area), ref or None, bool(dev))
            for id_, area, ref, dev in rows]


async def missing_areas(session: AsyncSession, vote: Vote, *, language: str = "zh_CN",
                        limit: int = MISSING_SHOWN) -> tuple[int, list[str]]:
    """How many households of the vote's scope have no floor area, and the first of them by
    name: a vote cannot open while any does."""
    paths = await scope_paths(session, vote)
    missing = [u.household_id for u in await _units(session, paths) if u.area is None]
    names = []
    for household_id in missing[:limit]:
        names.append(await label_of(session, await get_place(session, household_id),
                                    language=language))
    return len(missing), names


async def _owner_sets(session: AsyncSession, paths: Sequence[str]) -> dict[int, str]:
    """Each household's approved owners, as one sorted key."""
    household = Place
    rows = await session.execute(
        select(Membership.household_id, Membership.person_id)
        .join(household, household.id == Membership.household_id)
        .where(Membership.status == MembershipStatus.APPROVED,
               Membership.relation == Relation.OWNER, under(paths, household.path)))
    owners: dict[int, set[int]] = defaultdict(set)
    for household_id, person_id in rows:
        owners[household_id].add(person_id)
    return {h: ",".join(str(p) for p in sorted(people)) for h, people in owners.items()}


async def grouped(session: AsyncSession, vote: Vote
                  ) -> tuple[list[RollOwnerCount], dict[int, int | None]]:
    """The vote's owners as the roll would count them now (models/votes/headcount.py; their
    households' keys are the households' ids as text), and each household's area in
    hundredths (None: the register has none yet). Frozen by `freeze` when voting opens;
    before that, what a printed ballot is made for."""
    paths = await scope_paths(session, vote)
    sets = await _owner_sets(session, paths)
    units = await _units(session, paths)
    owners = owners_of([Household(key=str(u.household_id), area=u.area or 0,
                                  owner_ref=u.owner_ref, developer=u.developer,
                                  owners=sets.get(u.household_id)) for u in units])
    return owners, {u.household_id: u.area for u in units}


async def freeze(session: AsyncSession, vote: Vote) -> tuple[int, int]:
    """Write the vote's roll (in the caller's transaction): (owners, area in hundredths),
    grouped by models/votes/headcount.py. The caller has checked that every household has
    an area."""
    owners, units = await grouped(session, vote)
    if not owners:
        return 0, 0
    await session.execute(insert(RollOwner), [
        {"vote_id": vote.id, "key": owner.key, "area": owner.area} for owner in owners])
    ids = dict((await session.execute(select(RollOwner.key, RollOwner.id)
                                      .where(RollOwner.vote_id == vote.id))).all())
    areas = {household: area or 0 for household, area in units.items()}
    await session.execute(insert(RollHousehold), [
        {"vote_id": vote.id, "owner_id": ids[owner.key], "household_id": int(key),
         "area": areas[int(key)]} for owner in owners for key in owner.households])
    vote.roll_owners, vote.roll_area = len(owners), sum(owner.area for owner in owners)
    return vote.roll_owners, vote.roll_area


async def owners_for(session: AsyncSession, vote: Vote, person_id: int) -> list[RollOwner]:
    """The roll owners this person may vote for: they are an approved owner of one of the
    owner's households."""
    rows = await session.scalars(
        select(RollOwner).join(RollHousehold, RollHousehold.owner_id == RollOwner.id)
        .join(Membership, Membership.household_id == RollHousehold.household_id)
        .where(RollOwner.vote_id == vote.id, Membership.person_id == person_id,
               Membership.status == MembershipStatus.APPROVED,
               Membership.relation == Relation.OWNER)
        .distinct().order_by(RollOwner.id))
    return list(rows)


async def households_of(session: AsyncSession, owner: RollOwner) -> list[tuple[Place, int]]:
    """The owner's households on the roll, with their areas, by name."""
    rows = await session.execute(
        select(Place, RollHousehold.area).join(RollHousehold,
                                               RollHousehold.household_id == Place.id)
        .where(RollHousehold.owner_id == owner.id).order_by(Place.path))
    return [(place, area) for place, area in rows]


def roll_units(vote_id: int) -> Query:
    """(household_id, key) of every household on the roll, keyed by its roll owner: the
    counting units of the participation parts (`Duty.units`)."""
    return select(RollHousehold.household_id.label("household_id"),
                  (literal("r:") + cast(RollHousehold.owner_id, String)).label("key")
                  ).where(RollHousehold.vote_id == vote_id)


def voted_owners(vote: Vote) -> Query:
    """(owner_id) of every roll owner who has cast a ballot: a named ballot's owner, or the
    roll's mark of a secret ballot (which names no ballot)."""
    if vote.secret:
        return select(SecretVoter.owner_id.label("owner_id")).where(
            SecretVoter.vote_id == vote.id)
    return select(Ballot.owner_id.label("owner_id")).where(Ballot.vote_id == vote.id)


def voted_households(vote: Vote) -> Query:
    """(person_id, household_id) of every household whose owner has a ballot: who has acted,
    for the participation parts (the roll counts units by owner, so only the household
    matters; a secret ballot keeps no person, and gives none)."""
    if vote.secret:
        return (select(cast(null(), Integer).label("person_id"),
                       RollHousehold.household_id.label("household_id"))
                .join(SecretVoter, SecretVoter.owner_id == RollHousehold.owner_id)
                .where(SecretVoter.vote_id == vote.id))
    return (select(Ballot.cast_by_id.label("person_id"),
                   RollHousehold.household_id.label("household_id"))
            .join(RollHousehold, RollHousehold.owner_id == Ballot.owner_id)
            .where(Ballot.vote_id == vote.id))
