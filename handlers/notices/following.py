"""After a notice is sent: residents' "Got it" and /notices; staff's status with delivery and
acknowledgements per building, reminders to those who have not confirmed, and cancelling."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.feature import Call
from bot.i18n import N_
from handlers.notices import buttons as b
from handlers.notices.current import resident_notices
from handlers.notices.rendering import first_line
from models import notices as svc
from models.notices import NoticeStatus
from models.telegram_limits import fit_lines

STATUS = {
    NoticeStatus.DRAFT: N_("draft"),
    NoticeStatus.SCHEDULED: N_("scheduled"),
    NoticeStatus.SENDING: N_("sending"),
    NoticeStatus.DONE: N_("sent"),
    NoticeStatus.CANCELLED: N_("cancelled"),
}


async def acknowledge(call: Call[b.GotIt]) -> None:
    """A recipient pressed "Got it"."""
    ack = await svc.acknowledge(call.session, notice_id=call.data.notice_id,
                                person=call.actor)
    await call.mark(call._("✅ Got it · {day}", day=call._.short_day(ack.at)))
    await call.toast(call._("Thank you, noted.") if ack.first else
                     call._("You already confirmed this notice."))


async def list_notices(call: Call[Any]) -> None:
    """Staff: recent notices in my area with their state; residents: notices I was sent."""
    if await svc.author_scopes(call.session, call.me):
        await managed_notices(call)
        return
    await resident_notices(call)


async def managed_notices(call: Call[Any]) -> None:
    _ = call._
    notices = await svc.managed_by(call.session, call.me)
    lines = [_("<b>Notices in your area</b>")]
    rows = []
    for n in notices:
        lines.append(f"#{n.id} · {_(STATUS[n.status])} · {first_line(n, _.language)}")
        rows.append([b.Status(n.id).button(_("📊 #{id}", id=n.id))])
    rows.append([b.NewNotice().button(_("📢 New notice"))])
    if not notices:
        lines.append(_("No notices yet."))
    await call.show(fit_lines(lines), InlineKeyboardMarkup(rows))


async def status(call: Call[b.Status]) -> None:
    """Delivery and acknowledgements per building, with remind and cancel buttons."""
    await show_status(call, call.data.notice_id)


async def remind(call: Call[b.Remind]) -> None:
    """Remind those who have not pressed "Got it", then show the status again."""
    n = await svc.remind_unacknowledged(call.session, notice_id=call.data.notice_id,
                                        by=call.actor)
    call.wake_outbox()
    await show_status(call, call.data.notice_id)
    await call.toast(call._("Reminder sent to {count} people.", count=n))


async def show_status(call: Call[Any], notice_id: int) -> None:
    _ = call._
    viewer = call.actor
    notice = await svc.get_notice(call.session, notice_id)
    overall, buildings = await svc.acknowledgements(call.session, notice_id=notice_id,
                                                    viewer=viewer)
    progress = await svc.progress(call.session, notice)
    lines = [_("<b>Notice #{id}</b> · {status}", id=notice.id,
               status=_(STATUS[notice.status])), first_line(notice, _.language),
             _("Sent {sent} · failed {failed} · unreachable {blocked} · waiting {waiting}",
               sent=progress.sent, failed=progress.failed, blocked=progress.blocked,
               waiting=progress.remaining),
             # people, and the households the lines below add up to (an owner of two flats
             # is one person in two households)
             _("Got it: {acked} of {total} people · {done} of {households} households",
               acked=overall.acked, total=overall.total, done=overall.households_done,
               households=overall.households)]
    lines += ["  " + _("Not living in the area: {acked} of {total} people", acked=line.acked,
                       total=line.total) if line.elsewhere
              else f"  {escape(line.name)}: {line.households_done} / {line.households}"
              for line in buildings]
    rows = [[b.Remind(notice_id, "remind").button(_("⏰ Remind those who have not confirmed"))]]
    if notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.SENDING):
        rows.append([b.Cancel(notice_id).button(_("✖ Cancel this notice"))])
    # a notice to a whole street lists hundreds of buildings: as many as one message holds
    await call.edit(fit_lines(lines), InlineKeyboardMarkup(rows))


async def cancel(call: Call[b.Cancel]) -> None:
    """Cancel a scheduled or running notice; what was sent stays sent."""
    notice = await svc.own_notice(call.session, notice_id=call.data.notice_id,
                                  author=call.actor)
    stopped = await svc.cancel(call.session, notice_id=notice.id, by=call.me)
    await call.edit(call._("✖ Notice cancelled. {count} message(s) will not be sent; what was "
                           "sent stays sent.", count=stopped))
