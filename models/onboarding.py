"""Joining a community: a resident asks to be recorded at a household; staff approve.

`request_membership` writes the pending membership, tells every approver in scope through the
outbox and schedules a reminder for when nobody has decided in time; `decide_membership`
re-checks the decider's role on the server, whatever the button said, and edits every copy of
the request the approvers were sent to say who decided and how (no buttons left).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.outbox import declare_kind, enqueue
from models.outbox_edits import enqueue_edits
from models.people import Membership, MembershipStatus, Person, Relation, record_consent
from models.permissions import MANAGERS, holders, is_manager, places_with_role, require_role
from models.places import (
    Place,
    PlaceKind,
    ancestors,
    by_join_code,
    get_place,
    label,
    natural_key,
    places_of_kind,
    subtree_filter,
)
from models.schedule import DueItem, declare_due_kind, schedule

JOIN_REMINDER = "join.remind"
JOIN_REQUEST, JOIN_REMINDED, JOIN_DECIDED = "join.request", "join.reminder", "join.decided"
JOIN_HANDLED = "join.handled"  # an approver's copy of a request, edited once it was decided
declare_kind(JOIN_REQUEST, JOIN_REMINDED, JOIN_DECIDED, JOIN_HANDLED)
declare_due_kind(JOIN_REMINDER)
NOT_A_HOUSEHOLD = N_("Please choose a room (household), not a building or unit.")


@dataclass(frozen=True)
class JoinRequest:
    membership: Membership
    household: Place
    label: str
    created: bool


async def household_label(session: AsyncSession, household: Place, *, language: str) -> str:
    """A household's (or a building's, a unit's) label for a reader of `language`."""
    return label(await ancestors(session, household), language=language)


async def accept_consent(session: AsyncSession, *, telegram_id: int, name: str,
                         language: str) -> Person:
    """Store a person who agreed to the consent text (again: update, never duplicate)."""
    person = await record_consent(session, telegram_id=telegram_id, name=name,
                                  language=language)
    await session.commit()
    return person


async def household_to_join(session: AsyncSession, household_id: int, *,
                            language: str) -> tuple[Place, str]:
    """The household a resident picked, with its label; a building or unit is refused."""
    household = await get_place(session, household_id)
    if household.kind != PlaceKind.HOUSEHOLD:
        raise Invalid(NOT_A_HOUSEHOLD)
    return household, await household_label(session, household, language=language)


async def request_membership(
    session: AsyncSession, *, person: Person, household_id: int, relation: Relation,
    remind_after: dt.timedelta = dt.timedelta(hours=24), now: dt.datetime | None = None,
) -> JoinRequest:
    """Ask to join a household; asking again returns the same request and notifies no one."""
    now = now or utcnow()
    household, where = await household_to_join(session, household_id, language=person.language)
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
                kind=JOIN_REQUEST, payload={"membership_id": membership.id},
                subject=subject_of(membership))
    schedule(session, kind=JOIN_REMINDER, due_at=now + remind_after, ref_id=membership.id)
    await session.commit()
    return JoinRequest(membership, household, where, created=True)


def subject_of(membership: Membership) -> str:
    """What the approvers' copies of a request are about (models/outbox.py `subject`)."""
    return f"membership:{membership.id}"


@dataclass(frozen=True)
class Decision:
    membership: Membership
    resident: Person
    label: str


async def decide_membership(
    session: AsyncSession, *, membership_id: int, decider: Person, approve: bool,
    now: dt.datetime | None = None, pressed: tuple[int, int] | None = None,
) -> Decision:
    """Approve or reject a pending request; the decider must hold an approver role in scope.
    `pressed` (chat id, message id): the decider's copy, which their answer edits itself; every
    other approver's copy is edited through the outbox."""
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
    enqueue(session, chat_id=resident.telegram_id, person_id=resident.id, kind=JOIN_DECIDED,
            payload={"membership_id": membership.id})
    # every approver's copy (the request, its reminder) now says who decided, without buttons
    await enqueue_edits(session, subject=subject_of(membership), kind=JOIN_HANDLED,
                        payload={"membership_id": membership.id}, except_message=pressed)
    audit.record(session, actor_id=decider.id,
                 action="membership.approve" if approve else "membership.reject",
                 subject="membership", subject_id=membership.id, place_id=household.id,
                 person_id=resident.id)
    where = await household_label(session, household, language=decider.language)
    await session.commit()
    return Decision(membership, resident, where)


@dataclass(frozen=True)
class MembershipView:
    membership: Membership
    label: str


