"""/bind in a group chat: staff tie the group to a place (a building's group), a volunteer team
or a department's dispatch group, so notices can be pinned there and reports dispatched there.
Whoever presses the buttons must be staff over the chosen place; the button is only a hint."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ChatMember, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import N_, Translator
from bot.keyboards import StaleButton, button, parse
from bot.outbox import Rendered
from handlers import common
from handlers.common import current, domain_errors
from handlers.places_picker import drill, place_name
from models.errors import NotAllowed, NotFound
from models.groups import (
    GROUP_UNBOUND,
    GroupPurpose,
    bind_chat,
    binder_scopes,
    binding_of,
    end_binding,
    move_binding,
)
from models.permissions import BINDERS, require_role
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
        if update.effective_message.sender_chat is not None:
            # an anonymous admin writes as the group itself: there is nobody to check
            raise NotAllowed(N_("You are writing as the group (\"Remain anonymous\" is on), so "
                                "I cannot tell who you are. Turn it off for a moment in the "
                                "group's admin settings, or send /bind from your own account."))
        if person is None:
            raise NotAllowed(N_("Only staff can bind a group. Register with me in a private "
                                "chat first."))
        scopes = await binder_scopes(session, person)
        if not scopes:
            raise NotAllowed(N_("Only staff can bind a group."))
        current_binding = await binding_of(session, chat.id)
        text, markup = await drill(
            session, _, viewer=person, roles=BINDERS,
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
                session, _, viewer=person, roles=BINDERS,
                place_id=data.int(0), page=data.int(1),
                choose="gb:p:{id}", down="gb:d:{id}:{page}",
                stop_at=PlaceKind.UNIT)
            await common.edit(update, text, markup)
        elif data.action == "p":
            place = await get_place(session, data.int(0))
            await require_role(session, person_id=person.id, place=place, roles=BINDERS)
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


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its binding moves to the new chat id."""
    message = update.effective_message
    if message.migrate_to_chat_id:  # the service message in the old group
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:  # and the one in the new supergroup
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    async with deps(context).db.session() as session:
        await move_binding(session, old_chat_id=old, new_chat_id=new)


GONE = (ChatMember.LEFT, ChatMember.BANNED)


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was removed from a group (or the group deleted): end its binding."""
    change = update.my_chat_member
    if change.chat.type == "private" or change.new_chat_member.status not in GONE:
        return
    why = "kicked" if change.new_chat_member.status == ChatMember.BANNED else "left"
    async with deps(context).db.session() as session:
        if await end_binding(session, chat_id=change.chat.id, why=why):
            deps(context).wake_outbox()


async def render_unbound(session: AsyncSession, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    try:
        where = await place_name(session, await get_place(session, int(payload["place_id"])))
    except NotFound:  # the place itself is gone too
        where = "—"
    return Rendered(_("I am no longer in the group «{title}», so it is no longer bound to "
                      "{place}: notices will not be posted there. To reconnect it, add me to "
                      "the group again and send /bind there.",
                      title=escape(str(payload.get("title") or "")),
                      place=escape(where)))


RENDERERS = {GROUP_UNBOUND: render_unbound}
