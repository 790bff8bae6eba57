"""Following a pledge: progress per building and unit, who has not signed, reminders to exactly
them, and the rows of an export — each within what the viewer may see (a grid worker sees their
grid of a community-wide pledge; staff over the pledge's place see all of it).

Everything here is set-based Core over the place tree's path index (FIELD-NOTES, "Queries at
district scale"): a 156,000-household district is one range scan plus an anti-join on the
signature table, never a loop over ORM objects. Reminders are INSERT … SELECT into the outbox,
with a log that keeps them to one per person per pledge per day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Row,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column
from sqlalchemy.sql import ColumnElement

from models.base import ID, Base, utcnow
from models.errors import N_, Conflict, NotAllowed
from models.outbox import enqueue_select
from models.people import Membership, MembershipStatus, Person, Relation, RoleGrant
from models.permissions import MANAGERS
from models.places import Place, PlaceKind, natural_key, subtree_filter
from models.pledge_signing import Signature
from models.pledges import Pledge, Signers, get_pledge, place_of
from models.schedule import DueItem

REMIND_EVERY = dt.timedelta(days=1)


class PledgeReminder(Base):
    """A reminder sent to a person about a pledge: at most one per person per day."""

    __tablename__ = "pledge_reminder"
    __table_args__ = (Index("ix_pledge_reminder_pledge_id_person_id_reminded_at",
                            "pledge_id", "person_id", "reminded_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    reminded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


async def viewer_paths(session: AsyncSession, person: Person, pledge: Pledge) -> list[str]:
    """The parts of the pledge's place this person may follow, as paths (NotAllowed if none)."""
    place = await place_of(session, pledge)
    grants = set(await session.scalars(
        select(Place.path).join(RoleGrant, RoleGrant.place_id == Place.id)
        .where(RoleGrant.person_id == person.id, RoleGrant.role.in_(MANAGERS))))
    if any(place.path.startswith(g) for g in grants):
        return [place.path]
    inner = sorted(g for g in grants if g.startswith(place.path))
    # a grant under another grant adds nothing
    paths = [g for g in inner if not any(g != o and g.startswith(o) for o in inner)]
    if not paths:
        raise NotAllowed()
    return paths


# --- who may sign, who has ------------------------------------------------------------------


def _under(paths: Sequence[str], column: ColumnElement[str]) -> ColumnElement[bool]:
    return or_(*[subtree_filter(p, column) for p in paths]) if len(paths) > 1 else \
        subtree_filter(paths[0], column)


def _eligible(pledge: Pledge, household: Any, paths: Sequence[str]) -> list[ColumnElement[bool]]:
    """Approved memberships that make someone a signer of this pledge under `paths`."""
    signers = Signers(pledge.signers)
    conditions = [Membership.status == MembershipStatus.APPROVED,
                  household.kind == PlaceKind.HOUSEHOLD, _under(paths, household.path)]
    if signers in (Signers.OWNER, Signers.LANDLORD):
        conditions.append(Membership.relation == Relation.OWNER)
    if signers == Signers.LANDLORD:
        tenant = aliased(Membership)
        conditions.append(exists().where(tenant.household_id == Membership.household_id,
                                         tenant.relation == Relation.TENANT,
                                         tenant.status == MembershipStatus.APPROVED))
    return conditions


def _not_signed(pledge: Pledge) -> ColumnElement[bool]:
    if Signers(pledge.signers).per_household:
        covered = and_(Signature.pledge_id == pledge.id,
                       Signature.household_id == Membership.household_id)
    else:
        covered = and_(Signature.pledge_id == pledge.id,
                       Signature.person_id == Membership.person_id)
    return ~exists().where(covered)


def non_signers_query(pledge: Pledge, paths: Sequence[str]) -> Select[Any]:
    """Every (person, household) under `paths` that should sign and has not, in place order."""
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    return (
        select(Membership.person_id, Person.name, Person.telegram_id.label("chat_id"),
               Membership.household_id, household.name.label("room"),
               unit.name.label("unit"), building.name.label("building"))
        .join(Person, Person.id == Membership.person_id)
        .join(household, household.id == Membership.household_id)
        .join(unit, unit.id == household.parent_id)
        .join(building, building.id == unit.parent_id)
        .where(*_eligible(pledge, household, paths), _not_signed(pledge))
        .order_by(household.path, Membership.id)
    )