async def memberships_of(session: AsyncSession, person_id: int, *,
                         language: str) -> list[MembershipView]:
    """A person's memberships, each with its household's label for a reader of `language`."""
    rows = await session.scalars(
        select(Membership).where(Membership.person_id == person_id).order_by(Membership.id)
    )
    out = []
    for m in rows:
        household = await get_place(session, m.household_id)
        out.append(MembershipView(m, await household_label(session, household,
                                                           language=language)))
    return out


async def membership_view(session: AsyncSession, membership_id: int, *,
                          language: str) -> tuple[Membership, Person, str]:
    """A request with the resident who made it and the household's label (for messages to a
    reader of `language`)."""
    membership = await session.get(Membership, membership_id)
    if membership is None:
        raise NotFound()
    person = await session.get_one(Person, membership.person_id)
    where = await household_label(session, await get_place(session, membership.household_id),
                                  language=language)
    return membership, person, where


async def decided_by(session: AsyncSession, membership: Membership) -> Person | None:
    """Who approved or rejected a request (None: nobody yet, or no longer known)."""
    if membership.decided_by_id is None:
        return None
    return await session.get(Person, membership.decided_by_id)


async def pending_for(session: AsyncSession, *,
                      approver: Person) -> list[tuple[Membership, Person, str]]:
    """The requests waiting for this approver; only staff and grid workers may ask."""
    if not await is_manager(session, approver.id):
        raise NotAllowed(N_("Only staff and grid workers can see join requests."))
    return await pending_in_scope(session, approver=approver)


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
                out.append((m, p, await household_label(session, h,
                                                        language=approver.language)))
    return out[:limit]


async def remind_pending_join(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """A join request nobody decided on in time: remind every approver in scope once."""
    membership = await session.get(Membership, item.ref_id or 0)
    if membership is None or membership.status != MembershipStatus.PENDING:
        return
    household = await get_place(session, membership.household_id)
    for approver in await holders(session, place=household, roles=MANAGERS):
        enqueue(session, chat_id=approver.telegram_id, person_id=approver.id,
                kind=JOIN_REMINDED, payload={"membership_id": membership.id},
                subject=subject_of(membership))


# What a resident picks after each step: community → building → unit → room. Grids are skipped:
# residents know their building, not the grid it was put in.
NEXT_PICK = {
    PlaceKind.COMMUNITY: PlaceKind.BUILDING,
    PlaceKind.BUILDING: PlaceKind.UNIT,
    PlaceKind.UNIT: PlaceKind.HOUSEHOLD,
}


# The level above each: Back from the rooms of a unit shows the units of its building.
PICKED_BELOW = {kind: above for above, kind in NEXT_PICK.items()}


@dataclass(frozen=True)
class Pick:
    """The choices offered below `place` (None: the list of communities), and the place whose
    choices are one level up (`up`: 0 for the list of communities, None at the top)."""

    place: Place | None
    label: str
    kind: PlaceKind
    options: list[Place]
    up: int | None = None


async def pick_below(session: AsyncSession, place_id: int | None, *, language: str) -> Pick:
    if place_id is None:
        return Pick(None, "", PlaceKind.COMMUNITY,
                    await places_of_kind(session, PlaceKind.COMMUNITY))
    place = await get_place(session, place_id)
    kind = NEXT_PICK.get(PlaceKind(place.kind))
    if kind is None:
        raise Invalid(NOT_A_HOUSEHOLD)
    rows = await session.scalars(
        select(Place).where(Place.kind == kind, subtree_filter(place.path), Place.id != place.id)
    )
    options = sorted(rows, key=lambda p: natural_key(p.name))
    chain = await ancestors(session, place)
    above = PICKED_BELOW.get(PlaceKind(place.kind))
    up = next((p.id for p in chain if p.kind == above), None) if above else 0
    return Pick(place, label(chain, language=language), kind, options, up)


async def home_pick(session: AsyncSession, *, place_id: int | None = None,
                    join_code: str = "", language: str) -> Pick:
    """What a resident picks next below `place_id` (or the place of a poster's join code),
    for a reader of `language`; a single community is skipped: there is nothing to choose
    (nor to go back to)."""
    if join_code:
        place_id = (await by_join_code(session, join_code)).id
    pick = await pick_below(session, place_id, language=language)
    if pick.kind == PlaceKind.COMMUNITY and len(pick.options) == 1:
        pick = await pick_below(session, pick.options[0].id, language=language)
    if pick.kind == PlaceKind.BUILDING and len(
            await places_of_kind(session, PlaceKind.COMMUNITY)) == 1:
        pick = replace(pick, up=None)
    return pick


async def join_code_known(session: AsyncSession, code: str) -> None:
    """Raise NotFound when a poster's join code is not (or no longer) known."""
    await by_join_code(session, code)
