"""Each community's report categories: the defaults of #16 made on first use, and those staff
add (the list is per community; a category is offered while `active`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.errors import N_, Invalid, NotAllowed
from models.people import Person, Role
from models.permissions import require_role
from models.places import Place
from models.reports.tables import ReportCategory

# code, 中文, English, the deadline a dispatch proposes (days)
DEFAULTS: tuple[tuple[str, str, str, int], ...] = (
    ("rubbish", "垃圾", "Rubbish", 1),
    ("lighting", "照明", "Lighting", 3),
    ("water", "给排水", "Water and drains", 2),
    ("fire", "消防安全", "Fire safety", 1),
    ("parking", "停车", "Parking", 3),
    ("greenery", "绿化", "Greenery", 7),
    ("noise", "噪音", "Noise", 2),
    ("repair", "房屋维修", "Building repair", 7),
    ("other", "其他", "Other", 7),
)


async def categories(session: AsyncSession, community: Place) -> list[ReportCategory]:
    """The community's active categories in order, the defaults made if it has none yet
    (added to the caller's transaction: a verb that commits keeps them)."""
    have = await session.scalar(select(func.count()).select_from(ReportCategory).where(
        ReportCategory.community_id == community.id))
    if not have:
        for n, (code, name, name_en, days) in enumerate(DEFAULTS):
            session.add(ReportCategory(community_id=community.id, code=code, name=name,
                                       name_en=name_en, position=n, deadline_days=days))
        await session.flush()
    return list(await session.scalars(select(ReportCategory).where(
        ReportCategory.community_id == community.id, ReportCategory.active.is_(True))
        .order_by(ReportCategory.position, ReportCategory.id)))


async def add_category(session: AsyncSession, *, community: Place, by: Person, name: str,
                       name_en: str | None = None, deadline_days: int = 3) -> ReportCategory:
    """A category staff of the community add (after the defaults)."""
    await require_role(session, person_id=by.id, place=community, roles=(Role.STAFF,))
    name = " ".join(name.split())
    if not name or len(name) > 60:
        raise Invalid(N_("A category's name is 1 to 60 characters."))
    existing = await categories(session, community)
    if any(c.name == name for c in existing):
        raise Invalid(N_("“{name}” is a category already."), name=name)
    row = ReportCategory(community_id=community.id, name=name, name_en=name_en,
                         position=len(existing) + 100, deadline_days=deadline_days)
    session.add(row)
    await session.flush()
    audit.record(session, actor_id=by.id, action="report.category", subject="report_category",
                 subject_id=row.id, place_id=community.id)
    await session.commit()
    return row


async def set_active(session: AsyncSession, *, category_id: int, by: Person,
                     active: bool) -> ReportCategory:
    row = await session.get(ReportCategory, category_id)
    if row is None:
        raise NotAllowed()
    place = await session.get(Place, row.community_id)
    assert place is not None
    await require_role(session, person_id=by.id, place=place, roles=(Role.STAFF,))
    row.active = active
    audit.record(session, actor_id=by.id, action="report.category_active",
                 subject="report_category", subject_id=row.id, active=active)
    await session.commit()
    return row
