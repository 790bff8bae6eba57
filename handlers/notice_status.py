"""After a notice is sent: residents' "Got it" and /notices; staff's status, acknowledgements
per building and reminders; tags on people; and how notices are rendered for the outbox."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import N_, Translator
from bot.keyboards import StaleButton, button, parse
from bot.outbox import SHARED_KINDS, Rendered
from handlers import common
from handlers.common import current, domain_errors
from handlers.labels import TAGS
from handlers.places_picker import drill, place_name
from models import notices as svc
from models.errors import NotAllowed
from models.notices import Notice, NoticeStatus
from models.people import Membership, MembershipStatus, Person, PersonTag, Tag
from models.permissions import MANAGERS, require_role
from models.places import PlaceKind, get_place
from models.telegram_limits import CAPTION, MESSAGE, fit_lines, shorten, visible_len

STATUS = {
    NoticeStatus.DRAFT: N_("draft"),
    NoticeStatus.SCHEDULED: N_("scheduled"),
    NoticeStatus.SENDING: N_("sending"),
    NoticeStatus.DONE: N_("sent"),
    NoticeStatus.CANCELLED: N_("cancelled"),
}


def got_it(_: Translator, notice_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(_("✅ Got it"), f"na:{notice_id}")]])


async def _notice_message(session: AsyncSession, payload: dict[str, Any], _: Translator,
                          *, heading: str, ack: bool, pin: bool = False) -> Rendered | None:
    notice = await session.get(Notice, int(payload["notice_id"]))
    if notice is None or notice.status == NoticeStatus.CANCELLED:
        return None
    limit = CAPTION if notice.media_kind else MESSAGE
    # svc.HEADING_ROOM already keeps every text short enough; cutting here only guards against
    # a future translation of a heading longer than that room, so the notice still goes out
    body = shorten(notice.text_for(_.language), limit - visible_len(heading) - 1)
    text = f"{heading}\n{escape(body)}"
    markup = got_it(_, notice.id) if ack else None
    photo = notice.media_file_id if notice.media_kind == "photo" else None
    document = notice.media_file_id if notice.media_kind == "document" else None
    return Rendered(text, markup, photo=photo, document=document, pin=pin)


async def render_notice(session: AsyncSession, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    return await _notice_message(session, payload, _, heading=_("📢 <b>Notice</b>"), ack=True)


async def render_group_notice(session: AsyncSession, payload: dict[str, Any],
                              _: Translator) -> Rendered | None:
    return await _notice_message(session, payload, _, heading=_("📢 <b>Notice</b>"), ack=False,
                                 pin=True)


async def render_reminder(session: AsyncSession, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _notice_message(
        session, payload, _, ack=True,
        heading=_("⏰ <b>Reminder</b>: please read this notice and press \"Got it\"."))


RENDERERS = {"notice": render_notice, "notice.group": render_group_notice,
             "notice.reminder": render_reminder}
SHARED_KINDS.update(RENDERERS)


@domain_errors
async def acknowledge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A recipient pressed "Got it"."""
    data = parse(update.callback_query.data)
    if data is None:
        raise StaleButton()
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed()
        first = await svc.acknowledge(session, notice_id=int(data.action) if
                                      data.action.isdigit() else 0, person=person)
    await update.callback_query.answer(_("Thank you, noted.") if first else
                                       _("You already confirmed this notice."))


def _first_line(notice: Notice, language: str) -> str:
    text = notice.text_for(language).strip().splitlines()
    return escape(shorten(text[0], 50)) if text else "—"


