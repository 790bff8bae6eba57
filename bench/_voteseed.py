"""The district of `bench votes` and its owners' decision, through the real verbs: the synthetic
district (`bench/synth.py`), one estate over every building of it (the issue wants the tally
over all 156,000 households; the generator's estates hold 15 buildings each), a staff
member of its community who convenes, and one vote with two matters — item 4 (hiring the
property service company: more than half) and item 6 (raising the maintenance fund: 3/4) —
announced 17 days ago and open since the start of today, so its roll is frozen by
`lifecycle.open_due` as the bot freezes it. Then, for the tally, ballots of a share of the roll
owners, written in bulk (Core executemany in chunks), chosen and filled in by a seeded
generator: the same district gets the same ballots.

The election (`open_election`, `seed_secret_ballots`): a second vote over the same estate, so
the same roll frozen the same way, of one matter — the owners' committee, two of three
candidates — by secret ballot; a share of its roll owners have cast theirs: the roll's mark,
the ballot under a random receipt with the owner's area, its chosen candidates (none:
abstaining), written in bulk as `secret.record` writes them.

A real estate has tens of buildings, not 2,167: this one is a stress case of the same code.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update

from bench.synth import SynthInfo, generate
from bot.db import Database
from bot.migrate import upgrade_engine
from models.base import utcnow
from models.estates import Estate
from models.outbox import OutboxMessage
from models.people import (
    Membership,
    MembershipStatus,
    Person,
    Relation,
    Role,
    grant_role,
    record_consent,
)
from models.places import Place, PlaceKind
from models.schedule import DueItem, DueStatus
from models.votes import elections, lifecycle, secret
from models.votes.core import OPEN_DUE, OPENED, earliest_opening, local_day
from models.votes.tables import (
    Ballot,
    BallotChoice,
    RollHousehold,
    RollOwner,
    SecretBallot,
    SecretChoice,
    SecretVoter,
    Vote,
)

Progress = Callable[[str], None]
TZ = ZoneInfo("Asia/Shanghai")  # linli's default zone (bot/config.py)
STAFF_TELEGRAM_ID = 900
CHUNK = 5_000
TITLE = "2027年度业主共同决定"
MATTERS = ((4, "续聘物业服务企业"), (6, "续筹专项维修资金"))
# how the seeded ballots choose, per matter: agree, disagree, abstain
WEIGHTS = {1: (0.78, 0.15, 0.07), 2: (0.72, 0.2, 0.08)}
CHOICES = ("agree", "disagree", "abstain")
ELECTION_TITLE = "第二届业主委员会选举"
CANDIDATES = ("张伟", "李娜", "王强")
SEATS = 2
# how the seeded secret ballots choose: the candidates ticked (none: abstaining)
TICKS = (((1, 2), 0.45), ((1, 3), 0.2), ((2, 3), 0.15), ((1,), 0.08), ((3,), 0.05), ((), 0.07))


@dataclass
class District:
    synth: SynthInfo
    estate_id: int
    community_id: int
    staff_id: int  # person id of the staff member who convenes


@dataclass
class OpenVote:
    vote_id: int
    roll_owners: int
    roll_area: int
    told: int  # owners the announcement went to (through the outbox)
    seconds: float = 0.0  # announcing and opening (the roll frozen)


@dataclass
class Seeded:
    """The ballots written, and what a correct tally must find in them."""

    ballots: int
    area: int
    counts: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    voted_owner_ids: set[int] = field(default_factory=set)


async def seed_district(db: Database, households: int, progress: Progress | None = None,
                        seed: int = 1) -> District:
    """The schema (the migrations, so their indexes), the district, its one estate and the
    staff member who convenes."""
    await upgrade_engine(db.engine)
    info = await generate(db, households=households, seed=seed, progress=progress)
    async with db.session() as session:
        community_id = info.communities[0]
        estate = Estate(community_id=community_id, name="合成全区", name_en="Whole district")
        session.add(estate)
        await session.flush()
        await session.execute(update(Place).where(Place.kind == PlaceKind.BUILDING)
                              .values(estate_id=estate.id))
        staff = await record_consent(session, telegram_id=STAFF_TELEGRAM_ID, name="王主任",
                                     language="zh_CN")
        await grant_role(session, person_id=staff.id, place_id=community_id, role=Role.STAFF)
        await session.commit()
        return District(info, estate.id, community_id, staff.id)


async def open_vote(db: Database, district: District, progress: Progress | None = None,
                    *, keep_outbox: bool = False, election: bool = False) -> OpenVote:
    """The vote, written, announced (17 days ago) and opened (today) by the real verbs.
    The announcement and the opening notice go to every owner through the outbox; unless
    `keep_outbox`, those rows are dropped afterwards (a tally does not read them).
    `election`: the secret election of the owners' committee instead of the decisions."""
    started = dt.datetime.now(dt.UTC)
    now = utcnow()
    announced = now - dt.timedelta(days=17)
    async with db.session() as session:
        staff = await session.get_one(Person, district.staff_id)
        vote = await lifecycle.create(session, estate_id=district.estate_id, author=staff,
                                      title=ELECTION_TITLE if election else TITLE)
        if election:
            matter = await elections.add_election(session, vote_id=vote.id,
                                                  title=ELECTION_TITLE, author=staff)
            for name in CANDIDATES:
                await elections.add_candidate(session, vote_id=vote.id, matter=matter.number,
                                              name=name, author=staff)
            await elections.set_seats(session, vote_id=vote.id, matter=matter.number,
                                      seats=SEATS, author=staff)
            await lifecycle.set_secret(session, vote_id=vote.id, secret_ballot=True,
                                       author=staff)
        for item, title in () if election else MATTERS:
            await lifecycle.add_matter(session, vote_id=vote.id, title=title, item=item,
                                       author=staff)
        opens = earliest_opening(local_day(announced, TZ))
        await lifecycle.set_dates(session, vote_id=vote.id, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=60), author=staff, tz=TZ,
                                  now=announced)
        if progress is not None:
            progress(f"votes: announcing{' the election' if election else ''} to every owner")
        told = await lifecycle.announce(session, vote_id=vote.id, author=staff, tz=TZ,
                                        now=announced)
        item = await session.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                          DueItem.ref_id == vote.id))
        assert item is not None and vote.opens_at is not None
        if progress is not None:
            progress("votes: opening (the roll frozen)")
        await lifecycle.open_due(session, item, vote.opens_at)
        item.status = DueStatus.DONE
        await session.commit()
        if not keep_outbox:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.topic == vote.topic))
            await session.commit()
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        return OpenVote(vote.id, vote.roll_owners, vote.roll_area, told, seconds)


