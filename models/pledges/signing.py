"""Signing a pledge (签署承诺书): by the resident, or assisted (代签) by a grid worker for an
elderly resident who agreed in person; and what a resident sees of their pledges.

What a press needs to know — the pledge, where the person stands under it, the household they
would sign for and its signature so far — is read in one statement (`signatures.stand`); a
signature is then one INSERT (or, for a newer text, one UPDATE of the same row). When two taps
race in two processes, UNIQUE(pledge_id, signer_key) makes the loser's INSERT fail, and it is
answered like any other repeat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, NotFound
from models.outbox import enqueue
from models.people import Membership, MembershipStatus, Person
from models.permissions import MANAGERS, require_role, require_scope_over_person
from models.places import Place, get_place
from models.pledges.core import (
    ASSISTED,
    PRIMARY,
    Pledge,
    PledgeStatus,
    Signers,
    get_pledge,
    text_in,
    viewer_paths,
)
from models.pledges.signatures import (
    Signature,
    SignatureBrief,
    SignedHow,
    Standing,
    eligible_home,
    new_code,
    signer_key,
    stand,
)


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
    signer = (await session.get(Person, existing.person_id)
              if _names_signer(pledge, existing.how) else None)
    return _repeat(pledge, existing.how, existing.signed_at, signer.name if signer else None, tz)


def _names_signer(pledge: Pledge, how: str) -> bool:
    return Signers(pledge.signers).per_household or how == SignedHow.ASSISTED


def _repeat(pledge: Pledge, how: str, signed_at: dt.datetime, signer: str | None,
            tz: dt.tzinfo) -> Conflict:
    """A second signature of one unit: when it signed (and who, if it may have been someone
    else of the household, or a grid worker for them)."""
    if _names_signer(pledge, how):
        return Conflict(N_("Already signed on {date} ({name})."), date=signed_at,
                        name=signer or "—")
    return Conflict(N_("Already signed on {date}."), date=signed_at)


def signatures_of(pledge: Pledge) -> Select[int, int]:
    """Who has signed (any version): the pledge's actions, for models/participation/."""
    return select(Signature.person_id, Signature.household_id).where(
        Signature.pledge_id == pledge.id)


async def sign_pledge(
    session: AsyncSession, *, pledge_id: int, person: Person, version: int,
    language: str = PRIMARY, assisted_by: Person | None = None, now: dt.datetime | None = None,
    tz: dt.tzinfo = dt.UTC,
) -> Signed:
    """Sign the pledge's current text (`version` and `language`: what the signer read); once
    per unit. The signature records that language's text and its hash. `assisted_by`: the
    grid worker signing for the resident, who is told (and audited)."""
    now = now or utcnow()
    standing = await stand(session, pledge_id=pledge_id, person=person)
    pledge = standing.pledge
    if pledge.status == PledgeStatus.DRAFT:
        raise NotFound(N_("This pledge no longer exists."))
    if not pledge.is_open(now):
        raise Conflict(N_("This pledge closed on {date}; signing is no longer possible."),
                       date=_ended_day(pledge, tz))
    text = text_in(pledge, language)
    if version != pledge.version or text.language != language:
        # (the text read in `language` is no longer the pledge's: a new version dropped it)
        raise Conflict(N_("The text of this pledge has changed. Please read the new version "
                          "and sign again."))
    home = eligible_home(standing)
    if assisted_by is not None:
        await require_role(session, person_id=assisted_by.id, roles=MANAGERS,
                           place=await get_place(session, home.household_id))
    existing = home.signature
    if existing is not None and existing.version >= pledge.version:
        raise _repeat(pledge, existing.how, existing.signed_at, existing.signer_name, tz)
    person_id = person.id  # a rollback below expires the objects
    signature = Signature(
        pledge_id=pledge.id, signer_key=signer_key(pledge, person_id, home.household_id),
        person_id=person_id, household_id=home.household_id, version=pledge.version,
        language=text.language, text_hash=text.hash,
        how=SignedHow.ASSISTED if assisted_by else SignedHow.SELF,
        assisted_by_id=assisted_by.id if assisted_by else None, signed_at=now, code=new_code())
    try:
        await _write(session, signature, existing)
    except IntegrityError:
        # a concurrent tap won the race: answer like a repeat, and write nothing
        await session.rollback()
        pledge = await get_pledge(session, pledge_id)
        again = await signature_for(session, pledge, person_id, home.household_id)
        if again is None:
            raise
        raise await _already(session, pledge, again, tz) from None
    if assisted_by is not None:
        # the resident learns of it, with the certificate, whoever pressed the button
        enqueue(session, chat_id=person.telegram_id, person_id=person_id,
                kind=ASSISTED, payload={"signature_id": signature.id})
        audit.record(session, actor_id=assisted_by.id, action="pledge.sign_assisted",
                     subject="pledge", subject_id=pledge.id, place_id=home.household_id,
                     person_id=person_id, signature_id=signature.id)
    await session.commit()
    return Signed(signature, pledge, person, existing is not None)


async def _write(session: AsyncSession, signature: Signature,
                 existing: SignatureBrief | None) -> None:
    """One statement: the new signature's INSERT, or the UPDATE renewing the unit's earlier
    one (a newer text signed; the row and its id stay)."""
    if existing is None:
        session.add(signature)
        await session.flush()
        return
    signature.id = existing.id
    await session.execute(update(Signature).where(Signature.id == existing.id).values(
        {column: getattr(signature, column) for column in _RENEWED}))


_RENEWED = ("person_id", "household_id", "version", "language", "text_hash", "how",
            "assisted_by_id", "signed_at", "code")


def _ended_day(pledge: Pledge, tz: dt.tzinfo) -> dt.date | None:
    """The day signing ended, in the community's zone (shown as a date)."""
    ended = pledge.ended_at()
    return ended.astimezone(tz).date() if ended else None


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
    who read the pledge (or had it read to them) and agreed in person: the text in the
    resident's language, where the pledge has one."""
    pledge = await get_pledge(session, pledge_id)
    resident = await _resident(session, resident_id)
    return await sign_pledge(session, pledge_id=pledge_id, person=resident, version=version,
                             language=text_in(pledge, resident.language).language,
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
    standing = await stand(session, pledge_id=pledge_id, person=person)
    return standing.pledge, eligible_home(standing).label


async def reading(session: AsyncSession, *, pledge_id: int, person: Person | None,
                  language: str | None = None) -> Standing:
    """A pledge as a resident (or someone not registered yet) opens it: the pledge, where it
    applies, and where they stand under it (see `covering`, `eligible_home`); places named
    for a reader of `language` (default: the person's)."""
    return await stand(session, pledge_id=pledge_id, person=person, language=language)


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
