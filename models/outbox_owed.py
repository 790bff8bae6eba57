"""Messages no longer owed: a reminder queued for someone who has done, before it goes, what it
asks (held by quiet hours until 08:00, or behind a broadcast). A feature declares, per outbox
kind, who has acted; the sender asks once per batch and skips their rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.outbox import Claimed

# kind → which of a batch's rows (person id, payload) are no longer owed: a reminder to
# someone who has acted since it was queued (held by quiet hours, or behind a broadcast)
StillOwed = Callable[[AsyncSession, Sequence[tuple[int, dict[str, Any]]]],
                     Awaitable[set[int]]]
_DONE_CHECKS: dict[str, StillOwed] = {}


def declare_done_check(kind: str, acted: StillOwed) -> None:
    """`acted(session, [(person id, payload)…])` gives the person ids who need this kind's
    message no more; the sender skips their rows, one call per kind and batch."""
    _DONE_CHECKS[kind] = acted


def by_object(rows: Sequence[tuple[int, dict[str, Any]]], key: str) -> dict[int, set[int]]:
    """A check's rows grouped by the object their payload names (`key`): id → person ids."""
    grouped: dict[int, set[int]] = {}
    for person_id, payload in rows:
        grouped.setdefault(int(payload[key]), set()).add(person_id)
    return grouped


async def no_longer_owed(session: AsyncSession, rows: Sequence[Claimed]) -> set[int]:
    """The ids of claimed rows whose recipient has done what the message asks since."""
    skip: set[int] = set()
    for kind, acted in _DONE_CHECKS.items():
        mine = [r for r in rows if r.kind == kind and r.person_id is not None]
        if mine:
            done = await acted(session, [(r.person_id or 0, r.payload) for r in mine])
            skip |= {r.id for r in mine if r.person_id in done}
    return skip
