"""Staff approve or reject join requests: the pushed request, its reminder and /pending.

The Approve/Reject buttons carry only the membership id; `decide_membership` re-checks that
the person pressing holds an approver role over that household, so a forwarded or forged
button changes nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import Translator
from bot.keyboards import button, parse
from bot.outbox import Rendered
from handlers import labels
from handlers.common import current, domain_errors, edit
from models.errors import N_, NotAllowed, NotFound
from models.onboarding import decide_membership, household_label, pending_in_scope
from models.people import Membership, MembershipStatus, Person, grants_of
from models.permissions import MANAGERS
from models.places import get_place


def decision_keyboard(_: Translator, membership_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(_("✅ Approve"), f"m:a:{membership_id}"),
                                  button(_("❌ Reject"), f"m:r:{membership_id}")]])


def request_text(_: Translator, person: Person, where: str, membership: Membership) -> str:
    return _("<b>Join request</b>\n{name} asks to join {place} as {relation}.",
             name=escape(person.name), place=escape(where),
             relation=labels.relation(_, membership.relation))


async def _load(session: AsyncSession, payload: dict[str, Any]) -> tuple[Membership, Person, str]:
    membership = await session.get(Membership, int(payload["membership_id"]))
    if membership is None:
        raise NotFound()
    person = await session.get_one(Person, membership.person_id)
    where = await household_label(session, await get_place(session, membership.household_id))
    return membership, person, where


async def render_request(session: AsyncSession, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    membership, person, where = await _load(session, payload)
    if membership.status != MembershipStatus.PENDING:
        return None  # decided meanwhile: nothing to ask any more
    return Rendered(request_text(_, person, where, membership),
                    decision_keyboard(_, membership.id))


async def render_reminder(session: AsyncSession, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    rendered = await render_request(session, payload, _)
    if rendered is None:
        return None
    return Rendered(_("⏰ Still waiting for a decision:") + "\n" + rendered.text, rendered.markup)


async def render_decided(session: AsyncSession, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    membership, _person, where = await _load(session, payload)
    if membership.status == MembershipStatus.APPROVED:
        text = _("Welcome! You are now registered at {place} as {relation}. Send /help to see "
                 "what you can do.", place=escape(where),
                 relation=labels.relation(_, membership.relation))
    else:
        text = _("Your request to join {place} was not approved. If you think this is a "
                 "mistake, please contact your community office or grid worker.",
                 place=escape(where))
    return Rendered(text, None)


RENDERERS = {"join.request": render_request, "join.reminder": render_reminder,
             "join.decided": render_decided}


@domain_errors
async def decide_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Approve or reject; the service re-checks the presser's role and scope."""
    query = update.callback_query
    data = parse(query.data)
    async with deps(context).db.session() as session:
        staff, _ = await current(session, update, context)
        if staff is None or data is None or not data.args or not data.args[0].isdigit():
            raise NotAllowed()
        decision = await decide_membership(session, membership_id=data.int(0), decider=staff,
                                           approve=data.action == "a")
    deps(context).wake_outbox()
    approved = decision.membership.status == MembershipStatus.APPROVED
    verdict = (_("✅ Approved by {name}", name=escape(staff.name)) if approved
               else _("❌ Rejected by {name}", name=escape(staff.name)))
    await edit(update, request_text(_, decision.resident, decision.label, decision.membership)
               + "\n" + verdict)
    await query.answer(_("Done."))


@domain_errors
async def pending(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List join requests waiting in my scope, each with its buttons."""
    async with deps(context).db.session() as session:
        staff, _ = await current(session, update, context)
        if staff is None:
            raise NotAllowed()
        if not any(g.role in MANAGERS for g, _p in await grants_of(session, staff.id)):
            raise NotAllowed(N_("Only staff and grid workers can see join requests."))
        waiting = await pending_in_scope(session, approver=staff)
    message = update.effective_message
    if not waiting:
        await message.reply_text(_("No join requests are waiting."))
    else:
        await message.reply_text(_("{count} join request(s) waiting:", count=len(waiting)))
    for membership, person, where in waiting:
        await message.reply_text(request_text(_, person, where, membership),
                                 reply_markup=decision_keyboard(_, membership.id),
                                 parse_mode=ParseMode.HTML)
    if update.callback_query is not None:
        await update.callback_query.answer()
