"""What waits for a person (#13): each feature may say what waits for someone in it — a
current notice they have not confirmed, a pledge they may sign and have not (`Feature.waiting`)
— and the welcome after approval lists them all, each with the button that opens it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import ButtonData
from bot.i18n import Translator
from models.people import Person


@dataclass(frozen=True)
class Waits:
    """Something waiting for a person, as their welcome lists it: a line, and the button
    (label and data) that opens it."""

    line: str
    label: str
    data: ButtonData


# what waits for a person in one feature, in their language
Waiting = Callable[[AsyncSession, Person, Translator], Awaitable[Sequence[Waits]]]


async def waiting_for(session: AsyncSession, person: Person, _: Translator) -> list[Waits]:
    """What waits for a person in every feature, in the features' order."""
    from bot import registry  # (the registry imports the features, which import this)

    return [w for f in registry.FEATURES if f.waiting is not None
            for w in await f.waiting(session, person, _)]
