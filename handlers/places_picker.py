"""The place picker, one for everyone: a level of the place tree as buttons in the reader's
language, paged, with "◀ Back" one level up — never further.

Residents pick their home with it (onboarding: community → building → unit → room, grids
skipped, `HomePick` below); staff choose an area with `drill` ("the whole of X" or one of its
parts: a notice's audience, a household to tag, a group to bind). The caller says what the
buttons carry by giving functions that build them from its codecs::

    await drill(session, _, viewer=me, roles=BINDERS, place_id=..., page=0,
                choose=lambda place_id: BindPlace(place_id),
                down=lambda place_id, page: BindDrill(place_id, page), stop_at=PlaceKind.UNIT)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import ButtonData, paged
from bot.feature import Session
from bot.i18n import Translator
from models.people import Person, Role
from models.permissions import require_role, roles_at
from models.places import Place, PlaceKind, ancestors, children, get_place, join_names

Choose = Callable[[int], ButtonData]  # place id → the button that chooses all of it
Down = Callable[[int, int], ButtonData]  # place id, page → the button that opens it


class HomePick(ButtonData, prefix="j:p"):
    """A resident's home picker (onboarding), opened at a place and page: 0 is the top.
    Shared because /me and the menu open it too."""

    place_id: int
    page: int


def level(_: Translator, options: Sequence[Place], *, page: int,
          open_: Callable[[Place], ButtonData], page_data: Callable[[int], ButtonData],
          up: ButtonData | None = None, extra: Sequence[InlineKeyboardButton] = (),
          per_page: int = 12) -> InlineKeyboardMarkup:
    """One level of the tree: a button per place (named in the reader's language) that
    `open_` builds, pages of them, then `extra` and "◀ Back" to `up` (the level above)."""
    items = [(p.name_in(_.language), open_(p)) for p in options]
    below = [*extra, *([up.button(_("◀ Back"))] if up is not None else [])]
    return paged(items, page=page, page_data=page_data, extra=below, per_page=per_page)


async def place_name(session: Session, place: Place, language: str) -> str:
    """A staff member's name for an area in the reader's language: the full chain below the
    street, grid included."""
    chain = await ancestors(session, place)
    return join_names([(p.name, p.name_en) for p in chain[1:]], language) \
        or place.name_in(language)


async def drill(
    session: Session, _: Translator, *, viewer: Person, roles: tuple[Role, ...],
    place_id: int, page: int, choose: Choose, down: Down, stop_at: PlaceKind,
    allow_choose: bool = True,
) -> tuple[str, InlineKeyboardMarkup]:
    """Show `place` with a "choose all of it" button, its children to drill into and "◀ Back"
    to its parent when the viewer may see that too.

    The viewer must hold one of `roles` over the place (a forged button shows nothing).
    `choose(place_id)` and `down(place_id, page)` build the buttons (codecs, or functions
    making them).
    """
    place = await get_place(session, place_id)
    await require_role(session, person_id=viewer.id, place=place, roles=roles)
    kids = [] if place.kind == stop_at else await children(session, place.id)
    up = None
    if place.parent_id is not None:
        parent = await get_place(session, place.parent_id)
        if set(roles) & await roles_at(session, person_id=viewer.id, place=parent):
            up = down(parent.id, 0)
    where = place.name_in(_.language)
    extra = [choose(place.id).button(_("✅ All of {place}", place=where))] if allow_choose else []
    markup = level(_, kids, page=page, open_=lambda k: down(k.id, 0),
                   page_data=lambda n: down(place.id, n), up=up, extra=extra)
    text = _("<b>{place}</b>: choose it all, or a part of it.",
             place=escape(await place_name(session, place, _.language)))
    return text, markup
