"""Signing a pledge (签署承诺书): by the resident, or assisted (代签) by a grid worker for an
elderly resident who agreed in person; and what a resident sees of their pledges.

A signature counts one signing unit — the person, or for one-per-household pledges the
household — and `signer_key` names that unit. UNIQUE(pledge_id, signer_key) is what makes a
second signature impossible, also when two taps race in two processes: the loser's INSERT fails
and is answered like any other repeat. Re-signing a newer text updates the same row.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Index, Select, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import audit
from models.base import ID, Base, utcnow
from models.errors import N_, Conflict, NotAllowed, NotFound
from models.outbox import enqueue
from models.people import Membership, MembershipStatus, Person, Relation
from models.permissions import MANAGERS, require_role, require_scope_over_person
from models.places import Place, ancestors, label
from models.pledges.core import (
    ASSISTED,
    Pledge,
    PledgeStatus,
    Signers,
    get_pledge,
    local_date,
    local_time,
    place_of,
    viewer_paths,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


class SignedHow(enum.StrEnum):
    SELF = "self"
    ASSISTED = "assisted"  # 代签: by a grid worker, for a resident who agreed in person


class Signature(Base):
    """One signing unit's signature of one pledge, with the version of the text it agreed to."""

    __tablename__ = "signature"
    __table_args__ = (
        UniqueConstraint("pledge_id", "signer_key"),
        Index("ix_signature_pledge_id_household_id", "pledge_id", "household_id"),
        Index("ix_signature_pledge_id_person_id", "pledge_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"))
    signer_key: Mapped[str] = mapped_column(String(32))  # "p:<person id>" or "h:<household id>"
    version: Mapped[int]
    text_hash: Mapped[str] = mapped_column(String(64))
    how: Mapped[SignedHow] = mapped_column(String(16))
    assisted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    code: Mapped[str] = mapped_column(String(16), unique=True)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def signer_key(pledge: Pledge, person_id: int, household_id: int) -> str:
    return (f"h:{household_id}" if Signers(pledge.signers).per_household
            else f"p:{person_id}")


async def eligible_household(session: AsyncSession, pledge: Pledge, person: Person) -> Place:
    """The household the person signs for, or NotAllowed saying why they may not sign."""
    place = await place_of(session, pledge)
    rows = (await session.execute(
        select(Membership, Place).join(Place, Place.id == Membership.household_id)
        .where(Membership.person_id == person.id).order_by(Membership.id))).all()
    approved = [(m, h) for m, h in rows if m.status == MembershipStatus.APPROVED]
    if not approved:
        raise NotAllowed(N_("Only verified residents can sign. Your registration has not been "
                            "approved yet; send /me to see it."))
    inside = [(m, h) for m, h in approved if h.path.startswith(place.path)]
    if not inside:
        raise NotAllowed(N_("This pledge is for residents of {place}; you are not registered "
                            "there."), place=place.name)
    signers = Signers(pledge.signers)
    if signers in (Signers.OWNER, Signers.LANDLORD):
        inside = [(m, h) for m, h in inside if m.relation == Relation.OWNER]
        if not inside:
            raise NotAllowed(N_("This pledge is for owners only."))
    if signers == Signers.LANDLORD:
        rented = set(await session.scalars(select(Membership.household_id).where(
            Membership.household_id.in_([h.id for _m, h in inside]),
            Membership.relation == Relation.TENANT,
            Membership.status == MembershipStatus.APPROVED)))
        inside = [(m, h) for m, h in inside if h.id in rented]
        if not inside:
            raise NotAllowed(N_("This pledge is for landlords of rented households."))
    if signers.per_household:
        # an owner of two flats signs for the first one not yet signed
        keys = [signer_key(pledge, person.id, h.id) for _m, h in inside]
        done = set(await session.scalars(select(Signature.signer_key).where(
            Signature.pledge_id == pledge.id, Signature.signer_key.in_(keys),
            Signature.version == pledge.version)))
        for _m, h in inside:
            if signer_key(pledge, person.id, h.id) not in done:
                return h
    return inside[0][1]


