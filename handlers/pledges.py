"""Residents and pledges: read one in full, "I agree and sign" → confirm → a certificate; /pledges
lists the open ones for my places; a deep link (`/start pledge_12`, from a stairwell poster)
opens one straight away. Also the outbox renderers for the notice, the reminders and an
assisted signature.

Buttons carry the pledge id and the version read (`pl:c:12:2`); the service re-checks
everything, so an old button for a changed text, or a forged one, signs nothing.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.config import get_settings
from bot.deps import deps
from bot.i18n import N_, Translator
from bot.keyboards import StaleButton, button, parse
from bot.outbox import Rendered
from handlers.common import answer_or_reply, current, domain_errors, edit
from models.errors import NotAllowed, NotFound
from models.people import Person
from models.places import ancestors, label
from models.pledge_signing import (
    Signature,
    SignedHow,
    eligible_household,
    local_date,
    local_time,
    my_signature,
    open_for,
    sign,
)
from models.pledges import Pledge, PledgeStatus, Signers, get_pledge
from models.telegram_limits import MESSAGE, fit_lines, shorten, split, visible_len

NOT_REGISTERED = N_("You are not registered yet. Send /start to join your community.")
# Under each part of a long pledge: "\n(3/12)".
COUNTER_ROOM = 12
TEASER = 300  # UTF-16 units of the text shown in a notice about the pledge
SIGNERS = {
    Signers.RESIDENT: N_("every registered resident"),
    Signers.HOUSEHOLD: N_("one person per household"),
    Signers.OWNER: N_("owners only"),
    Signers.LANDLORD: N_("landlords of rented households"),
}


def tz() -> dt.tzinfo:
    # Renderers get no context; the community's time zone comes from the same settings.
    return get_settings().tz


def signers_label(_: Translator, signers: str) -> str:
    return _(SIGNERS[Signers(signers)])


def header(_: Translator, pledge: Pledge, where: str) -> str:
    return _("📜 <b>{title}</b>\n{place} · signed by {signers} · until {date}",
             title=escape(pledge.title), place=escape(where),
             signers=signers_label(_, pledge.signers), date=local_date(pledge.closes_at, tz()))


async def place_label(session: AsyncSession, pledge: Pledge) -> str:
    if pledge.place_id is None:
        return "—"
    from models.places import get_place

    place = await get_place(session, pledge.place_id)
    return label(await ancestors(session, place)) or place.name


def full_text(_: Translator, pledge: Pledge, where: str) -> list[str]:
    """The pledge as messages, HTML-escaped, the header on the first; each within Telegram's
    limit as it counts it (escaping adds nothing to what it counts)."""
    head = header(_, pledge, where)
    room = MESSAGE - COUNTER_ROOM
    parts = split(pledge.body, room, first=room - visible_len(head) - 2)
    out = [escape(p) for p in parts]
    out[0] = head + "\n\n" + out[0]
    if len(out) > 1:
        out = [f"{p}\n({i}/{len(out)})" for i, p in enumerate(out, 1)]
    return out


def read_button(_: Translator, pledge_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(_("📖 Read and sign"), f"pl:r:{pledge_id}")]])


def certificate(_: Translator, pledge: Pledge, person: Person, signature: Signature) -> str:
    lines = [_("✅ <b>Signed</b>: {title}", title=escape(pledge.title)),
             _("Name: {name}", name=escape(person.name)),
             _("Time: {time}", time=local_time(signature.signed_at, tz())),
             _("Version: {version}", version=signature.version),
             _("Verification code: <code>{code}</code>", code=signature.code)]
    if signature.how == SignedHow.ASSISTED:
        lines.append(_("Signed on your behalf by your grid worker, with your agreement."))
    return "\n".join(lines)


# --- outbox renderers -----------------------------------------------------------------------


async def _teaser(session: AsyncSession, payload: dict[str, Any], _: Translator,
                  intro: str) -> Rendered | None:
    pledge = await session.get(Pledge, int(payload["pledge_id"]))
    if pledge is None or pledge.status != PledgeStatus.OPEN:
        return None  # closed or withdrawn meanwhile: nothing to ask any more
    where = await place_label(session, pledge)
    body = shorten(pledge.body, TEASER)
    text = f"{intro}\n{header(_, pledge, where)}\n\n{escape(body)}"
    return Rendered(text, read_button(_, pledge.id))


async def render_published(session: AsyncSession, payload: dict[str, Any],
                           _: Translator) -> Rendered | None:
    return await _teaser(session, payload, _, _("<b>New pledge</b> for your community:"))


async def render_reminder(session: AsyncSession, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _teaser(session, payload, _,
                         _("⏰ <b>Reminder</b>: you have not signed this pledge yet."))


async def render_resign(session: AsyncSession, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    return await _teaser(session, payload, _, _(
        "✏️ The text of a pledge you signed has changed. Please read the new version and sign "
        "again."))


async def render_assisted(session: AsyncSession, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    signature = await session.get(Signature, int(payload["signature_id"]))
    if signature is None:
        return None
    pledge = await session.get_one(Pledge, signature.pledge_id)
    person = await session.get_one(Person, signature.person_id)
    return Rendered(certificate(_, pledge, person, signature))


RENDERERS = {"pledge.published": render_published, "pledge.reminder": render_reminder,
             "pledge.resign": render_resign, "pledge.assisted": render_assisted}


# --- resident handlers ----------------------------------------------------------------------


async def sign_state(
    session: AsyncSession, _: Translator, pledge: Pledge, person: Person | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The line under the pledge: signed already, closed, not for you, or the sign button."""
    now = dt.datetime.now(dt.UTC)
    if person is None:
        return _(NOT_REGISTERED), None
    signature = await my_signature(session, pledge=pledge, person=person)
    if signature is not None and signature.version == pledge.version:
        return _("✅ Already signed on {date}.", date=local_time(signature.signed_at, tz())), None
    if not pledge.is_open(now):
        return _("This pledge closed on {date}; signing is no longer possible.",
                 date=local_date(pledge.ended_at(), tz())), None
    try:
        await eligible_household(session, pledge, person)
    except NotAllowed as error:
        return _.gettext(error.message, **error.params), None
    prompt = (_("You signed an earlier version. Please sign the new text.")
              if signature is not None else _("Have you read it? Sign below."))
    return prompt, InlineKeyboardMarkup([[button(_("✍️ I agree and sign"),
                                                 f"pl:s:{pledge.id}:{pledge.version}")]])


