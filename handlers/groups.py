"""/bind in a group chat: staff tie the group to a place (a building's group), a volunteer team
or a department's dispatch group, so notices can be pinned there and reports dispatched there.
Whoever presses the buttons must be staff over the chosen place; the button is only a hint.
The binding follows the group when it becomes a supergroup and ends when the bot leaves."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from telegram import ChatMember, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import filters

from bot import hints
from bot.buttons import ButtonData, keyboard
from bot.feature import Call, Command, Event, Feature, MemberEvent, MenuCommand, On, Session
from bot.i18n import N_, Translator
from bot.outbox import Rendered
from handlers.places_picker import drill, place_name
from models.errors import NotAllowed, NotFound
from models.groups import (
    GROUP_UNBOUND,
    GroupPurpose,
    bind_chat,
    bindable_place,
    binding_start,
    end_binding,
    move_binding,
)
from models.permissions import BINDERS
from models.places import PlaceKind, get_place

log = logging.getLogger(__name__)
PURPOSES = {
    GroupPurpose.PLACE: N_("Residents' group of this place"),
    GroupPurpose.VOLUNTEERS: N_("Volunteer team"),
    GroupPurpose.DISPATCH: N_("Department dispatch group"),
}


class BindDrill(ButtonData, prefix="gb:d"):
    """Open a place (and a page of its parts) to bind the group to it or a part."""

    place_id: int
    page: int


class BindPlace(ButtonData, prefix="gb:p"):
    """This place chosen: ask what the group is for."""

    place_id: int


class BindAs(ButtonData, prefix="gb:u"):
    place_id: int
    purpose: GroupPurpose


async def places_to_bind(call: Call[Any], place_id: int, page: int) -> tuple[str, Any]:
    return await drill(call.session, call._, viewer=call.actor, roles=BINDERS,
                       place_id=place_id, page=page, choose=BindPlace, down=BindDrill,
                       stop_at=PlaceKind.UNIT)


async def bind(call: Call[None]) -> None:
    """Offer the staff member's places to bind this group to."""
    if not call.is_button and call.message.sender_chat is not None:
        # an anonymous admin writes as the group itself: there is nobody to check
        raise NotAllowed(N_("You are writing as the group (\"Remain anonymous\" is on), so "
                            "I cannot tell who you are. Turn it off for a moment in the "
                            "group's admin settings, or send /bind from your own account."))
    scope, bound = await binding_start(call.session, person=call.person, chat_id=call.chat_id)
    text, markup = await places_to_bind(call, scope.id, 0)
    if bound is not None:
        text = call._("This group is bound to {place}. Choose again to change it.",
                      place=escape(await place_name(call.session, bound, call._.language)),
                      ) + "\n" + text
    await call.reply(text, markup)


async def open_place(call: Call[BindDrill]) -> None:
    """Show a place's parts to bind the group to."""
    await call.edit(*await places_to_bind(call, call.data.place_id, call.data.page))


async def choose_place(call: Call[BindPlace]) -> None:
    """Ask what the group is for."""
    place = await bindable_place(call.session, person=call.actor, place_id=call.data.place_id)
    await call.edit(call._("What is this group for?"), keyboard(
        *[[(call._(label), BindAs(place.id, purpose))] for purpose, label in PURPOSES.items()]))


async def bind_as(call: Call[BindAs]) -> None:
    """Bind the group to the place, for that purpose."""
    chat = call.update.effective_chat
    binding = await bind_chat(call.session, chat_id=chat.id, title=chat.title or "",
                              place_id=call.data.place_id, purpose=call.data.purpose,
                              by=call.actor)
    place = await get_place(call.session, binding.place_id)
    await call.edit(call._("✅ This group is now bound to {place} ({purpose}).",
                           place=escape(await place_name(call.session, place, call._.language)),
                           purpose=call._(PURPOSES[call.data.purpose])))


async def migrated(call: Call[None]) -> None:
    """A group became a supergroup: its binding moves to the new chat id."""
    message = call.message
    if message.migrate_to_chat_id:  # the service message in the old group
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:  # and the one in the new supergroup
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await move_binding(call.session, old_chat_id=old, new_chat_id=new)


GONE = (ChatMember.LEFT, ChatMember.BANNED)


async def membership_changed(call: Call[None]) -> None:
    """The bot was added to a group: offer to bind it. Removed from one (or the group was
    deleted): end its binding."""
    change = call.update.my_chat_member
    if change.chat.type == "private":
        return
    was = getattr(change.old_chat_member, "status", None)  # (a malformed update has none)
    if was in GONE and change.new_chat_member.status not in GONE:
        if change.chat.type not in ("group", "supergroup"):
            return  # (a channel has nobody to press it)
        await offer_binding(call, change.chat.id)
        return
    if change.new_chat_member.status not in GONE:
        return
    why = "kicked" if change.new_chat_member.status == ChatMember.BANNED else "left"
    if await end_binding(call.session, chat_id=change.chat.id, why=why):
        call.wake_outbox()


async def offer_binding(call: Call[None], chat_id: int) -> None:
    """Just added to a group: the button that binds it, for staff to press."""
    _ = call._
    try:
        await call.context.bot.send_message(
            chat_id, _("Thank you for adding me. Staff: press the button below to bind this "
                       "group to a building, a volunteer team or a department."),
            reply_markup=InlineKeyboardMarkup([[hints.button(_, "bind")]]))
    except TelegramError as error:  # upgraded to a supergroup or left meanwhile: no offer
        log.info("no binding offered in chat %s: %s", chat_id, type(error).__name__)


async def render_unbound(session: Session, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    try:
        where = await place_name(session, await get_place(session, int(payload["place_id"])),
                                 _.language)
    except NotFound:  # the place itself is gone too
        where = "—"
    return Rendered(_("I am no longer in the group «{title}», so it is no longer bound to "
                      "{place}: notices will not be posted there. To reconnect it, add me to "
                      "the group again: I will offer a button there to bind it.",
                      title=escape(str(payload.get("title") or "")),
                      place=escape(where)))


RENDERERS = {GROUP_UNBOUND: render_unbound}

FEATURE = Feature(
    name="groups",
    commands=[Command("bind", bind, chats="groups", hint=N_("🔗 Bind this group"))],
    buttons=[On(BindDrill, open_place), On(BindPlace, choose_place), On(BindAs, bind_as)],
    events=[Event(filters.StatusUpdate.MIGRATE, migrated)],
    member_events=[MemberEvent(membership_changed)],
    renderers=RENDERERS,
    menu=[MenuCommand("bind", N_("Staff: bind this group to a place"), "group", 20)],
)
