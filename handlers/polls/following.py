"""Following a poll (those who run it): its page by status; progress per building within my
scope and who has not answered; reminding them (each at most once a day, the model sees to
it); closing it now; the result, its chart, publishing it to the residents; the lists as
CSV/XLSX (who has not answered; who answered what, for a named poll once closed).
"""

from __future__ import annotations

from html import escape

from bot.buttons import ButtonData, keyboard
from bot.exports import csv_bytes, xlsx_bytes
from bot.feature import Call
from bot.i18n import Translator
from handlers.polls.buttons import (
    CloseAsk,
    CloseNow,
    Export,
    Manage,
    Polls,
    Progress,
    PublishResult,
    Remind,
)
from handlers.polls.drafting import show_step
from handlers.polls.rendering import (
    chart_png,
    chosen_text,
    creator_keyboard,
    poll_text,
    result_text,
    status_of,
)
from models.participation import Unit
from models.polls import closing, core, drafting, following
from models.polls.tables import Poll, PollStatus
from models.telegram_limits import CAPTION, fit_lines, shorten

NOT_ANSWERED_SHOWN = 30


def counted(_: Translator, poll: Poll, done: int, total: int) -> str:
    if Unit(poll.unit) == Unit.PERSON:
        return _("{done} of {total} people", done=done, total=total)
    return _("{done} of {total} households", done=done, total=total)


def open_rows(_: Translator, poll: Poll) -> list[list[tuple[str, ButtonData]]]:
    return [[(_("📊 Progress"), Progress(poll.id)),
             (_("🔔 Remind those who have not answered"), Remind(poll.id))],
            [(_("⬇ Not answered (CSV)"), Export(poll.id, "missing", "csv")),
             (_("🔒 Close now"), CloseAsk(poll.id))],
            [(_("◀ Polls I run"), Polls())]]


async def manage(call: Call[Manage]) -> None:
    """The poll's page: a draft continues where it stopped; an open poll its progress; a
    closed one its result."""
    _ = call._
    poll = await core.get_poll(call.session, call.data.poll_id)
    if poll.status == PollStatus.DRAFT:
        await show_step(call, await drafting.resume(call.session, poll_id=poll.id,
                                                    author=call.actor))
        return
    await core.follower_paths(call.session, call.actor, poll)  # (a forged page shows nothing)
    if poll.status != PollStatus.OPEN:
        poll, result = await closing.results(call.session, poll_id=poll.id, viewer=call.actor)
        where = await core.where(call.session, poll, _.language)
        await call.show(result_text(_, poll, where, result, before=_(
            "Status: {status}", status=status_of(_, poll))), creator_keyboard(_, poll))
        return
    seen = await following.progress(call.session, poll_id=poll.id, viewer=call.actor,
                                    language=_.language, shown=0)
    where = await core.where(call.session, poll, _.language)
    lines = [poll_text(_, poll, where), "", _("Status: {status}", status=status_of(_, poll)),
             _("Answered so far: {count}", count=counted(_, poll, seen.totals.acted,
                                                         seen.totals.expected))]
    await call.show(fit_lines(lines), keyboard(*open_rows(_, poll)))


async def progress(call: Call[Progress]) -> None:
    """Per building: who has answered; then the first of those who have not."""
    _ = call._
    seen = await following.progress(call.session, poll_id=call.data.poll_id, viewer=call.actor,
                                    language=_.language, shown=NOT_ANSWERED_SHOWN + 1)
    poll = seen.poll
    lines = [_("📊 <b>{question}</b> — progress", question=escape(poll.question)), "",
             _("Answered: {count}", count=counted(_, poll, seen.totals.acted,
                                                  seen.totals.expected)), ""]
    lines += [f"{escape(b.building or '—')}: {counted(_, poll, b.acted, b.expected)}"
              for b in seen.buildings]
    if seen.missing:
        lines += ["", _("<b>Not answered yet</b>:")]
        lines += [f"• {escape(m.building or '')} {escape(m.unit or '')} {escape(m.room or '')}"
                  f" — {escape(m.name)}" for m in seen.missing[:NOT_ANSWERED_SHOWN]]
        if len(seen.missing) > NOT_ANSWERED_SHOWN:
            lines.append(_("… and more: the whole list is in «⬇ Not answered (CSV)»."))
    await call.show(fit_lines(lines), keyboard(*open_rows(_, poll)[:2],
                                               [(_("◀ Back"), Manage(poll.id))]))


