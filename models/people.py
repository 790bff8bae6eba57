"""People, their households and their roles: who someone is and what they may do where.

A person is a Telegram user who consented to be stored. A membership links a person to a
household as owner, tenant or family member (an owner may own several and live elsewhere);
it starts pending and staff with scope over that household approve it. Roles are granted on a
place and hold for its whole subtree; `require_role` is the one check every service uses.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow
from models.errors import NotFound, NotRegistered
from models.places import Place, get_place, label_of


class Role(enum.StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    DEPARTMENT = "department"


class Relation(enum.StrEnum):
    OWNER = "owner"
    TENANT = "tenant"
    FAMILY = "family"


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# Who may approve a resident's request to join a household in their scope.


class Person(Base):
    """A person (居民/志愿者/工作人员…): a Telegram user who agreed to be stored."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    consent_at: Mapped[dt.datetime | None]
    unreachable_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A person's tie to a household (户): owner, tenant or family member, once approved."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "household_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(
        ForeignKey("place.id", ondelete="RESTRICT"), index=True
    )
    relation: Mapped[Relation] = mapped_column(String(16))
    status: Mapped[MembershipStatus] = mapped_column(String(16), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class RoleGrant(Base):
    """A role held on a place, valid for everything under it."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("person_id", "place_id", "role"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(String(16))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )


class Tag(enum.StrEnum):
    """Groups of people that notices can target (kept by staff and grid workers)."""

    ELDERLY_ALONE = "elderly_alone"
    ELDERLY = "elderly"
    UNEMPLOYED = "unemployed"
    DISABLED = "disabled"
    PARTY_MEMBER = "party_member"
    LANDLORD = "landlord"


class PersonTag(Base):
    """A tag on a person (独居老人, 失业人员 …), set by staff or a grid worker in scope."""

    __tablename__ = "person_tag"
    __table_args__ = (UniqueConstraint("person_id", "tag"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    tag: Mapped[Tag] = mapped_column(String(32), index=True)
    tagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    tagged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- people ---------------------------------------------------------------------------------


# built once: every update looks its sender up with it
_BY_TELEGRAM = select(Person).where(Person.telegram_id == bindparam("telegram_id"))


async def person_by_telegram(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(_BY_TELEGRAM, {"telegram_id": telegram_id})


async def person_seen(session: AsyncSession, telegram_id: int) -> Person | None:
    """The registered person (consent given) writing to the bot now, or None. Someone who
    blocked the bot once and writes again is reachable again."""
    person = await person_by_telegram(session, telegram_id)
    if person is None or person.consent_at is None:
        return None
    if person.unreachable_at is not None:
        person.unreachable_at = None
        await session.commit()
    return person


async def registered_person(session: AsyncSession, telegram_id: int) -> Person:
    """The person behind a Telegram user, who must have consented."""
    person = await person_by_telegram(session, telegram_id)
    if person is None or person.consent_at is None:
        raise NotRegistered()
    return person


async def record_consent(
    session: AsyncSession, *, telegram_id: int, name: str, language: str,
    now: dt.datetime | None = None,
) -> Person:
    """Store a person who agreed to the consent text (again: update, never duplicate)."""
    person = await person_by_telegram(session, telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, name=name[:128], language=language)
        session.add(person)
    person.language = language
    person.name = name[:128] or person.name
    if person.consent_at is None:
        person.consent_at = now or utcnow()
    person.unreachable_at = None
    await session.flush()
    return person


async def ensure_person(
    session: AsyncSession, *, telegram_id: int, name: str, language: str
) -> Person:
    """Find or create a person by Telegram id without consent (staff bootstrapping)."""
    person = await person_by_telegram(session, telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, name=name[:128], language=language)
        session.add(person)
        await session.flush()
    return person


async def set_language(session: AsyncSession, *, person_id: int, language: str) -> Person:
    """The person's chosen language, stored (commits)."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    person.language = language
    await session.commit()
    return person


# --- roles ----------------------------------------------------------------------------------


async def grants_of(session: AsyncSession, person_id: int) -> list[tuple[RoleGrant, Place]]:
    rows = await session.execute(
        select(RoleGrant, Place)
        .join(Place, Place.id == RoleGrant.place_id)
        .where(RoleGrant.person_id == person_id)
        .order_by(RoleGrant.id)
    )
    return [(g, p) for g, p in rows]


async def roles_of(session: AsyncSession, person_id: int, *,
                   language: str) -> list[tuple[Role, str]]:
    """The person's roles, each with a resident's label of its place in the reader's
    `language` (for /me)."""
    return [(Role(grant.role), await label_of(session, place, language=language))
            for grant, place in await grants_of(session, person_id)]


async def grant_role(
    session: AsyncSession, *, person_id: int, place_id: int, role: Role,
    granted_by_id: int | None = None,
) -> tuple[RoleGrant, bool]:
    """Grant a role on a place; granting it again changes nothing. Returns (grant, created)."""
    await get_place(session, place_id)
    existing = await session.scalar(
        select(RoleGrant).where(
            RoleGrant.person_id == person_id, RoleGrant.place_id == place_id,
            RoleGrant.role == role,
        )
    )
    if existing is not None:
        return existing, False
    grant = RoleGrant(person_id=person_id, place_id=place_id, role=role,
                      granted_by_id=granted_by_id)
    session.add(grant)
    await session.flush()
    return grant, True


async def revoke_role(
    session: AsyncSession, *, person_id: int, place_id: int, role: Role
) -> bool:
    grant = await session.scalar(
        select(RoleGrant).where(
            RoleGrant.person_id == person_id, RoleGrant.place_id == place_id,
            RoleGrant.role == role,
        )
    )
    if grant is None:
        return False
    await session.delete(grant)
    await session.flush()
    return True