@domain_errors
async def list_notices(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Staff: recent notices in my area with their state; residents: notices I was sent."""
    tz = deps(context).settings.tz
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed(N_("You are not registered yet. Send /start to join your "
                                "community."))
        if await svc.author_scopes(session, person):
            notices = await svc.managed_by(session, person)
            lines = [_("<b>Notices in your area</b>")]
            rows = []
            for n in notices:
                lines.append(f"#{n.id} · {_(STATUS[n.status])} · {_first_line(n, _.language)}")
                rows.append([button(_("📊 #{id}", id=n.id), f"ns:{n.id}")])
            rows.append([button(_("📢 New notice"), "nt:new")])
            if not notices:
                lines.append(_("No notices yet."))
            await common.answer_or_reply(update, fit_lines(lines), InlineKeyboardMarkup(rows))
            return
        notices = await svc.received_by(session, person)
    lines = [_("<b>Recent notices</b>")]
    lines += [f"• {n.sent_at.astimezone(tz).strftime('%m-%d') if n.sent_at else ''} "
              f"{_first_line(n, _.language)}" for n in notices]
    if not notices:
        lines.append(_("No notices yet."))
    await common.answer_or_reply(update, fit_lines(lines), None)


@domain_errors
async def notice_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delivery and acknowledgements per building, with remind and cancel buttons."""
    query = update.callback_query
    data = parse(query.data)
    if data is None or not data.action.isdigit():
        raise StaleButton()
    notice_id = int(data.action)
    remind = bool(data.args and data.args[0] == "remind")
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed()
        toast = None
        if remind:
            n = await svc.remind_unacknowledged(session, notice_id=notice_id, by=person)
            deps(context).wake_outbox()
            toast = _("Reminder sent to {count} people.", count=n)
        notice = await svc.get_notice(session, notice_id)
        overall, buildings = await svc.acknowledgements(session, notice_id=notice_id,
                                                        viewer=person)
        progress = await svc.progress(session, notice)
        lines = [_("<b>Notice #{id}</b> · {status}", id=notice.id,
                   status=_(STATUS[notice.status])), _first_line(notice, _.language),
                 _("Sent {sent} · failed {failed} · unreachable {blocked} · waiting {waiting}",
                   sent=progress.sent, failed=progress.failed, blocked=progress.blocked,
                   waiting=progress.remaining),
                 _("Got it: {acked} of {total}", acked=overall.acked, total=overall.total)]
        lines += [f"  {escape(b.name)}: {b.acked} / {b.total}" for b in buildings]
    rows = [[button(_("⏰ Remind those who have not confirmed"), f"ns:{notice_id}:remind")]]
    if notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.SENDING):
        rows.append([button(_("✖ Cancel this notice"), f"nt:c:{notice_id}")])
    # a notice to a whole street lists hundreds of buildings: as many as one message holds
    await common.edit(update, fit_lines(lines), InlineKeyboardMarkup(rows))
    await query.answer(toast)


# --- tags -----------------------------------------------------------------------------------


@domain_errors
async def tags(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Walk to a household, pick a member, toggle their tags (elderly living alone …)."""
    query = update.callback_query
    data = parse(query.data) if query else None
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed()
        scopes = await svc.author_scopes(session, person)
        if not scopes:
            raise NotAllowed(N_("Only staff and grid workers can manage groups of people."))
        if data is None or data.action == "start":
            place_id, page = scopes[0].id, 0
        elif data.action == "d":
            place_id, page = data.int(0), data.int(1)
        else:
            place_id, page = 0, 0
        if data is not None and data.action in ("m", "t"):
            await _member_tags(update, session, _, person, data)
        else:
            place = await get_place(session, place_id)
            if place.kind == PlaceKind.HOUSEHOLD:
                # names of a household's members: only for someone responsible for it
                await require_role(session, person_id=person.id, place=place,
                                   roles=MANAGERS)
                await _household_members(update, session, _, place.id)
            else:
                text, markup = await drill(
                    session, _, viewer=person, roles=MANAGERS,
                    place_id=place_id, page=page,
                    choose="", down="tg:d:{id}:{page}",
                    stop_at=PlaceKind.HOUSEHOLD, allow_choose=False)
                await common.answer_or_reply(update, _("Choose the household.") + "\n" + text,
                                             markup)
    if query is not None:
        await query.answer()


async def _household_members(update: Update, session: AsyncSession, _: Translator,
                             household_id: int) -> None:
    rows = await session.execute(
        select(Person.id, Person.name).join(Membership, Membership.person_id == Person.id)
        .where(Membership.household_id == household_id,
               Membership.status == MembershipStatus.APPROVED).order_by(Person.id))
    buttons = [[button(name, f"tg:m:{pid}:{household_id}")] for pid, name in rows]
    text = _("Who in this household?") if buttons else _("Nobody is registered here yet.")
    await common.answer_or_reply(update, text, InlineKeyboardMarkup(buttons) if buttons else None)


async def _member_tags(update: Update, session: AsyncSession, _: Translator, by: Person,
                       data: Any) -> None:
    person_id, household_id = data.int(0), data.int(-1)
    if data.action == "t":
        try:
            tag = Tag(data.args[1])
        except (ValueError, IndexError):
            raise StaleButton() from None
        has = await session.scalar(select(PersonTag.id).where(PersonTag.person_id == person_id,
                                                              PersonTag.tag == tag))
        await svc.tag_person(session, person_id=person_id, tag=tag, by=by, on=has is None)
    else:  # viewing requires the same scope as changing
        await svc.tag_person_check(session, person_id=person_id, by=by)
    member = await session.get_one(Person, person_id)
    held = set(await session.scalars(select(PersonTag.tag).where(
        PersonTag.person_id == person_id)))
    rows = [[button(("☑ " if t in held else "☐ ") + _(TAGS[t]),
                    f"tg:t:{person_id}:{t.value}:{household_id}")] for t in Tag]
    await common.answer_or_reply(
        update, _("Groups for {name} ({place}):", name=escape(member.name),
                  place=escape(await place_name(session, await get_place(session,
                                                                         household_id)))),
        InlineKeyboardMarkup(rows))

