"""Group chats bound to a place or a team: a building's group, a volunteer team, a department's
dispatch group. Staff bind a group (/bind) within their own scope; notices and reports that
concern the place can then be posted there once, not to every member.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import audit
from models.base import ID, Base, utcnow
from models.errors import N_, Invalid, NotAllowed
from models.outbox import declare_kind, enqueue
from models.people import Person
from models.permissions import BINDERS, places_with_role, require_role
from models.places import Place, get_place, subtree_filter


class GroupPurpose(enum.StrEnum):
    PLACE = "place"  # residents of a building, unit or estate
    VOLUNTEERS = "volunteers"
    DISPATCH = "dispatch"  # a department's group that receives dispatched reports


class ChatBinding(Base):
    """A Telegram group bound to a place, with what the group is for."""

    __tablename__ = "chat_binding"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255))
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[GroupPurpose] = mapped_column(String(16))
    bound_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    bound_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


GROUP_UNBOUND = "group.unbound"
declare_kind(GROUP_UNBOUND)


async def bind_chat(
    session: AsyncSession, *, chat_id: int, title: str, place_id: int, purpose: GroupPurpose,
    by: Person | None,
) -> ChatBinding:
    """Bind (or re-bind) a group to a place; `by` must be staff over that place (None: the
    command line, which is trusted)."""
    if chat_id > 0:
        raise Invalid(N_("Only a group chat can be bound to a place."))
    place = await get_place(session, place_id)
    if by is not None:
        await require_role(session, person_id=by.id, place=place, roles=BINDERS)
    binding = await session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id))
    if binding is not None and by is not None and binding.place_id != place.id:
        # moving a group away from a place is for those responsible for that place too
        await require_role(session, person_id=by.id, roles=BINDERS,
                           place=await get_place(session, binding.place_id))
    if binding is None:
        binding = ChatBinding(chat_id=chat_id)
        session.add(binding)
    binding.title = title[:255]
    binding.place_id = place.id
    binding.purpose = purpose
    binding.bound_by_id = by.id if by else None
    binding.bound_at = utcnow()
    await session.flush()
    audit.record(session, actor_id=by.id if by else None, action="group.bind",
                 subject="chat_binding", subject_id=binding.id, place_id=place.id,
                 chat_id=chat_id, purpose=purpose.value)
    await session.commit()
    return binding


async def binding_start(session: AsyncSession, *, person: Person | None,
                        chat_id: int) -> tuple[Place, Place | None]:
    """Where /bind starts for this person (their first place as staff) and the place the
    chat is bound to now, if any; only staff may bind."""
    if person is None:
        raise NotAllowed(N_("Only staff can bind a group. Register with me in a private "
                            "chat first."))
    scopes = await binder_scopes(session, person)
    if not scopes:
        raise NotAllowed(N_("Only staff can bind a group."))
    binding = await binding_of(session, chat_id)
    bound = await get_place(session, binding.place_id) if binding is not None else None
    return scopes[0], bound


async def bindable_place(session: AsyncSession, *, person: Person, place_id: int) -> Place:
    """A place this staff member may bind a group to."""
    place = await get_place(session, place_id)
    await require_role(session, person_id=person.id, place=place, roles=BINDERS)
    return place


async def binder_scopes(session: AsyncSession, person: Person) -> list[Place]:
    """The places where this person may bind groups."""
    return await places_with_role(session, person_id=person.id, roles=BINDERS)


async def binding_of(session: AsyncSession, chat_id: int) -> ChatBinding | None:
    return await session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id))


async def groups_under(
    session: AsyncSession, place: Place, purpose: GroupPurpose | None = None
) -> list[ChatBinding]:
    """Groups bound to `place` or anything under it."""
    stmt = (select(ChatBinding).join(Place, Place.id == ChatBinding.place_id)
            .where(subtree_filter(place.path)))
    if purpose is not None:
        stmt = stmt.where(ChatBinding.purpose == purpose)
    return list(await session.scalars(stmt.order_by(ChatBinding.id)))


async def bound_group_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ChatBinding)) or 0)


async def move_binding(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup (a new chat id): its binding follows it; commits.

    Telegram sends the move twice (a service message in the old chat and one in the new), and
    the two may be handled at the same time: each statement re-reads the row, so the second
    finds nothing left to move. False when the old chat was not bound (any more)."""
    if old_chat_id == new_chat_id:
        return False
    if await binding_of(session, new_chat_id) is not None:  # moved already, or bound again
        done = await session.execute(delete(ChatBinding)
                                     .where(ChatBinding.chat_id == old_chat_id))
    else:
        done = await session.execute(update(ChatBinding).where(ChatBinding.chat_id == old_chat_id)
                                     .values(chat_id=new_chat_id))
    await session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def end_binding(session: AsyncSession, *, chat_id: int, why: str) -> bool:
    """The bot left the group (removed, kicked, the group deleted): the binding ends and
    whoever bound it is told, through the outbox, in the same transaction; commits.
    False when the chat was not bound."""
    binding = await binding_of(session, chat_id)
    if binding is None:
        return False
    if binding.bound_by_id is not None:
        binder = await session.get(Person, binding.bound_by_id)
        if binder is not None:
            enqueue(session, chat_id=binder.telegram_id, person_id=binder.id,
                    kind=GROUP_UNBOUND, payload={"title": binding.title,
                                                 "place_id": binding.place_id, "why": why})
    audit.record(session, actor_id=None, action="group.unbind", subject="chat_binding",
                 subject_id=binding.id, place_id=binding.place_id, chat_id=chat_id, why=why)
    await session.delete(binding)
    await session.commit()
    return True
