"""A drill-down place picker for staff: "the whole of X" or one of its parts, paged.

Used wherever staff choose an area (a notice's audience, a household to tag, a group to bind).
Residents pick their home with the simpler picker in onboarding (`HomePick` below). The
caller says what the buttons carry by giving functions that build them from its codecs::

    await drill(session, _, viewer=me, roles=BINDERS, place_id=..., page=0,
                choose=lambda place_id: BindPlace(place_id),
                down=lambda place_id, page: BindDrill(place_id, page), stop_at=PlaceKind.UNIT)
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import ButtonData, paged
from bot.feature import Session
from bot.i18n import Translator
from models.people import Person, Role
from models.permissions import require_role
from models.places import Place, PlaceKind, ancestors, children, get_place

Choose = Callable[[int], ButtonData]  # place id → the button that chooses all of it
Down = Callable[[int, int], ButtonData]  # place id, page → the button that opens it


class HomePick(ButtonData, prefix="j:p"):
    """A resident's home picker (onboarding), opened at a place and page: 0 is the top.
    Shared because /me and the menu open it too."""

    place_id: int
    page: int


async def place_name(session: Session, place: Place) -> str:
    """A staff member's name for an area: the full chain below the street, grid included."""
    chain = await ancestors(session, place)
    return " ".join(p.name for p in chain[1:]) or place.name


async def drill(
    session: Session, _: Translator, *, viewer: Person, roles: tuple[Role, ...],
    place_id: int, page: int, choose: Choose, down: Down, stop_at: PlaceKind,
    allow_choose: bool = True, back: InlineKeyboardButton | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """Show `place` with a "choose all of it" button and its children to drill into.

    The viewer must hold one of `roles` over the place (a forged button shows nothing).
    `choose(place_id)` and `down(place_id, page)` build the buttons (codecs, or functions
    making them).
    """
    place = await get_place(session, place_id)
    await require_role(session, person_id=viewer.id, place=place, roles=roles)
    kids = [] if place.kind == stop_at else await children(session, place.id)
    items = [(k.name, down(k.id, 0)) for k in kids]
    extra = []
    if allow_choose:
        extra.append(choose(place.id).button(_("✅ All of {place}", place=place.name)))
    if back is not None:
        extra.append(back)
    markup = paged(items, page=page, page_data=lambda n: down(place.id, n), extra=extra)
    text = _("<b>{place}</b>: choose it all, or a part of it.",
             place=escape(await place_name(session, place)))
    return text, markup
