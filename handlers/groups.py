"""/bind in a group chat: staff tie the group to a place (a building's group), a volunteer team
or a department's dispatch group, so notices can be pinned there and reports dispatched there.
Whoever presses the buttons must be staff over the chosen place; the button is only a hint."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import N_
from bot.keyboards import StaleButton, button, parse
from handlers import common
from handlers.common import current, domain_errors
from handlers.places_picker import drill, place_name
from models.errors import NotAllowed
from models.groups import BINDER_ROLES, GroupPurpose, bind_chat, binder_scopes, binding_of
from models.people import require_role
from models.places import PlaceKind, get_place

PURPOSES = {
    GroupPurpose.PLACE: N_("Residents' group of this place"),
    GroupPurpose.VOLUNTEERS: N_("Volunteer team"),
    GroupPurpose.DISPATCH: N_("Department dispatch group"),
}


@domain_errors
async def bind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the staff member's places to bind this group to."""
    chat = update.effective_chat
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed(N_("Only staff can bind a group. Register with me in a private "
                                "chat first."))
        scopes = await binder_scopes(session, person)
        if not scopes:
            raise NotAllowed(N_("Only staff can bind a group."))
        current_binding = await binding_of(session, chat.id)
        text, markup = await drill(
            session, _, viewer=person, roles=BINDER_ROLES,
            place_id=scopes[0].id, page=0,
            choose="gb:p:{id}", down="gb:d:{id}:{page}",
            stop_at=PlaceKind.UNIT)
        if current_binding is not None:
            place = await get_place(session, current_binding.place_id)
            text = _("This group is bound to {place}. Choose again to change it.",
                     place=escape(await place_name(session, place))) + "\n" + text
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@domain_errors
async def bind_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Walk the places, choose one, then say what the group is for."""
    query = update.callback_query
    data = parse(query.data)
    if data is None or query.message is None:
        raise StaleButton()
    chat = update.effective_chat
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed()
        if data.action == "d":
            text, markup = await drill(
                session, _, viewer=person, roles=BINDER_ROLES,
                place_id=data.int(0), page=data.int(1),
                choose="gb:p:{id}", down="gb:d:{id}:{page}",
                stop_at=PlaceKind.UNIT)
            await common.edit(update, text, markup)
        elif data.action == "p":
            place = await get_place(session, data.int(0))
            await require_role(session, person_id=person.id, place=place, roles=BINDER_ROLES)
            rows = [[button(_(label), f"gb:u:{place.id}:{purpose.value}")]
                    for purpose, label in PURPOSES.items()]
            await common.edit(update, _("What is this group for?"), InlineKeyboardMarkup(rows))
        elif data.action == "u":
            try:
                purpose = GroupPurpose(data.args[1])
            except (IndexError, ValueError):
                raise StaleButton() from None
            binding = await bind_chat(session, chat_id=chat.id, title=chat.title or "",
                                      place_id=data.int(0), purpose=purpose, by=person)
            place = await get_place(session, binding.place_id)
            await common.edit(update, _("✅ This group is now bound to {place} ({purpose}).",
                                        place=escape(await place_name(session, place)),
                                        purpose=_(PURPOSES[purpose])))
        else:
            raise StaleButton()
    await query.answer()
