"""A drill-down place picker for staff: "the whole of X" or one of its parts, paged.

Used wherever staff choose an area (a notice's audience, a household to tag). Residents pick
their home with the simpler picker in onboarding.
"""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.keyboards import button, paged
from models.people import Person, Role
from models.permissions import require_role
from models.places import Place, PlaceKind, ancestors, children, get_place


async def place_name(session: AsyncSession, place: Place) -> str:
    """A staff member's name for an area: the full chain below the street, grid included."""
    chain = await ancestors(session, place)
    return " ".join(p.name for p in chain[1:]) or place.name


async def drill(
    session: AsyncSession, _: Translator, *, viewer: Person, roles: tuple[Role, ...],
    place_id: int, page: int, choose: str, down: str, stop_at: PlaceKind,
    allow_choose: bool = True, back: InlineKeyboardButton | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """Show `place` with a "choose all of it" button and its children to drill into.

    The viewer must hold one of `roles` over the place (a forged button shows nothing).
    `choose` and `down` are format strings with {id} (and {page} for `down`).
    """
    place = await get_place(session, place_id)
    await require_role(session, person_id=viewer.id, place=place, roles=roles)
    kids = [] if place.kind == stop_at else await children(session, place.id)
    items = [(k.name, down.format(id=k.id, page=0)) for k in kids]
    extra = []
    if allow_choose:
        extra.append(button(_("✅ All of {place}", place=place.name), choose.format(id=place.id)))
    if back is not None:
        extra.append(back)
    markup = paged(items, page=page, page_data=down.format(id=place.id, page="{page}"),
                   extra=extra)
    text = _("<b>{place}</b>: choose it all, or a part of it.",
             place=escape(await place_name(session, place)))
    return text, markup
