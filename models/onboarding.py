"""Joining a community: a resident asks to be recorded at a household; staff approve.

`request_membership` writes the pending membership, tells every approver in scope through the
outbox and schedules a reminder for when nobody has decided in time; `decide_membership`
re-checks the decider's role on the server, whatever the button said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.outbox import enqueue
from models.people import Membership, MembershipStatus, Person, Relation
from models.permissions import MANAGERS, holders, places_with_role, require_role
from models.places import (
    Place,
    PlaceKind,
    ancestors,
    get_place,
    label,
    natural_key,
    places_of_kind,
    subtree_filter,
)
from models.schedule import DueItem, schedule

JOIN_REMINDER = "join.remind"


@dataclass(frozen=True)
class JoinRequest:
    membership: Membership
    household: Place
    label: str
    created: bool


async def household_label(session: AsyncSession, household: Place) -> str:
    return label(await ancestors(session, household))


async def request_membership(
    session: AsyncSession, *, person: Person, household_id: int, relation: Relation,
    remind_after: dt.timedelta = dt.timedelta(hours=24), now: dt.datetime | None = None,
) -> JoinRequest:
    """Ask to join a household; asking again returns the same request and notifies no one."""
    now = now or utcnow()
    household = await get_place(session, household_id)
    if household.kind != PlaceKind.HOUSEHOLD:
        raise Invalid(N_("Please choose a room (household), not a building or unit."))
    where = await household_label(session, household)
    membership = await session.scalar(
        select(Membership).where(Membership.person_id == person.id,
                                 Membership.household_id == household.id)
    )
    if membership is not None and membership.status == MembershipStatus.APPROVED:
        raise Conflict(N_("You are already registered at {place}."), place=where)
    if membership is not None and membership.status == MembershipStatus.PENDING:
        return JoinRequest(membership, household, where, created=False)
    if membership is None:
        membership = Membership(person_id=person.id, household_id=household.id)
        session.add(membership)
    membership.relation = relation
    membership.status = MembershipStatus.PENDING
    membership.requested_at = now
    membership.decided_at = None
    membership.decided_by_id = None
    await session.flush()
    for approver in await holders(session, place=household, roles=MANAGERS):
        enqueue(session, chat_id=approver.telegram_id, person_id=approver.id,
                kind="join.request", payload={"membership_id": membership.id})
    schedule(session, kind=JOIN_REMINDER, due_at=now + remind_after, ref_id=membership.id)
    await session.commit()
    return JoinRequest(membership, household, where, created=True)


@dataclass(frozen=True)
class Decision:
    membership: Membership
    resident: Person
    label: str


async def decide_membership(
    session: AsyncSession, *, membership_id: int, decider: Person, approve: bool,
    now: dt.datetime | None = None,
) -> Decision:
    """Approve or reject a pending request; the decider must hold an approver role in scope."""
    membership = await session.get(Membership, membership_id)
    if membership is None:
        raise NotFound(N_("This request no longer exists."))
    household = await get_place(session, membership.household_id)
    await require_role(session, person_id=decider.id, place=household, roles=MANAGERS)
    if membership.person_id == decider.id:
        raise NotAllowed(N_("You cannot approve your own request; another staff member or "
                            "grid worker will."))
    if membership.status != MembershipStatus.PENDING:
        decided_by = await session.get(Person, membership.decided_by_id or 0)
        raise Conflict(N_("This request was already handled by {name}."),
                       name=decided_by.name if decided_by else "—")
    membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    membership.decided_at = now or utcnow()
    membership.decided_by_id = decider.id
    resident = await session.get_one(Person, membership.person_id)
    enqueue(session, chat_id=resident.telegram_id, person_id=resident.id, kind="join.decided",
            payload={"membership_id": membership.id})
    where = await household_label(session, household)
    await session.commit()
    return Decision(membership, resident, where)


@dataclass(frozen=True)
class MembershipView:
    membership: Membership
    label: str


async def memberships_of(session: AsyncSession, person_id: int) -> list[MembershipView]:
    rows = await session.scalars(
        select(Membership).where(Membership.person_id == person_id).order_by(Membership.id)
    )
    out = []
    for m in rows:
        household = await get_place(session, m.household_id)
        out.append(MembershipView(m, await household_label(session, household)))
    return out


async def pending_in_scope(
    session: AsyncSession, *, approver: Person, limit: int = 20
) -> list[tuple[Membership, Person, str]]:
    """Pending requests for households under any place where `approver` may approve."""
    scopes = await places_with_role(session, person_id=approver.id, roles=MANAGERS)
    out: list[tuple[Membership, Person, str]] = []
    for path in (scope.path for scope in scopes):
        rows = await session.execute(
            select(Membership, Person, Place)
            .join(Person, Person.id == Membership.person_id)
            .join(Place, Place.id == Membership.household_id)
            .where(Membership.status == MembershipStatus.PENDING, subtree_filter(path))
            .order_by(Membership.requested_at).limit(limit)
        )
        for m, p, h in rows:
            if all(m.id != seen.id for seen, _, _ in out):
                out.append((m, p, await household_label(session, h)))
    return out[:limit]


async def remind_pending_join(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """A join request nobody decided on in time: remind every approver in scope once."""
    membership = await session.get(Membership, item.ref_id or 0)
    if membership is None or membership.status != MembershipStatus.PENDING:
        return
    household = await get_place(session, membership.household_id)
    for approver in await holders(session, place=household, roles=MANAGERS):
        enqueue(session, chat_id=approver.telegram_id, person_id=approver.id,
                kind="join.reminder", payload={"membership_id": membership.id})


# What a resident picks after each step: community → building → unit → room. Grids are skipped:
# residents know their building, not the grid it was put in.
NEXT_PICK = {
    PlaceKind.COMMUNITY: PlaceKind.BUILDING,
    PlaceKind.BUILDING: PlaceKind.UNIT,
    PlaceKind.UNIT: PlaceKind.HOUSEHOLD,
}


@dataclass(frozen=True)
class Pick:
    """The choices offered below `place` (None: the list of communities)."""

    place: Place | None
    label: str
    kind: PlaceKind
    options: list[Place]


async def pick_below(session: AsyncSession, place_id: int | None) -> Pick:
    if place_id is None:
        return Pick(None, "", PlaceKind.COMMUNITY,
                    await places_of_kind(session, PlaceKind.COMMUNITY))
    place = await get_place(session, place_id)
    kind = NEXT_PICK.get(PlaceKind(place.kind))
    if kind is None:
        raise Invalid(N_("Please choose a room (household), not a building or unit."))
    rows = await session.scalars(
        select(Place).where(Place.kind == kind, subtree_filter(place.path), Place.id != place.id)
    )
    options = sorted(rows, key=lambda p: natural_key(p.name))
    return Pick(place, await household_label(session, place), kind, options)