async def voters(db: Database, vote_id: int) -> list[tuple[int, int, int]]:
    """(roll owner id, the person who may vote for it, its area) for every roll owner with
    an approved owner, by roll owner id."""
    async with db.session() as session:
        rows = await session.execute(
            select(RollOwner.id, Membership.person_id, RollOwner.area)
            .join(RollHousehold, RollHousehold.owner_id == RollOwner.id)
            .join(Membership, Membership.household_id == RollHousehold.household_id)
            .where(RollOwner.vote_id == vote_id, Membership.relation == Relation.OWNER,
                   Membership.status == MembershipStatus.APPROVED)
            .order_by(RollOwner.id, Membership.person_id))
        seen: dict[int, tuple[int, int, int]] = {}
        for owner_id, person_id, area in rows:
            seen.setdefault(owner_id, (owner_id, person_id, area))
        return list(seen.values())


async def seed_ballots(db: Database, vote: OpenVote, share: float, seed: int = 1,
                       progress: Progress | None = None) -> Seeded:
    """Ballots (and their choice rows) for `share` of the roll owners, as `ballots.cast`
    writes them (the version history aside: the tally does not read it)."""
    rng = random.Random(seed)
    owners = await voters(db, vote.vote_id)
    picked = sorted(rng.sample(owners, round(vote.roll_owners * share)))
    at = utcnow()
    rows = [{"vote_id": vote.vote_id, "owner_id": owner_id, "channel": "online",
             "cast_by_id": person_id, "cast_at": at, "version": 1}
            for owner_id, person_id, _area in picked]
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(Ballot), rows[start:start + CHUNK])
            if progress is not None:
                progress(f"votes: ballots {min(start + CHUNK, len(rows)):,}/{len(rows):,}")
        ids = dict((await conn.execute(select(Ballot.owner_id, Ballot.id)
                                       .where(Ballot.vote_id == vote.vote_id))).all())
        owners_count: Counter[tuple[int, str]] = Counter()
        area_count: Counter[tuple[int, str]] = Counter()
        choices = []
        for owner_id, _person_id, area in picked:
            for matter, weights in WEIGHTS.items():
                value = rng.choices(CHOICES, weights)[0]
                choices.append({"ballot_id": ids[owner_id], "vote_id": vote.vote_id,
                                "matter": matter, "value": value})
                owners_count[matter, value] += 1
                area_count[matter, value] += area
        for start in range(0, len(choices), CHUNK):
            await conn.execute(insert(BallotChoice), choices[start:start + CHUNK])
            if progress is not None:
                progress(f"votes: choices {min(start + CHUNK, len(choices)):,}/"
                         f"{len(choices):,}")
        await conn.exec_driver_sql("ANALYZE")
    return Seeded(ballots=len(picked), area=sum(area for _o, _p, area in picked),
                  counts={key: (owners_count[key], area_count[key]) for key in owners_count},
                  voted_owner_ids={owner_id for owner_id, _p, _a in picked})