async def non_signers(
    session: AsyncSession, *, pledge: Pledge, paths: Sequence[str], limit: int | None = None
) -> Sequence[Row[Any]]:
    """Who has not signed under `paths`: rows of (person_id, name, chat_id, household_id, room,
    unit, building). Rows, not ORM objects or dataclasses: at district scale this is 60,000."""
    stmt = non_signers_query(pledge, paths)
    if limit is not None:
        stmt = stmt.limit(limit)
    # through the session's connection: plain Core rows, skipping the ORM's per-row loading
    connection = await session.connection()
    return (await connection.execute(stmt)).all()


def _signer_keys(pledge: Pledge) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """What one signer is (a household, or a person) on memberships and on signatures."""
    if Signers(pledge.signers).per_household:
        return Membership.household_id, Signature.household_id
    return Membership.person_id, Signature.person_id


def progress_query(pledge: Pledge, paths: Sequence[str]) -> Select[Any]:
    """Per unit: how many signing units there are and how many have signed."""
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    key, signed_key = _signer_keys(pledge)
    return (
        select(building.id, building.name, unit.id, unit.name, unit.path,
               func.count(key.distinct()), func.count(signed_key.distinct()))
        .select_from(Membership)
        .join(household, household.id == Membership.household_id)
        .join(unit, unit.id == household.parent_id)
        .join(building, building.id == unit.parent_id)
        .outerjoin(Signature, and_(Signature.pledge_id == pledge.id, signed_key == key))
        .where(*_eligible(pledge, household, paths))
        .group_by(building.id, building.name, unit.id, unit.name, unit.path)
    )


async def totals(
    session: AsyncSession, *, pledge: Pledge, paths: Sequence[str]
) -> tuple[int, int]:
    """(should sign, have signed) under `paths`, each signer counted once — a person with
    homes in two buildings is one person, where the per-unit rows would count them twice."""
    household = aliased(Place)
    key, signed_key = _signer_keys(pledge)
    row = (await session.execute(
        select(func.count(key.distinct()), func.count(signed_key.distinct()))
        .select_from(Membership)
        .join(household, household.id == Membership.household_id)
        .outerjoin(Signature, and_(Signature.pledge_id == pledge.id, signed_key == key))
        .where(*_eligible(pledge, household, paths))
    )).one()
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class UnitProgress:
    building_id: int
    building: str
    unit_id: int
    unit: str
    unit_path: str
    expected: int
    signed: int


@dataclass(frozen=True)
class Tally:
    """A line of a progress report: a place, how many should sign, how many have."""

    place_id: int
    name: str
    expected: int
    signed: int


async def progress(
    session: AsyncSession, *, pledge: Pledge, paths: Sequence[str]
) -> list[UnitProgress]:
    connection = await session.connection()
    rows = (await connection.execute(progress_query(pledge, paths))).all()
    return [UnitProgress(*row) for row in rows]


async def tally_by_child(
    session: AsyncSession, units: Sequence[UnitProgress], node: Place
) -> list[Tally]:
    """Sum per-unit progress into the node's children (grids, buildings or units)."""
    sums: dict[int, list[int]] = {}
    depth = node.path.count("/") - 1
    for row in units:
        if not row.unit_path.startswith(node.path):
            continue
        parts = row.unit_path.strip("/").split("/")
        child = int(parts[depth]) if len(parts) > depth else row.unit_id
        entry = sums.setdefault(child, [0, 0])
        entry[0] += row.expected
        entry[1] += row.signed
    names = dict((await session.execute(
        select(Place.id, Place.name).where(Place.id.in_(list(sums))))).all())
    out = [Tally(pid, names.get(pid, "?"), e, s) for pid, (e, s) in sums.items()]
    return sorted(out, key=lambda t: natural_key(t.name))


# --- reminders --------------------------------------------------------------------------------


