"""Due items: things that must happen at a time (a reminder, a deadline, an escalation).

The database, not the scheduler, is the truth about what is due: the tick claims items whose
time has passed, runs each one's effect and marks it done in the same transaction, so an item
that fell due while the bot was down fires once after restart, and never twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow

log = logging.getLogger(__name__)
RETRY_AFTER = dt.timedelta(minutes=5)  # a failing effect waits this long before trying again


class DueStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class DueItem(Base):
    """Something to do at `due_at`, of a `kind` that names its effect."""

    __tablename__ = "due_item"
    __table_args__ = (Index("ix_due_item_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    ref_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[dt.datetime]
    status: Mapped[DueStatus] = mapped_column(String(16), default=DueStatus.PENDING)
    done_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


# An effect runs inside the claiming transaction; whatever it writes commits with "done".
Effect = Callable[[AsyncSession, DueItem, dt.datetime], Awaitable[None]]


_KINDS: set[str] = set()


def declare_due_kind(*kinds: str) -> None:
    """Declare the due-item kinds a feature schedules (at import); the wiring checks at
    start-up that each has an effect."""
    _KINDS.update(kinds)


def declared_due_kinds() -> frozenset[str]:
    return frozenset(_KINDS)


def schedule(
    session: AsyncSession, *, kind: str, due_at: dt.datetime, ref_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> DueItem:
    item = DueItem(kind=kind, due_at=due_at, ref_id=ref_id, payload=payload or {},
                   status=DueStatus.PENDING)
    session.add(item)
    return item


async def run_due(
    session: AsyncSession, effects: dict[str, Effect], *, now: dt.datetime | None = None,
    limit: int = 100,
) -> int:
    """Run every due item's effect and mark it done, one transaction per item. Returns count."""
    now = now or utcnow()
    stmt = (
        select(DueItem.id)
        .where(DueItem.status == DueStatus.PENDING, DueItem.due_at <= now)
        .order_by(DueItem.due_at, DueItem.id)
        .limit(limit)
    )
    ids = list(await session.scalars(stmt))
    await session.rollback()
    fired = 0
    for item_id in ids:
        # Claiming is the UPDATE itself: it locks the row until commit, so a second worker's
        # claim waits and then matches nothing — each item fires once, with its effect.
        claimed = await session.execute(
            update(DueItem)
            .where(DueItem.id == item_id, DueItem.status == DueStatus.PENDING)
            .values(status=DueStatus.DONE, done_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            await session.rollback()
            continue
        item = await session.get_one(DueItem, item_id)
        kind = item.kind
        effect = effects.get(kind)
        try:
            if effect is not None:
                await effect(session, item, now)
            await session.commit()
        except Exception:
            # undo the claim and the effect; try this one again later, go on with the others
            await session.rollback()
            log.exception("due item %s (%s) failed; retrying in %s", item_id, kind,
                          RETRY_AFTER)
            await session.execute(update(DueItem).where(DueItem.id == item_id)
                                  .values(due_at=now + RETRY_AFTER))
            await session.commit()
            continue
        fired += 1
    return fired
