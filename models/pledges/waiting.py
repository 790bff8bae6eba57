"""What waits for a person among pledges (#13), for the welcome after approval: the open
pledges over their homes they may sign and have not (at the current text), and whose
announcement is not on its way to them anyway (it has its own "Read and sign")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import DomainError
from models.outbox import OutboxMessage
from models.people import Person
from models.pledges.core import PUBLISHED, Pledge
from models.pledges.signatures import covering, eligible_home
from models.pledges.signing import open_for, reading


async def to_sign(session: AsyncSession, *, person: Person,
                  now: dt.datetime | None = None) -> list[Pledge]:
    """Open pledges this person may sign and has not, soonest closing first."""
    announced = set(await session.scalars(select(OutboxMessage.topic).where(
        OutboxMessage.person_id == person.id, OutboxMessage.kind == PUBLISHED)))
    out = []
    for item in await open_for(session, person=person, now=now):
        if f"pledge:{item.pledge.id}" in announced:
            continue
        standing = await reading(session, pledge_id=item.pledge.id, person=person)
        signed = covering(standing)
        if signed is not None and signed.version == item.pledge.version:
            continue
        try:
            eligible_home(standing)
        except DomainError:  # not theirs to sign (owners only, a tenant …)
            continue
        out.append(item.pledge)
    return out