async def seed_secret_ballots(db: Database, vote: OpenVote, share: float, seed: int = 1,
                              progress: Progress | None = None) -> Seeded:
    """Secret ballots for `share` of the election's roll owners, as `secret.record` writes
    them: the roll's mark, the ballot (receipt, area, channel) and a choice row per ticked
    candidate (one empty value: abstaining). `counts` as the hand-written GROUP BY gives them:
    (matter, candidate's number or "" for abstaining) → (owners, area)."""
    rng = random.Random(f"{seed}:election")
    owners = await voters(db, vote.vote_id)
    picked = sorted(rng.sample(owners, round(vote.roll_owners * share)))
    options, weights = zip(*TICKS, strict=True)
    receipts: set[str] = set()
    marks: list[dict[str, Any]] = []
    cast: list[dict[str, Any]] = []
    chosen: list[dict[str, Any]] = []
    owners_count: Counter[tuple[int, str]] = Counter()
    area_count: Counter[tuple[int, str]] = Counter()
    for owner_id, _person_id, area in picked:
        receipt = secret.new_receipt()
        while receipt in receipts:
            receipt = secret.new_receipt()
        receipts.add(receipt)
        marks.append({"vote_id": vote.vote_id, "owner_id": owner_id})
        cast.append({"vote_id": vote.vote_id, "receipt": receipt, "area": area,
                     "channel": "online"})
        ticked = rng.choices(options, weights)[0]
        for value in [str(n) for n in ticked] or [""]:
            chosen.append({"vote_id": vote.vote_id, "matter": 1, "value": value,
                           "receipt": receipt})
            owners_count[1, value] += 1
            area_count[1, value] += area
    cast.sort(key=lambda row: row["receipt"])  # (stored in key order, as the closing leaves them)
    chosen.sort(key=lambda row: (row["matter"], row["value"], row["receipt"]))
    async with db.engine.begin() as conn:
        for table, rows in ((SecretVoter, marks), (SecretBallot, cast), (SecretChoice, chosen)):
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(table), rows[start:start + CHUNK])
                if progress is not None:
                    progress(f"votes: secret ballots, {table.__tablename__} "
                             f"{min(start + CHUNK, len(rows)):,}/{len(rows):,}")
        await conn.exec_driver_sql("ANALYZE")
    return Seeded(ballots=len(picked), area=sum(area for _o, _p, area in picked),
                  counts={key: (owners_count[key], area_count[key]) for key in owners_count},
                  voted_owner_ids={owner_id for owner_id, _p, _a in picked})