async def show_pledge(update: Update, context: ContextTypes.DEFAULT_TYPE, pledge_id: int) -> None:
    """Send the whole pledge (in parts if long), its attachment, then where I stand."""
    chat = update.effective_chat
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        pledge = await get_pledge(session, pledge_id)
        if pledge.status == PledgeStatus.DRAFT:
            raise NotFound(N_("This pledge no longer exists."))
        where = await place_label(session, pledge)
        state, markup = await sign_state(session, _, pledge, person)
    for part in full_text(_, pledge, where):
        await context.bot.send_message(chat.id, part, parse_mode=ParseMode.HTML)
    if pledge.attachment_id and pledge.attachment_kind == "photo":
        await context.bot.send_photo(chat.id, pledge.attachment_id)
    elif pledge.attachment_id:
        await context.bot.send_document(chat.id, pledge.attachment_id)
    await context.bot.send_message(chat.id, state, reply_markup=markup,
                                   parse_mode=ParseMode.HTML)


@domain_errors
async def read_button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the pledge in full."""
    data = parse(update.callback_query.data)
    if data is None:
        raise StaleButton()
    await show_pledge(update, context, data.int(0))
    await update.callback_query.answer()


@domain_errors
async def deep_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/start pledge_12[_building]` from a poster: open the pledge straight away."""
    arg = context.args[0] if context.args else ""
    parts = arg.removeprefix("pledge_").split("_")
    if not parts[0].isdigit() or len(parts[0]) > 12:
        raise StaleButton()
    await show_pledge(update, context, int(parts[0]))


@domain_errors
async def sign_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before signing."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    pledge_id, version = data.int(0), data.int(1)
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotFound(NOT_REGISTERED)
        pledge = await get_pledge(session, pledge_id)
        household = await eligible_household(session, pledge, person)
        where = label(await ancestors(session, household))
    text = _("Sign «{title}» as {name} ({place})? Your name, the time and the version of the "
             "text will be recorded.", title=escape(pledge.title), name=escape(person.name),
             place=escape(where))
    markup = InlineKeyboardMarkup([[button(_("✅ Confirm and sign"),
                                           f"pl:c:{pledge_id}:{version}"),
                                    button(_("Cancel"), f"pl:x:{pledge_id}")]])
    await edit(update, text, markup)
    await query.answer()


@domain_errors
async def confirm_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sign, and answer with the certificate."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotFound(NOT_REGISTERED)
        done = await sign(session, pledge_id=data.int(0), person=person, version=data.int(1),
                          tz=deps(context).settings.tz)
    await edit(update, certificate(_, done.pledge, done.person, done.signature))
    await query.answer(_("Signed."))


@domain_errors
async def cancel_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with deps(context).db.session() as session:
        _person, _ = await current(session, update, context)
    await edit(update, _("Not signed. You can sign later with /pledges."))
    await update.callback_query.answer()


@domain_errors
async def my_pledges(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List open pledges for my places and whether I (or my household) signed."""
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotFound(NOT_REGISTERED)
        mine = await open_for(session, person=person)
    if not mine:
        text, markup = _("There are no open pledges for your places."), None
    else:
        lines = [_("<b>Open pledges</b>")]
        buttons = []
        for item in mine:
            signed = item.signature is not None and item.signature.version == item.pledge.version
            mark = "✅" if signed else "⬜"
            until = local_date(item.pledge.closes_at, deps(context).settings.tz)
            lines.append(_("{mark} {title} (until {date})", mark=mark,
                           title=escape(item.pledge.title), date=until))
            buttons.append([button(f"{mark} {item.pledge.title}", f"pl:r:{item.pledge.id}")])
        text, markup = fit_lines(lines), InlineKeyboardMarkup(buttons)
    await answer_or_reply(update, text, markup, answer_query=True)
