"""Secret ballots (无记名投票), for votes of elections only: cast, counted, published by receipt.

Casting writes, in one transaction, the roll's mark that the owner voted (`SecretVoter`: the
owner's key, nothing else) and the ballot (`SecretBallot` and its `SecretChoice` rows): the
choices and the owner's area under a random key, which is also the receipt code the voter is
given (12 characters of `ALPHABET`, shown as three groups of four). Neither row holds the
voter, a time or an autoincrement id, and on SQLite both tables are stored in the order of
their keys (WITHOUT ROWID), so their rows do not follow the order of the writes. PostgreSQL's
heap keeps rows where they were written until the table is rewritten: `settle` rewrites a
vote's ballots in key order when voting closes (`rewrite_in_key_order`, which a resident
poll's anonymous answers use too, as they use `new_receipt` for their keys). What is left —
the database's own journal (SQLite's WAL, PostgreSQL's WAL and backups) kept in the order of
the writes, the audit log's and the roll marks' order of casting, an owner whose area is
unusual, a voter showing their receipt to someone — is in the README ("Secret ballots: what
is kept, and what is left").

A secret ballot cannot be changed once cast. The mark's primary key (vote, owner) is what
makes one ballot per owner hold under any number of concurrent presses. Once the vote is
published, the receipts and their choices are the published list; a voter checks a code by
typing it (models/asks.py). The tally and the recount files read the same rows
(`counts`, `ballots_of`), with the receipt as the ballot's key.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from models import asks, audit
from models.base import Base, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.outbox import enqueue
from models.participation import dialect_of
from models.people import Person
from models.votes import selections, tally
from models.votes.ballots import NOT_ON_ROLL, checked_choices, co_owners_of, require_open
from models.votes.core import (
    CO_OWNER_VOTED,
    FEATURE,
    get_vote,
    matters_of,
    require_result_viewer,
)
from models.votes.roll import owners_for
from models.votes.tables import (
    RollOwner,
    SecretBallot,
    SecretChoice,
    SecretVoter,
    Vote,
    VoteMatter,
    VoteStatus,
)

# no 0/O, 1/I/L: a code read aloud or copied from paper is not mistaken (31**12 ≈ 2**59)
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH, GROUP = 12, 4
CHECK = "receipt"  # the question's step: a receipt code to check, typed
CHECK_KEPT = dt.timedelta(hours=1)  # (a code typed wrong can be typed again meanwhile)
NOT_ALL_ELECTIONS = N_("Only a vote whose matters are all elections can have a secret ballot: "
                       "owners' decisions are taken by named ballot, so that an owner's vote "
                       "can be shown in a dispute. Remove the other matters, or keep the "
                       "ballot named.")
ALREADY_CAST = N_("The secret ballot for these homes has already been cast; a secret ballot "
                  "cannot be changed.")
NO_SUCH_RECEIPT = N_("No ballot of this vote has the receipt code {code}. Check the code "
                     "against your copy of the ballot and send it again.")


def new_receipt() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def receipt_text(code: str) -> str:
    """"7KQ2M9XD4HPA" → "7KQ2-M9XD-4HPA", as the voter reads it."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def parse_receipt(text: str) -> str | None:
    """A typed receipt code as stored, or None when it cannot be one (`parse_code`)."""
    return parse_code(text, LENGTH)


def parse_code(text: str, length: int) -> str | None:
    """A typed code of `length` characters of ALPHABET as stored (capitals, no separators;
    full-width characters and lower case taken as they were meant), or None when it cannot
    be one: a receipt code, a printed ballot's token (models/votes/printing.py)."""
    plain = unicodedata.normalize("NFKC", text).upper()
    code = "".join(c for c in plain if c not in " -_.·—–\u3000")
    if len(code) != length or any(c not in ALPHABET for c in code):
        return None
    return code


def only_elections(matters: Sequence[VoteMatter]) -> bool:
    return bool(matters) and all(m.kind == tally.MatterKind.ELECTION for m in matters)


def require_only_elections(matters: Sequence[VoteMatter]) -> None:
    if not only_elections(matters):
        raise Invalid(NOT_ALL_ELECTIONS)


# --- casting ---------------------------------------------------------------------------------