def _to_remind(pledge: Pledge, paths: Sequence[str], now: dt.datetime) -> Select[Any]:
    household = aliased(Place)
    recently = exists().where(PledgeReminder.pledge_id == pledge.id,
                              PledgeReminder.person_id == Person.id,
                              PledgeReminder.reminded_at > now - REMIND_EVERY)
    return (
        select(Person.telegram_id, Person.id)
        .join(Membership, Membership.person_id == Person.id)
        .join(household, household.id == Membership.household_id)
        .where(*_eligible(pledge, household, paths), _not_signed(pledge),
               Person.consent_at.is_not(None), Person.unreachable_at.is_(None), ~recently)
        .distinct()
    )


async def remind(
    session: AsyncSession, *, pledge_id: int, by: Person | None, now: dt.datetime | None = None,
) -> int:
    """Remind everyone in the viewer's part of the pledge who has not signed (None: all of
    it, for the automatic reminders), skipping those reminded in the last day. Returns count."""
    now = now or utcnow()
    pledge = await get_pledge(session, pledge_id)
    if by is not None:
        paths = await viewer_paths(session, by, pledge)
    else:
        paths = [(await place_of(session, pledge)).path]
    if not pledge.is_open(now):
        raise Conflict(N_("This pledge is closed."))
    sent = await _enqueue_reminders(session, pledge, paths, now)
    await session.commit()
    return sent


async def _enqueue_reminders(
    session: AsyncSession, pledge: Pledge, paths: Sequence[str], now: dt.datetime
) -> int:
    people = _to_remind(pledge, paths, now).subquery()
    count = await enqueue_select(session, select(people.c.telegram_id, people.c.id),
                                 kind="pledge.reminder", payload={"pledge_id": pledge.id},
                                 topic=f"pledge:{pledge.id}", now=now)
    # the same candidates, logged: written after the outbox rows so the set is unchanged
    people = _to_remind(pledge, paths, now).subquery()
    await session.execute(insert(PledgeReminder).from_select(
        ["pledge_id", "person_id", "reminded_at"],
        select(literal(pledge.id), people.c.id,
               literal(now, PledgeReminder.reminded_at.type))))
    return count


async def auto_remind(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect: the scheduled reminder before closing, unless the pledge changed."""
    pledge = await session.get(Pledge, item.ref_id or 0)
    if pledge is None or not pledge.is_open(now) or pledge.closes_at is None:
        return
    if item.payload.get("closes_at") != pledge.closes_at.isoformat():
        return  # extended or shortened since: a fresh item was scheduled for the new date
    # written in run_due's transaction: the item is done exactly when its reminders exist
    await _enqueue_reminders(session, pledge, [(await place_of(session, pledge)).path], now)


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRow:
    name: str
    household: str
    version: int
    signed_at: dt.datetime
    how: str
    assisted_by: str | None
    code: str


async def signature_rows(
    session: AsyncSession, *, pledge_id: int, by: Person
) -> tuple[Pledge, list[SignatureRow]]:
    """Every signature in the viewer's part of the pledge, oldest first, for CSV/XLSX."""
    pledge = await get_pledge(session, pledge_id)
    paths = await viewer_paths(session, by, pledge)
    household, unit, building, grid, community = (aliased(Place) for _ in range(5))
    assister = aliased(Person)
    stmt = (
        select(Person.name, community.name, building.name, unit.name, household.name,
               Signature.version, Signature.signed_at, Signature.how, assister.name,
               Signature.code)
        .select_from(Signature)
        .join(Person, Person.id == Signature.person_id)
        .join(household, household.id == Signature.household_id)
        .join(unit, unit.id == household.parent_id)
        .join(building, building.id == unit.parent_id)
        .join(grid, grid.id == building.parent_id)
        .join(community, community.id == grid.parent_id)
        .outerjoin(assister, assister.id == Signature.assisted_by_id)
        .where(Signature.pledge_id == pledge.id, _under(paths, household.path))
        .order_by(Signature.signed_at, Signature.id)
    )
    rows = [SignatureRow(name, f"{c} {b} {u} {h}", version, at, how, helper, code)
            for name, c, b, u, h, version, at, how, helper, code
            in (await session.execute(stmt)).all()]
    return pledge, rows
