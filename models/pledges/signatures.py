"""Signatures (签名), and where one person stands under one pledge.

A signature counts one signing unit — the person, or for one-per-household pledges the
household — and `signer_key` names that unit. UNIQUE(pledge_id, signer_key) is what makes a
second signature impossible, also when two taps race in two processes.

`stand` reads, in one statement, everything a resident's press needs: the pledge, where it
applies (its place's label), and each of the person's homes — approved or not, inside the
pledge's place or not, rented or not, with its label and the signature of its signing unit.
The rules that decide from it (may they sign, for which household, are they covered already)
are plain functions below, so a press of the signing flow costs one round trip to read.
Places are a tree of fixed depth (street → … → household, `LEVELS`), so a place's label is its
row and its parents' rows, joined by primary key.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    cast,
    exists,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from models.base import ID, Base, utcnow
from models.errors import N_, Invalid, NotAllowed, NotFound
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import LEVELS, Place, PlaceKind, join_names, name_in
from models.pledges.core import Pledge, PledgeStatus, Signers

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
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")  # of the text signed
    text_hash: Mapped[str] = mapped_column(String(64))  # of that language's text
    how: Mapped[SignedHow] = mapped_column(String(16))
    assisted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    code: Mapped[str] = mapped_column(String(16), unique=True)


def new_code() -> str:
    """A verification code of 8 letters from CODE_ALPHABET, from one read of the system's
    randomness (32 letters: each byte's last 5 bits pick one, all equally likely), not eight."""
    raw = "".join(CODE_ALPHABET[b & 31] for b in secrets.token_bytes(8))
    return f"{raw[:4]}-{raw[4:]}"


def signer_key(pledge: Pledge, person_id: int, household_id: int) -> str:
    return (f"h:{household_id}" if Signers(pledge.signers).per_household
            else f"p:{person_id}")


# --- where one person stands ----------------------------------------------------------------


@dataclass(frozen=True)
class SignatureBrief:
    """A signature as a press needs it (who signed, when, which version)."""

    id: int
    version: int
    signed_at: dt.datetime
    person_id: int
    how: SignedHow
    signer_name: str | None


@dataclass(frozen=True)
class Home:
    """One of the person's households, as it bears on one pledge."""

    household_id: int
    path: str
    label: str  # as residents read it ("阳光社区 1栋 1单元 102")
    relation: Relation
    approved: bool
    rented: bool  # an approved tenant lives there
    signature: SignatureBrief | None  # the signature of the signing unit the person would sign as


@dataclass(frozen=True)
class Standing:
    pledge: Pledge
    place_name: str | None  # None: no place chosen yet
    place_path: str | None
    where: str  # where it applies, as people read it; "—" before it is chosen
    homes: tuple[Home, ...]  # every membership, in the order they were asked for
    own: SignatureBrief | None  # the signature keyed by the person (one-per-person pledges)


DEPTH = len(LEVELS)  # the longest chain of places: street … household
_PLACE = [aliased(Place, name=f"pp{i}") for i in range(DEPTH)]  # the pledge's place, upwards
_HOME = [aliased(Place, name=f"hh{i}") for i in range(DEPTH)]  # the household, upwards
_SIG, _SIGNER, _TENANT = aliased(Signature), aliased(Person), aliased(Membership)
_KEY = case((or_(*[Pledge.signers == literal(s.value) for s in Signers if s.per_household]),
             literal("h:") + cast(Membership.household_id, String)),
            else_=literal("p:") + cast(bindparam("person_id", type_=Integer), String))


def _chain_columns(chain: list[Any], prefix: str) -> list[Any]:
    return [c for i, p in enumerate(chain)
            for c in (p.kind.label(f"{prefix}{i}_kind"), p.name.label(f"{prefix}{i}_name"),
                      p.name_en.label(f"{prefix}{i}_en"))]


def _standing_query() -> Any:
    """The one statement of `stand` (built once; parameters pledge_id, person_id)."""
    query = (
        select(Pledge, _PLACE[0].path.label("place_path"), *_chain_columns(_PLACE, "pp"),
               Membership.household_id, Membership.relation, Membership.status,
               _HOME[0].path.label("home_path"), *_chain_columns(_HOME, "hh"),
               exists().where(_TENANT.household_id == Membership.household_id,
                              _TENANT.relation == Relation.TENANT,
                              _TENANT.status == MembershipStatus.APPROVED).label("rented"),
               _SIG.id.label("sig_id"), _SIG.version.label("sig_version"),
               _SIG.signed_at.label("sig_at"), _SIG.person_id.label("sig_person"),
               _SIG.how.label("sig_how"), _SIGNER.name.label("signer_name"))
        .select_from(Pledge).outerjoin(_PLACE[0], _PLACE[0].id == Pledge.place_id))
    for child, parent in zip(_PLACE, _PLACE[1:], strict=False):
        query = query.outerjoin(parent, parent.id == child.parent_id)
    query = query.outerjoin(Membership, Membership.person_id == bindparam("person_id"))
    query = query.outerjoin(_HOME[0], _HOME[0].id == Membership.household_id)
    for child, parent in zip(_HOME, _HOME[1:], strict=False):
        query = query.outerjoin(parent, parent.id == child.parent_id)
    return (query.outerjoin(_SIG, and_(_SIG.pledge_id == Pledge.id, _SIG.signer_key == _KEY))
            .outerjoin(_SIGNER, _SIGNER.id == _SIG.person_id)
            .where(Pledge.id == bindparam("pledge_id"))
            .order_by(Membership.id))


STANDING = _standing_query()


def _label(row: Row[Any], prefix: str, language: str) -> str:
    """A resident's label from a chain of places for a reader of `language` (see
    models.places.label)."""
    names = [(getattr(row, f"{prefix}{i}_kind"), getattr(row, f"{prefix}{i}_name"),
              getattr(row, f"{prefix}{i}_en")) for i in reversed(range(DEPTH))]
    names = [n for n in names if n[1] is not None]  # the chain is shorter than DEPTH
    return join_names([(name, name_en) for kind, name, name_en in names[:-1]
                       if kind not in (PlaceKind.STREET, PlaceKind.GRID)]
                      + [(name, name_en) for _, name, name_en in names[-1:]], language)


def _signature(row: Row[Any]) -> SignatureBrief | None:
    if row.sig_id is None:
        return None
    return SignatureBrief(row.sig_id, row.sig_version, row.sig_at, row.sig_person,
                   SignedHow(row.sig_how), row.signer_name)


async def stand(session: AsyncSession, *, pledge_id: int, person: Person | None,
                language: str | None = None) -> Standing:
    """The pledge (NotFound if it is gone) and where `person` stands under it, its places
    named for a reader of `language` (default: the person's)."""
    language = language or (person.language if person is not None else "zh_CN")
    rows = (await session.execute(STANDING, {"pledge_id": pledge_id,
                                             "person_id": person.id if person else 0})).all()
    pledge: Pledge | None = rows[0][0] if rows else None
    if pledge is None or pledge.status == PledgeStatus.CANCELLED:
        raise NotFound(N_("This pledge no longer exists."))
    first = rows[0]
    homes = tuple(Home(row.household_id, row.home_path, _label(row, "hh", language),
                       Relation(row.relation), row.status == MembershipStatus.APPROVED,
                       bool(row.rented), _signature(row))
                  for row in rows if row.household_id is not None)
    per_household = Signers(pledge.signers).per_household
    where = "—" if pledge.place_id is None else (
        _label(first, "pp", language) or name_in(first.pp0_name, first.pp0_en, language))
    return Standing(pledge, None if first.pp0_name is None else name_in(
        first.pp0_name, first.pp0_en, language), first.place_path, where, homes,
                    None if per_household else _signature(first))


def covering(standing: Standing) -> SignatureBrief | None:
    """The signature that covers the person (theirs, or their household's), if any: the
    newest version's."""
    if not Signers(standing.pledge.signers).per_household:
        return standing.own
    signed = [h.signature for h in standing.homes if h.approved and h.signature is not None]
    return max(signed, key=lambda s: s.version, default=None)


def eligible_home(standing: Standing) -> Home:
    """The household the person signs for, or NotAllowed saying why they may not sign."""
    pledge = standing.pledge
    if standing.place_path is None:
        raise Invalid(N_("Choose where the pledge applies first."))
    approved = [h for h in standing.homes if h.approved]
    if not approved:
        raise NotAllowed(N_("Only verified residents can sign. Your registration has not been "
                            "approved yet; send /me to see it."))
    inside = [h for h in approved if h.path.startswith(standing.place_path)]
    if not inside:
        raise NotAllowed(N_("This pledge is for residents of {place}; you are not registered "
                            "there."), place=standing.place_name)
    signers = Signers(pledge.signers)
    if signers in (Signers.OWNER, Signers.LANDLORD):
        inside = [h for h in inside if h.relation == Relation.OWNER]
        if not inside:
            raise NotAllowed(N_("This pledge is for owners only."))
    if signers == Signers.LANDLORD:
        inside = [h for h in inside if h.rented]
        if not inside:
            raise NotAllowed(N_("This pledge is for landlords of rented households."))
    if signers.per_household:
        # an owner of two flats signs for the first one not yet signed
        for home in inside:
            if home.signature is None or home.signature.version != pledge.version:
                return home
    return inside[0]
