"""The district of `bench presses` and what its staff publish to one grid, through the real
verbs: an open one-per-household pledge (its "Read and sign" announcement goes out through the
outbox) and, for comparison, a plain notice to the same people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from bench.synth import SynthInfo, generate
from bot.db import Database
from bot.migrate import upgrade_engine
from models import notices, pledges
from models.base import utcnow
from models.notices import Target
from models.people import (
    Membership,
    MembershipStatus,
    Person,
    Relation,
    Role,
    grant_role,
    record_consent,
)
from models.places import Place, PlaceKind, households_under
from models.pledges import Signature, Signers

STAFF_TELEGRAM_ID = 900
TITLE = "文明过年 不放烟花"
BODY = ("为了大家的安全，本户承诺春节期间不在小区内燃放烟花爆竹，并提醒家人和来访亲友共同遵守。"
        "如发现火情，立即拨打119并告知网格员。")
NOTICE = "📢 本周六上午9点至11点停水检修，请提前储水。给您带来不便，敬请谅解。"


@dataclass
class District:
    synth: SynthInfo
    grid_id: int
    grid_path: str
    staff_id: int  # person id of the staff member (a role holder over the grid)
    owners: list[int]  # telegram ids of the grid's distinct owners, in house order
    audience: list[int]  # telegram ids of everyone registered in the grid


async def seed_district(db: Database, households: int, progress: object = None) -> District:
    """The schema (migrations), the synthetic district and a staff member of its first
    community."""
    await upgrade_engine(db.engine)
    info = await generate(db, households=households, progress=progress)  # type: ignore[arg-type]
    async with db.session() as session:
        grid = await session.scalar(select(Place).where(Place.kind == PlaceKind.GRID)
                                    .order_by(Place.id).limit(1))
        assert grid is not None and grid.parent_id is not None
        staff = await record_consent(session, telegram_id=STAFF_TELEGRAM_ID, name="王主任",
                                     language="zh_CN")
        await grant_role(session, person_id=staff.id, place_id=grid.parent_id, role=Role.STAFF)
        await session.commit()
        homes = (select(Place.id, Place.path).where(households_under(grid.path)).subquery())
        people = (select(Person.telegram_id, Membership.relation)
                  .join(Membership, Membership.person_id == Person.id)
                  .join(homes, homes.c.id == Membership.household_id)
                  .where(Membership.status == MembershipStatus.APPROVED)
                  .order_by(homes.c.path, Membership.id))
        rows = (await session.execute(people)).all()
        return District(info, grid.id, grid.path, staff.id,
                        # an owner of two flats is one owner pressing
                        owners=list(dict.fromkeys(t for t, relation in rows
                                                  if relation == Relation.OWNER)),
                        audience=[t for t, _relation in rows])


async def _staff(session: object, district: District) -> Person:
    person = await session.get(Person, district.staff_id)  # type: ignore[attr-defined]
    assert person is not None
    return person


async def publish_pledge(db: Database, district: District) -> tuple[int, int]:
    """Write, scope and publish the pledge as staff would; (pledge id, people notified)."""
    async with db.session() as session:
        staff = await _staff(session, district)
        draft, _ = await pledges.start_draft(session, author=staff)
        await pledges.add_text(session, author=staff, text=TITLE)
        await pledges.add_text(session, author=staff, text=BODY)
        await pledges.finish_body(session, pledge_id=draft.id, author=staff)
        await pledges.set_attachment(session, pledge_id=draft.id, author=staff, file_id=None,
                                     kind=None)
        await pledges.set_scope(session, pledge_id=draft.id, author=staff,
                                place_id=district.grid_id)
        await pledges.set_signers(session, pledge_id=draft.id, author=staff,
                                  signers=Signers.HOUSEHOLD)
        await pledges.set_closing(session, pledge_id=draft.id, author=staff,
                                  closes_at=utcnow() + dt.timedelta(days=30))
        done = await pledges.publish(session, pledge_id=draft.id, author=staff)
        return draft.id, done.notified


async def publish_notice(db: Database, district: District) -> int:
    """A plain notice to everyone in the same grid, sent now; how many it goes to."""
    async with db.session() as session:
        staff = await _staff(session, district)
        draft = await notices.start_draft(session, author=staff)
        await notices.set_text(session, draft=draft, text=NOTICE)
        await notices.set_place(session, draft=draft, place_id=district.grid_id, author=staff)
        await notices.set_target(session, draft=draft, target=Target.ALL)
        sent = await notices.confirm(session, notice_id=draft.id, author=staff)
        return sent.recipients


async def signed(db: Database, pledge_id: int) -> int:
    """Signatures the pledge has in the database."""
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Signature)
                                        .where(Signature.pledge_id == pledge_id)) or 0)
