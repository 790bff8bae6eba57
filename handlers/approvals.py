"""Staff approve or reject join requests: the pushed request, its reminder and /pending.

The Approve/Reject buttons carry only the membership id; `decide_membership` re-checks that
the person pressing holds an approver role over that household, so a forwarded or forged
button changes nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot import hints
from bot.buttons import ButtonData, keyboard
from bot.feature import Call, Command, Feature, MenuButton, MenuCommand, On, Session
from bot.i18n import N_, Translator
from bot.outbox import Rendered
from bot.waiting import waiting_for
from handlers import labels
from models.errors import NotAllowed
from models.onboarding import (
    JOIN_DECIDED,
    JOIN_HANDLED,
    JOIN_REMINDED,
    JOIN_REQUEST,
    decide_membership,
    decided_by,
    membership_view,
    pending_for,
)
from models.people import Membership, MembershipStatus, Person
from models.telegram_limits import fit_lines


class Approve(ButtonData, prefix="m:a"):
    membership_id: int


class Reject(ButtonData, prefix="m:r"):
    membership_id: int


class Pending(ButtonData, prefix="m:list"):
    """The list of requests waiting (the menu's "Join requests")."""


def decision_keyboard(_: Translator, membership_id: int) -> InlineKeyboardMarkup:
    return keyboard([(_("✅ Approve"), Approve(membership_id)),
                     (_("❌ Reject"), Reject(membership_id))])


def request_text(_: Translator, person: Person, where: str, membership: Membership) -> str:
    return _("<b>Join request</b>\n{name} asks to join {place} as {relation}.",
             name=escape(person.name), place=escape(where),
             relation=labels.relation(_, membership.relation))


async def render_request(session: Session, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    membership, person, where = await membership_view(session, int(payload["membership_id"]),
                                                      language=_.language)
    if membership.status != MembershipStatus.PENDING:
        return None  # decided meanwhile: nothing to ask any more
    return Rendered(request_text(_, person, where, membership),
                    decision_keyboard(_, membership.id))


async def render_reminder(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    rendered = await render_request(session, payload, _)
    if rendered is None:
        return None
    return Rendered(_("⏰ Still waiting for a decision:") + "\n" + rendered.text, rendered.markup)


async def render_decided(session: Session, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    membership, person, where = await membership_view(session, int(payload["membership_id"]),
                                                      language=_.language)
    if membership.status == MembershipStatus.APPROVED:
        text = _("Welcome! You are now registered at {place} as {relation}. Send /help to see "
                 "what you can do.", place=escape(where),
                 relation=labels.relation(_, membership.relation))
        return await welcome(session, person, text, _)
    else:
        text = _("Your request to join {place} was not approved. If you think this is a "
                 "mistake, please contact your community office or grid worker.",
                 place=escape(where))
    return Rendered(text, None)


def verdict_text(_: Translator, membership: Membership, decider: Person | None) -> str:
    name = escape(decider.name if decider else "—")
    return (_("✅ Approved by {name}", name=name)
            if membership.status == MembershipStatus.APPROVED
            else _("❌ Rejected by {name}", name=name))


async def render_handled(session: Session, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    """An approver's copy of a request, once someone decided it: who and how, no buttons."""
    membership, person, where = await membership_view(session, int(payload["membership_id"]),
                                                      language=_.language)
    if membership.status == MembershipStatus.PENDING:
        return None
    decider = await decided_by(session, membership)
    return Rendered(request_text(_, person, where, membership) + "\n"
                    + verdict_text(_, membership, decider))


async def welcome(session: Session, person: Person, text: str, _: Translator) -> Rendered:
    """The welcome, with what waits for the new member (current notices, pledges to sign),
    a button to open each, and the hint's button."""
    waits = await waiting_for(session, person, _)
    if waits:
        text = fit_lines([text, "", _("<b>Waiting for you:</b>"), *[w.line for w in waits]])
    markup = InlineKeyboardMarkup([[w.data.button(w.label)] for w in waits]) if waits else None
    return Rendered(text, hints.for_text(_, text, markup))


RENDERERS = {JOIN_REQUEST: render_request, JOIN_REMINDED: render_reminder,
             JOIN_DECIDED: render_decided, JOIN_HANDLED: render_handled}


async def approve(call: Call[Approve]) -> None:
    """Approve; the verb re-checks the presser's role and scope."""
    await decide(call, call.data.membership_id, approve=True)


async def reject(call: Call[Reject]) -> None:
    """Reject; the verb re-checks the presser's role and scope."""
    await decide(call, call.data.membership_id, approve=False)


async def decide(call: Call[Any], membership_id: int, *, approve: bool) -> None:
    staff, _ = call.person, call._
    if staff is None:
        raise NotAllowed()
    pressed = call.update.callback_query.message if call.update.callback_query else None
    decision = await decide_membership(
        call.session, membership_id=membership_id, decider=staff, approve=approve,
        pressed=(call.chat_id, pressed.message_id) if pressed is not None else None)
    call.wake_outbox()
    await call.edit(request_text(_, decision.resident, decision.label, decision.membership)
                    + "\n" + verdict_text(_, decision.membership, staff))
    await call.toast(_("Done."))


async def pending(call: Call[Pending | None]) -> None:
    """List join requests waiting in my scope, each with its buttons."""
    _ = call._
    waiting = await pending_for(call.session, approver=call.actor)
    if not waiting:
        await call.reply(_("No join requests are waiting."))
    else:
        await call.reply(_("{count} join request(s) waiting:", count=len(waiting)))
    for membership, person, where in waiting:
        await call.reply(request_text(_, person, where, membership),
                         decision_keyboard(_, membership.id))


FEATURE = Feature(
    name="approvals",
    commands=[Command("pending", pending)],
    buttons=[On(Approve, approve), On(Reject, reject), On(Pending, pending)],
    renderers=RENDERERS,
    menu=[MenuCommand("pending", N_("Join requests waiting for approval"), "manager", 110)],
    menu_buttons=[MenuButton(N_("Join requests"), Pending(), "manager", 50)],
)