async def signature_for(
    session: AsyncSession, pledge: Pledge, person_id: int, household_id: int
) -> Signature | None:
    return await session.scalar(select(Signature).where(
        Signature.pledge_id == pledge.id,
        Signature.signer_key == signer_key(pledge, person_id, household_id)))


@dataclass(frozen=True)
class Signed:
    signature: Signature
    pledge: Pledge
    person: Person
    resigned: bool  # an earlier version's signature was renewed


async def _already(
    session: AsyncSession, pledge: Pledge, existing: Signature, tz: dt.tzinfo
) -> Conflict:
    if Signers(pledge.signers).per_household or existing.how == SignedHow.ASSISTED:
        signer = await session.get(Person, existing.person_id)
        return Conflict(N_("Already signed on {date} ({name})."),
                        date=local_time(existing.signed_at, tz),
                        name=signer.name if signer else "—")
    return Conflict(N_("Already signed on {date}."), date=local_time(existing.signed_at, tz))


def signatures_of(pledge: Pledge) -> Select[int, int]:
    """Who has signed (any version): the pledge's actions, for models/participation/."""
    return select(Signature.person_id, Signature.household_id).where(
        Signature.pledge_id == pledge.id)


async def sign_pledge(
    session: AsyncSession, *, pledge_id: int, person: Person, version: int,
    assisted_by: Person | None = None, now: dt.datetime | None = None, tz: dt.tzinfo = dt.UTC,
) -> Signed:
    """Sign the pledge's current text (`version` is what the signer read); once per unit.
    `assisted_by`: the grid worker signing for the resident, who is told (and audited)."""
    now = now or utcnow()
    pledge = await get_pledge(session, pledge_id)
    if pledge.status == PledgeStatus.DRAFT:
        raise NotFound(N_("This pledge no longer exists."))
    if not pledge.is_open(now):
        raise Conflict(N_("This pledge closed on {date}; signing is no longer possible."),
                       date=local_date(pledge.ended_at(), tz))
    if version != pledge.version:
        raise Conflict(N_("The text of this pledge has changed. Please read the new version "
                          "and sign again."))
    household = await eligible_household(session, pledge, person)
    if assisted_by is not None:
        await require_role(session, person_id=assisted_by.id, place=household, roles=MANAGERS)
    how = SignedHow.ASSISTED if assisted_by is not None else SignedHow.SELF
    existing = await signature_for(session, pledge, person.id, household.id)
    if existing is not None and existing.version >= pledge.version:
        raise await _already(session, pledge, existing, tz)
    resigned = existing is not None
    signature = existing or Signature(pledge_id=pledge.id,
                                      signer_key=signer_key(pledge, person.id, household.id))
    signature.person_id, signature.household_id = person.id, household.id
    signature.version, signature.text_hash = pledge.version, pledge.text_hash
    signature.how, signature.assisted_by_id = how, assisted_by.id if assisted_by else None
    signature.signed_at, signature.code = now, new_code()
    session.add(signature)
    person_id, household_id = person.id, household.id  # a rollback below expires the objects
    try:
        await session.flush()
    except IntegrityError:
        # a concurrent tap won the race: answer like a repeat, and write nothing
        await session.rollback()
        pledge = await get_pledge(session, pledge_id)
        existing = await signature_for(session, pledge, person_id, household_id)
        if existing is None:
            raise
        raise await _already(session, pledge, existing, tz) from None
    if assisted_by is not None:
        # the resident learns of it, with the certificate, whoever pressed the button
        enqueue(session, chat_id=person.telegram_id, person_id=person.id,
                kind=ASSISTED, payload={"signature_id": signature.id})
        audit.record(session, actor_id=assisted_by.id, action="pledge.sign_assisted",
                     subject="pledge", subject_id=pledge.id, place_id=household.id,
                     person_id=person.id, signature_id=signature.id)
    await session.commit()
    return Signed(signature, pledge, person, resigned)


sign = sign_pledge  # (the name tests and the demo know)