async def cast(session: AsyncSession, *, vote_id: int, owner_id: int, person: Person,
               choices: Mapping[int, object], now: dt.datetime | None = None,
               channel: str = "online") -> str:
    """Cast the owner's secret ballot (once: it cannot be changed); returns its receipt code.
    In one transaction: the roll's mark, the ballot and its choices, an audit row that the
    owner voted (never which ballot), a word to the owner's other co-owners."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    await require_open(vote, now)
    if not vote.secret:
        raise Conflict(N_("This ballot is not secret: open the vote again to cast it."))
    owner = next((o for o in await owners_for(session, vote, person.id) if o.id == owner_id),
                 None)
    if owner is None:
        raise NotAllowed(NOT_ON_ROLL)
    picked = checked_choices(await matters_of(session, vote.id), choices)
    co_owners = await co_owners_of(session, owner.id, person)
    return await record(session, vote=vote, owner=owner, picked=picked, actor_id=person.id,
                        channel=channel, told=[(p.telegram_id, p.id) for p in co_owners],
                        kind=CO_OWNER_VOTED)


async def record(session: AsyncSession, *, vote: Vote, owner: RollOwner,
                 picked: Mapping[str, str], actor_id: int, channel: str,
                 told: Sequence[tuple[int, int]], kind: str) -> str:
    """Write the owner's secret ballot (the caller has checked who casts it, and its choices:
    `cast`, models/votes/paper.py) and commit; its receipt code. In one transaction: the
    roll's mark, the ballot and its choices, an audit row that the owner voted (never which
    ballot), a word of `kind` to each of `told` (telegram id, person id)."""
    if await session.get(SecretVoter, (vote.id, owner.id)) is not None:
        raise Conflict(ALREADY_CAST)
    receipt = new_receipt()
    while await session.get(SecretBallot, (vote.id, receipt)) is not None:
        receipt = new_receipt()  # (one in 2**59 per ballot already cast: never, in practice)
    # every read before the first write (the write lock, on SQLite), and the mark first:
    # of co-owners racing, the second stops at its primary key and writes nothing
    vote_id, owner_id, area, topic = vote.id, owner.id, owner.area, vote.topic
    session.add(SecretVoter(vote_id=vote_id, owner_id=owner_id))
    try:
        await session.flush()
        session.add(SecretBallot(vote_id=vote_id, receipt=receipt, area=area,
                                 channel=channel))
        await session.flush()
        session.add_all([SecretChoice(vote_id=vote_id, matter=int(n), value=value,
                                      receipt=receipt) for n, text in picked.items()
                         for value in selections.row_values(text)])
        await session.flush()
    except IntegrityError:  # a co-owner's ballot (or this person's other press) came first
        await session.rollback()
        raise Conflict(N_("The ballot for these homes has just been cast. Open the vote again "
                          "to see it.")) from None
    audit.record(session, actor_id=actor_id, action="vote.ballot", subject="vote",
                 subject_id=vote_id, owner=owner_id, secret=True, channel=channel)
    for chat_id, person_id in told:
        enqueue(session, chat_id=chat_id, person_id=person_id, kind=kind,
                payload={"vote_id": vote_id, "owner_id": owner_id, "by": actor_id},
                topic=topic)
    await session.commit()
    return receipt


# --- counting, exporting ---------------------------------------------------------------------


async def counts(session: AsyncSession, vote: Vote
                 ) -> tuple[int, int, dict[int, dict[str, tally.Count]]]:
    """(ballots, their area, per matter and value the owners and area behind it): what
    `closing.tally_of` decides from, by GROUP BY as for named ballots."""
    voted = (await session.execute(
        select(func.count(), func.coalesce(func.sum(SecretBallot.area), 0))
        .where(SecretBallot.vote_id == vote.id))).one()
    found: dict[int, dict[str, tally.Count]] = defaultdict(dict)
    for matter, value, owners, area in await session.execute(
            select(SecretChoice.matter, SecretChoice.value, func.count(),
                   func.sum(SecretBallot.area))
            .join(SecretBallot, (SecretBallot.vote_id == SecretChoice.vote_id)
                  & (SecretBallot.receipt == SecretChoice.receipt))
            .where(SecretChoice.vote_id == vote.id)
            .group_by(SecretChoice.matter, SecretChoice.value)):
        # (an empty election ballot abstains; invalid answers count together, whatever
        # their reasons)
        key, had = selections.counted_value(str(value)), found[int(matter)]
        before = had.get(key, tally.Count())
        had[key] = tally.Count(before.owners + int(owners), before.area + int(area or 0))
    return int(voted[0]), int(voted[1]), found


async def ballots_of(session: AsyncSession, vote: Vote
                     ) -> list[tuple[str, int, str, dict[int, list[str]]]]:
    """Every secret ballot of the vote by receipt: (receipt, area, channel, matter → its
    `vote_secret_choice` values)."""
    rows: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for receipt, matter, value in await session.execute(
            select(SecretChoice.receipt, SecretChoice.matter, SecretChoice.value)
            .where(SecretChoice.vote_id == vote.id)):
        rows[str(receipt)][int(matter)].append(str(value))
    return [(str(receipt), int(area), str(channel), dict(rows[str(receipt)]))
            for receipt, area, channel in await session.execute(
                select(SecretBallot.receipt, SecretBallot.area, SecretBallot.channel)
                .where(SecretBallot.vote_id == vote.id).order_by(SecretBallot.receipt))]


async def settle(session: AsyncSession, vote: Vote) -> None:
    """Rewrite the vote's ballots in the order of their keys (in the caller's transaction),
    when voting closes (see `rewrite_in_key_order`)."""
    await rewrite_in_key_order(session, (SecretBallot, SecretBallot.vote_id == vote.id),
                               (SecretChoice, SecretChoice.vote_id == vote.id))


async def rewrite_in_key_order(session: AsyncSession,
                               *tables: tuple[type[Base], ColumnElement[bool]]) -> None:
    """Rewrite these rows of each table (parents first) in the order of their primary keys,
    in the caller's transaction: what keeps a secret ballot's or an anonymous answer's rows
    from lying in the order they were cast. PostgreSQL keeps a table's rows where they were
    written, so until now their physical order (`ctid`, a dump's order) was the order of
    casting; SQLite keeps these tables (WITHOUT ROWID) in key order already."""
    if dialect_of(session) == "sqlite":
        return
    kept = []
    for table, where in tables:
        columns = list(table.__table__.columns)
        key = [c for c in columns if c.primary_key]
        rows = [dict(row._mapping) for row in await session.execute(
            select(*columns).where(where).order_by(*key))]
        kept.append((table, rows))
    for table, where in reversed(tables):
        await session.execute(delete(table).where(where))
    for table, rows in kept:
        if rows:
            await session.execute(insert(table), rows)


# --- the published receipts ------------------------------------------------------------------


async def receipts(session: AsyncSession, *, vote_id: int, viewer: Person
                   ) -> tuple[Vote, list[VoteMatter], list[tuple[str, dict[str, str]]]]:
    """The published list: each receipt code (as read, "7KQ2-M9XD-4HPA") with its ballot's
    choices as text (matter number → "1;3", "" for none), by code — for the owners on the
    roll once the result is published, for the convenors once counted. No areas: an owner
    whose area is unusual would be found by it."""
    vote = await _secret(session, vote_id)
    await require_result_viewer(session, viewer, vote)
    return vote, await matters_of(session, vote.id), [
        (receipt_text(receipt), _texts(values)) for receipt, _area, _channel, values
        in await ballots_of(session, vote)]


async def published_receipts(session: AsyncSession, vote: Vote
                             ) -> list[tuple[str, dict[str, str]]]:
    """The receipts as the published result lists them to every owner (none before, and
    none for a named vote)."""
    if not vote.secret or vote.status != VoteStatus.PUBLISHED:
        return []
    return [(receipt_text(receipt), _texts(values))
            for receipt, _area, _channel, values in await ballots_of(session, vote)]


async def check(session: AsyncSession, *, vote_id: int, text: str, viewer: Person
                ) -> tuple[Vote, list[VoteMatter], str, dict[str, str]]:
    """A typed receipt code looked up in the published list: (vote, matters, the code as read,
    its ballot's choices). A code that is not a ballot's is refused, saying nothing more, and
    the question stays open for the code typed again."""
    vote = await _secret(session, vote_id)
    await require_result_viewer(session, viewer, vote)
    code = parse_receipt(text)
    if code is None:
        raise Invalid(N_("A receipt code has 12 letters and digits, such as 7KQ2-M9XD-4HPA: "
                         "send it as your copy of the ballot shows it."))
    if await session.get(SecretBallot, (vote.id, code)) is None:
        raise NotFound(NO_SUCH_RECEIPT, code=receipt_text(code))
    values: dict[int, list[str]] = defaultdict(list)
    for matter, value in await session.execute(
            select(SecretChoice.matter, SecretChoice.value).where(
                SecretChoice.vote_id == vote.id, SecretChoice.receipt == code)):
        values[int(matter)].append(str(value))
    await asks.clear(session, viewer.id, feature=FEATURE, object_id=vote.id)
    await session.commit()
    return vote, await matters_of(session, vote.id), receipt_text(code), _texts(values)


async def ask_code(session: AsyncSession, *, vote_id: int, person: Person) -> Vote:
    """Ask the person to type a receipt code of the vote, to check it."""
    vote = await _secret(session, vote_id)
    await require_result_viewer(session, person, vote)
    if vote.status != VoteStatus.PUBLISHED:
        raise Conflict(N_("Receipt codes can be checked once the result is published."))
    await asks.ask(session, person_id=person.id, feature=FEATURE, step=CHECK,
                   object_id=vote.id, keep=CHECK_KEPT)
    await session.commit()
    return vote


async def _secret(session: AsyncSession, vote_id: int) -> Vote:
    vote = await get_vote(session, vote_id)
    if not vote.secret:
        raise NotFound(N_("This vote's ballots are named: it has no receipt codes."))
    return vote


def _texts(values: Mapping[int, list[str]]) -> dict[str, str]:
    return selections.texts_from_rows((m, v) for m, found in values.items() for v in found)
