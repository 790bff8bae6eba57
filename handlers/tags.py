"""Tags on people (/tags): walk to a household, pick a member, tick their groups (elderly
living alone, unemployed …) so that a notice can go to just that group."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.buttons import ButtonData
from bot.feature import Call, Command, Feature, MenuButton, MenuCommand, On
from bot.i18n import N_
from handlers.labels import TAGS
from handlers.places_picker import drill, place_name
from models import tags as svc
from models.people import Tag
from models.permissions import MANAGERS
from models.places import Place, PlaceKind, get_place


class Start(ButtonData, prefix="tg:start"):
    """Begin at the tagger's own area."""


class Area(ButtonData, prefix="tg:d"):
    place_id: int
    page: int


class Member(ButtonData, prefix="tg:m"):
    person_id: int
    household_id: int


class Toggle(ButtonData, prefix="tg:t"):
    person_id: int
    tag: Tag
    household_id: int


async def show_area(call: Call[object], place: Place, page: int) -> None:
    """A household's members to pick from, or a place to walk down to a household."""
    _ = call._
    if place.kind == PlaceKind.HOUSEHOLD:
        members = await svc.household_members(call.session, place.id)
        rows = [[Member(m.person_id, place.id).button(m.name)] for m in members]
        await call.show(_("Who in this household?") if rows else
                        _("Nobody is registered here yet."),
                        InlineKeyboardMarkup(rows) if rows else None)
        return
    text, markup = await drill(
        call.session, _, viewer=call.actor, roles=MANAGERS, place_id=place.id, page=page,
        choose=lambda place_id: Area(place_id, 0), down=lambda place_id, n: Area(place_id, n),
        stop_at=PlaceKind.HOUSEHOLD, allow_choose=False)
    await call.show(_("Choose the household.") + "\n" + text, markup)


async def start(call: Call[object]) -> None:
    """Walk to a household, pick a member, toggle their tags (elderly living alone …)."""
    await show_area(call, await svc.area_to_tag(call.session, place_id=None, by=call.actor), 0)


async def area(call: Call[Area]) -> None:
    """Open a place (a household: its members)."""
    place = await svc.area_to_tag(call.session, place_id=call.data.place_id, by=call.actor)
    await show_area(call, place, call.data.page)


async def show_member(call: Call[Member] | Call[Toggle]) -> None:
    _ = call._
    data = call.data
    member, held = await svc.member_tags(call.session, person_id=data.person_id, by=call.actor)
    rows = [[Toggle(member.id, t, data.household_id).button(
        ("☑ " if t in held else "☐ ") + _(TAGS[t]))] for t in Tag]
    household = await get_place(call.session, data.household_id)
    await call.show(_("Groups for {name} ({place}):", name=escape(member.name),
                      place=escape(await place_name(call.session, household, _.language))),
                    InlineKeyboardMarkup(rows))


async def member(call: Call[Member]) -> None:
    """A member's groups, ticked (seeing them needs the same scope as changing them)."""
    await show_member(call)


async def toggle(call: Call[Toggle]) -> None:
    """Tick or untick one group of a member."""
    await svc.toggle_tag(call.session, person_id=call.data.person_id, tag=call.data.tag,
                         by=call.actor)
    await show_member(call)


FEATURE = Feature(
    name="tags",
    commands=[Command("tags", start)],
    buttons=[On(Start, start), On(Area, area), On(Member, member), On(Toggle, toggle)],
    menu=[MenuCommand("tags", N_("Groups of people (elderly living alone …)"), "manager", 140)],
    menu_buttons=[MenuButton(N_("Groups of people"), Start(), "manager", 60)],
)