async def remind(call: Call[Remind]) -> None:
    """Remind those who have not answered (each at most once a day)."""
    sent = await following.remind(call.session, poll_id=call.data.poll_id, by=call.actor)
    call.wake_outbox()
    await call.toast(call._("Reminders sent to {count} people who have not answered (each at "
                            "most once a day).", count=sent), alert=True)


async def close_ask(call: Call[CloseAsk]) -> None:
    _ = call._
    poll = await core.get_poll(call.session, call.data.poll_id)
    await core.require_runner(call.session, call.actor, poll)
    await call.show(_("Close «{question}» now? It takes no more answers, and its result is "
                      "counted and shown to you.", question=escape(poll.question)),
                    keyboard([(_("🔒 Yes, close it now"), CloseNow(poll.id))],
                             [(_("◀ Back"), Manage(poll.id))]))


async def close_now(call: Call[CloseNow]) -> None:
    """Close the poll and show its result here."""
    _ = call._
    await closing.close_now(call.session, poll_id=call.data.poll_id, by=call.actor)
    call.wake_outbox()  # (the result to its creator, when someone else closed it)
    poll, result = await closing.results(call.session, poll_id=call.data.poll_id,
                                         viewer=call.actor)
    where = await core.where(call.session, poll, _.language)
    await call.show(result_text(_, poll, where, result, before=_(
        "🔒 <b>Closed.</b> The residents see this result once you publish it.")),
        creator_keyboard(_, poll))


async def publish_result(call: Call[PublishResult]) -> None:
    """Send the result, with its chart a press away, to every resident who was asked."""
    _ = call._
    poll, sent = await closing.publish_result(call.session, poll_id=call.data.poll_id,
                                              by=call.actor)
    call.wake_outbox()
    await call.show(_("📢 The result of «{question}» is on its way to {count} people.",
                      question=escape(poll.question), count=sent), creator_keyboard(_, poll))
    poll, result = await closing.results(call.session, poll_id=poll.id, viewer=call.actor)
    await call.send_photo(chart_png(_, poll, result), shorten(_(
        "📊 Result: {question}", question=poll.question), CAPTION),
        filename=f"poll-{poll.id}.png")


async def export(call: Call[Export]) -> None:
    """Who has not answered (within my scope), or who answered what, as CSV or XLSX."""
    _, data = call._, call.data
    if data.what == "missing":
        poll, table = await following.not_answered(call.session, poll_id=data.poll_id,
                                                    viewer=call.actor, language=_.language)
        header = [_("Building"), _("Unit"), _("Room"), _("Name")]  # (NOT_ACTED_HEADER's)
        rows: list[tuple[object, ...]] = list(table)
        sheet, name = _("Not answered"), f"poll-{poll.id}-not-answered"
    else:
        poll, answers = await following.answers_table(call.session, poll_id=data.poll_id,
                                                      viewer=call.actor, language=_.language)
        header = [_("Home"), _("Answered by"), _("Answered at"), _("Answer")]
        rows = [(home, who, when.astimezone(call.tz), chosen_text(_, poll, chosen))
                for home, who, when, chosen in answers]
        sheet, name = _("Answers"), f"poll-{poll.id}-answers"
    payload = (csv_bytes(header, rows) if data.file_format == "csv"  # type: ignore[arg-type]
               else xlsx_bytes(header, rows, sheet=sheet))  # type: ignore[arg-type]
    await call.send_document(payload, f"{name}.{data.file_format}", shorten(
        _("{question}: {count} rows", question=poll.question, count=len(rows)), CAPTION))


BUTTONS = {Manage: manage, Progress: progress, Remind: remind, CloseAsk: close_ask,
           CloseNow: close_now, PublishResult: publish_result, Export: export}