async def get_vote(db: Database, vote_id: int) -> Vote:
    """The vote as a plain object (no lazy loads while timing)."""
    async with db.session() as session:
        vote = await session.get_one(Vote, vote_id)
        session.expunge(vote)
        return vote


async def press_owners(db: Database, vote_id: int, count: int, *, secret_ballot: bool = False
                       ) -> list[tuple[int, int]]:
    """(telegram id, roll owner id) of the first `count` roll owners without a ballot (a
    secret one: not marked on the roll as voted), by roll owner id: who casts theirs by
    button presses."""
    async with db.session() as session:
        voted = (select(SecretVoter.owner_id).where(SecretVoter.vote_id == vote_id)
                 if secret_ballot else select(Ballot.owner_id).where(Ballot.vote_id == vote_id))
        rows = await session.execute(
            select(Person.telegram_id, RollOwner.id)
            .join(RollHousehold, RollHousehold.owner_id == RollOwner.id)
            .join(Membership, Membership.household_id == RollHousehold.household_id)
            .join(Person, Person.id == Membership.person_id)
            .where(RollOwner.vote_id == vote_id, RollOwner.id.not_in(voted),
                   Membership.relation == Relation.OWNER,
                   Membership.status == MembershipStatus.APPROVED)
            .distinct().order_by(RollOwner.id).limit(count))  # a buyer's units: one owner
        return [(int(t), int(o)) for t, o in rows]


async def hold_opening_notices(db: Database, vote_id: int, chats: list[int]) -> int:
    """Drop the vote's outbox rows (the announcement and the opening notice to every owner)
    but the opening notices to `chats`, and hold those back (`not_before` a year ahead) until
    `release_notices`: the bot sends them once it runs. How many are held."""
    topic = f"vote:{vote_id}"
    async with db.session() as session:
        await session.execute(delete(OutboxMessage).where(
            OutboxMessage.topic == topic,
            ~((OutboxMessage.kind == OPENED) & OutboxMessage.chat_id.in_(chats))))
        await session.execute(update(OutboxMessage).where(OutboxMessage.topic == topic)
                              .values(not_before=utcnow() + dt.timedelta(days=365)))
        await session.commit()
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.topic == topic)) or 0)


async def hold_notices(db: Database, vote_id: int) -> None:
    """Hold back every outbox row of the vote (`not_before` a year ahead), so that a bot run
    for another vote does not send them meanwhile; `hold_opening_notices` picks among them."""
    async with db.session() as session:
        await session.execute(update(OutboxMessage)
                              .where(OutboxMessage.topic == f"vote:{vote_id}")
                              .values(not_before=utcnow() + dt.timedelta(days=365)))
        await session.commit()


async def release_notices(db: Database, vote_id: int) -> None:
    """The held opening notices are due now."""
    async with db.session() as session:
        await session.execute(update(OutboxMessage)
                              .where(OutboxMessage.topic == f"vote:{vote_id}")
                              .values(not_before=utcnow()))
        await session.commit()


async def cast_by(db: Database, vote_id: int, owner_ids: list[int], *,
                  secret_ballot: bool = False) -> int:
    """How many of these roll owners have a ballot now (a secret one: marked as voted)."""
    table = SecretVoter if secret_ballot else Ballot
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(
            table.vote_id == vote_id, table.owner_id.in_(owner_ids))) or 0)