async def _resident(session: AsyncSession, person_id: int) -> Person:
    resident = await session.get(Person, person_id)
    if resident is None:
        raise NotFound()
    return resident


async def sign_for_resident(
    session: AsyncSession, *, pledge_id: int, resident_id: int, version: int, by: Person,
    now: dt.datetime | None = None, tz: dt.tzinfo = dt.UTC,
) -> Signed:
    """代签: `by` (staff or a grid worker over the resident's household) signs for a resident
    who read the pledge (or had it read to them) and agreed in person."""
    await get_pledge(session, pledge_id)
    resident = await _resident(session, resident_id)
    return await sign_pledge(session, pledge_id=pledge_id, person=resident, version=version,
                             assisted_by=by, now=now, tz=tz)


async def assisted_candidate(
    session: AsyncSession, *, pledge_id: int, resident_id: int, by: Person,
) -> tuple[Pledge, Person]:
    """The pledge and the resident `by` offers to sign for — shown only to someone who follows
    the pledge and is responsible for one of the resident's homes."""
    pledge = await get_pledge(session, pledge_id)
    resident = await _resident(session, resident_id)
    await viewer_paths(session, by, pledge)
    await require_scope_over_person(session, person_id=resident.id, by=by, roles=MANAGERS)
    return pledge, resident


async def signing_as(session: AsyncSession, *, pledge_id: int,
                     person: Person) -> tuple[Pledge, str]:
    """Before confirming: the pledge, and the household (as read) the person would sign for;
    NotAllowed saying why they may not sign."""
    pledge = await get_pledge(session, pledge_id)
    household = await eligible_household(session, pledge, person)
    return pledge, label(await ancestors(session, household))


@dataclass(frozen=True)
class SignatureView:
    signature: Signature
    pledge: Pledge
    person: Person


async def signature_view(session: AsyncSession, signature_id: int) -> SignatureView | None:
    """A signature with its pledge and signer (for the certificate), if it still exists."""
    signature = await session.get(Signature, signature_id)
    if signature is None:
        return None
    return SignatureView(signature, await session.get_one(Pledge, signature.pledge_id),
                         await session.get_one(Person, signature.person_id))


@dataclass(frozen=True)
class MyPledge:
    pledge: Pledge
    signature: Signature | None


async def open_for(
    session: AsyncSession, *, person: Person, now: dt.datetime | None = None
) -> list[MyPledge]:
    """Open pledges over my approved households, each with my (or my household's) signature."""
    now = now or utcnow()
    homes = list(await session.scalars(
        select(Place).join(Membership, Membership.household_id == Place.id)
        .where(Membership.person_id == person.id,
               Membership.status == MembershipStatus.APPROVED)))
    if not homes:
        return []
    pledges = await session.scalars(
        select(Pledge).join(Place, Place.id == Pledge.place_id)
        .where(Pledge.status == PledgeStatus.OPEN, Pledge.closes_at > now)
        .order_by(Pledge.closes_at))
    out: list[MyPledge] = []
    for pledge in pledges:
        place = await session.get_one(Place, pledge.place_id)
        inside = [h for h in homes if h.path.startswith(place.path)]
        if not inside:
            continue
        keys = [signer_key(pledge, person.id, h.id) for h in inside]
        signature = await session.scalar(select(Signature).where(
            Signature.pledge_id == pledge.id, Signature.signer_key.in_(keys))
            .order_by(Signature.version.desc()))
        out.append(MyPledge(pledge, signature))
    return out


async def my_signature(
    session: AsyncSession, *, pledge: Pledge, person: Person
) -> Signature | None:
    """The signature that covers me for this pledge (mine, or my household's), if any."""
    homes = list(await session.scalars(
        select(Membership.household_id).where(Membership.person_id == person.id,
                                              Membership.status == MembershipStatus.APPROVED)))
    keys = [signer_key(pledge, person.id, h) for h in homes] or [f"p:{person.id}"]
    return await session.scalar(select(Signature).where(
        Signature.pledge_id == pledge.id, Signature.signer_key.in_(keys))
        .order_by(Signature.version.desc()))
