"""Following an owners' vote (its convenors): its page by status; progress per building
("2栋: 38 of 52 households, 71% of area") with the running double quorum; reminding those who
have not voted (each owner at most once a day, the model sees to it); extending when
participation falls short; confirming the count as scrutineer (two needed); cancelling with a
typed reason; the result's chart and the ballots as CSV/XLSX once voting has closed.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from html import escape
from typing import TYPE_CHECKING

from bot.buttons import ButtonData, keyboard
from bot.exports import csv_bytes, xlsx_bytes
from bot.feature import Call
from bot.i18n import N_, Translator
from handlers.votes.buttons import (
    CancelAsk,
    Chart,
    ConfirmCount,
    Convene,
    Export,
    ExtendAsk,
    ExtendTo,
    Manage,
    Officers,
    Printable,
    PrintBallots,
    Progress,
    ProgressIn,
    Remind,
    ResultPoster,
)
from handlers.votes.drafting import show_draft, show_preview
from handlers.votes.knock_buttons import KnockIn
from handlers.votes.knocking import missing_line
from handlers.votes.rendering import (
    back,
    header,
    matter_lines,
    outcome,
    percent,
    quorum_line,
    reminders_line,
    result_text,
    status_of,
    title,
)
from models.errors import Conflict, StaleButton
from models.places import PlaceKind, get_place
from models.telegram_limits import CAPTION, button_label, fit_lines, shorten
from models.votes import closing, core, dialogs, following, knocks, paper, reading, tally
from models.votes.poster import vote_link
from models.votes.selections import is_invalid
from models.votes.tables import Vote, VoteMatter, VoteStatus

EXTEND_BY = (7, 14, 30)  # days after the current closing day
NOT_VOTED_SHOWN = 40  # owners listed under a building's progress
PLAIN = {"agree": N_("agree"), "disagree": N_("disagree"), "abstain": N_("abstain")}
INVALID = {"none": N_("invalid: no box ticked"), "two": N_("invalid: two or more ticked"),
           "many": N_("invalid: more candidates than seats")}


def manage_rows(_: Translator, vote: Vote) -> list[list[tuple[str, ButtonData]]]:
    vid, status = vote.id, VoteStatus(vote.status)
    rows: list[list[tuple[str, ButtonData]]] = []
    if status == VoteStatus.OPEN:
        rows += [[(_("📊 Progress"), Progress(vid)),
                  (_("🔔 Remind those who have not voted"), Remind(vid))],
                 [(_("⏩ Extend voting"), ExtendAsk(vid))]]
    if status == VoteStatus.COUNTED:
        rows.append([(_("✔ Confirm the count"), ConfirmCount(vid)),
                     (_("📊 Progress"), Progress(vid))])
        if closing.can_extend(vote):
            rows.append([(_("⏩ Extend voting"), ExtendAsk(vid))])
    if status in (VoteStatus.COUNTED, VoteStatus.PUBLISHED):
        rows.append([(_("📊 Chart"), Chart(vid)), (_("⬇ CSV"), Export(vid, "csv")),
                     (_("⬇ XLSX"), Export(vid, "xlsx"))])
    if status == VoteStatus.PUBLISHED:
        rows.append([(_("🖨 Results poster (PDF)"), ResultPoster(vid))])
    if status in (VoteStatus.ANNOUNCED, VoteStatus.OPEN):
        rows.append([(_("🖨 Printable announcement (PDF)"), Printable(vid)),
                     (_("🖨 Paper ballots (PDF)"), PrintBallots(vid, 0))])
        rows.append([(_("🧑‍💼 Ballot officers"), Officers(vid, 0))])
    if status in (VoteStatus.ANNOUNCED, VoteStatus.OPEN, VoteStatus.CLOSED, VoteStatus.COUNTED):
        rows.append([(_("❌ Cancel the vote"), CancelAsk(vid))])
    rows.append([(_("◀ All votes"), Convene())])
    return rows


async def manage(call: Call[Manage]) -> None:
    """The vote's page; a draft continues where it stopped."""
    _ = call._
    view = await dialogs.convenor_view(call.session, vote_id=call.data.vote_id,
                                       person=call.actor, language=_.language)
    vote = view.vote
    if vote.status != VoteStatus.DRAFT:  # (a reason asked for and not sent: the vote stays)
        await dialogs.forget(call.session, vote_id=vote.id, person=call.actor)
    if vote.status == VoteStatus.DRAFT:
        ready = vote.title and view.matters and vote.opens_at is not None
        await (show_preview(call, vote) if ready else show_draft(call, vote))
        return
    lines = [header(_, vote, view.where), _("Status: {status}", status=status_of(_, vote)), "",
             *matter_lines(_, view.matters)]
    if vote.status in (VoteStatus.ANNOUNCED, VoteStatus.OPEN):
        lines += ["", reminders_line(_, vote)]
    if vote.status not in (VoteStatus.ANNOUNCED, VoteStatus.CANCELLED):
        done = await following.status(call.session, vote)
        lines += ["", _("Voted: {voted} of {total} owners, {area} of the area",
                        voted=done.owners_voted, total=done.owners_total,
                        area=percent(_share(done.area_voted, done.area_total))),
                  quorum_line(_, done.owners_of_needed, done.area_of_needed)]
    if vote.status == VoteStatus.COUNTED:
        lines.append(_("Scrutineers who confirmed the count: {count} of 2",
                       count=len(view.confirmed_by)))
    if vote.status == VoteStatus.CANCELLED:
        lines.append(_("Reason: {reason}", reason=escape(vote.cancel_reason or "")))
    await call.show(fit_lines(lines), keyboard(*manage_rows(_, vote)))


def _share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


async def progress(call: Call[Progress]) -> None:
    """Per building: households and area that have voted; the double quorum overall."""
    _ = call._
    view = await dialogs.convenor_view(call.session, vote_id=call.data.vote_id,
                                       person=call.actor, language=_.language)
    vote = view.vote
    if vote.status in (VoteStatus.DRAFT, VoteStatus.ANNOUNCED, VoteStatus.CANCELLED):
        await call.show(_("Progress is shown once voting has opened."), back(_, vote.id))
        return
    paths = await core.vote_paths(call.session, vote)
    done = await following.status(call.session, vote)
    rows = await following.by_building(call.session, vote, paths, language=_.language)
    lines = [_("📊 <b>{title}</b> — progress", title=title(_, vote)), escape(view.where), "",
             *[_("{building}: {voted} of {households} households, {area} of area",
                 building=escape(r.name), voted=r.voted_households, households=r.households,
                 area=percent(_share(r.voted_area, r.area))) for r in rows], "",
             _("Owners (headcount): {voted} of {total}", voted=done.owners_voted,
               total=done.owners_total),
             quorum_line(_, done.owners_of_needed, done.area_of_needed)]
    buttons = [(button_label(r.name, f" {r.voted_households}/{r.households}"),
                ProgressIn(vote.id, r.place_id)) for r in rows]
    await call.edit(fit_lines(lines), keyboard(*[buttons[i:i + 3]
                                                  for i in range(0, len(buttons), 3)],
                                                [(_("◀ Back"), Manage(vote.id))]))


async def progress_in(call: Call[ProgressIn]) -> None:
    """One building: per unit, and the owners (registered here) who have not voted yet."""
    _, data = call._, call.data
    view = await dialogs.convenor_view(call.session, vote_id=data.vote_id, person=call.actor,
                                       language=_.language)
    building = await get_place(call.session, data.building_id)
    paths = await core.vote_paths(call.session, view.vote)
    if building.kind != PlaceKind.BUILDING or not any(
            building.path.startswith(p) for p in paths):
        raise StaleButton()
    rows = await following.by_building(call.session, view.vote, [building.path],
                                       kind=PlaceKind.UNIT, language=_.language)
    missing = await knocks.missing(call.session, view.vote, [building.path],
                                   limit=NOT_VOTED_SHOWN + 1, language=_.language)
    name = building.name_in(_.language)
    lines = [_("📊 <b>{title}</b> — {building}", title=title(_, view.vote),
               building=escape(name)), "",
             *[_("{building}: {voted} of {households} households, {area} of area",
                 building=escape(r.name), voted=r.voted_households, households=r.households,
                 area=percent(_share(r.voted_area, r.area))) for r in rows]]
    if missing:
        lines += ["", _("<b>Not voted yet</b> (owners registered here):")]
        lines += [missing_line(_, m) for m in missing[:NOT_VOTED_SHOWN]]
        if len(missing) > NOT_VOTED_SHOWN:
            lines.append(_("… and more."))
    # (a committee member who is neither staff nor a grid worker follows, but knocks nowhere)
    knock = ([[(_("🚪 Door-knocking"), KnockIn(view.vote.id, building.id, 0))]]
             if await knocks.may_knock_in(call.session, view.vote, call.actor, building.path)
             else [])
    await call.edit(fit_lines(lines), keyboard(*knock, [(_("◀ Back"), Progress(view.vote.id))]))


async def remind(call: Call[Remind]) -> None:
    """Remind the owners who have not voted (each at most once a day)."""
    sent = await following.remind(call.session, vote_id=call.data.vote_id, by=call.actor)
    call.wake_outbox()
    await call.toast(call._("Reminders sent to {count} owners who have not voted (each owner "
                            "at most once a day).", count=sent), alert=True)


async def extend_ask(call: Call[ExtendAsk]) -> None:
    """Pick the new closing day."""
    _ = call._
    view = await dialogs.convenor_view(call.session, vote_id=call.data.vote_id,
                                       person=call.actor, language=_.language)
    vote = view.vote
    if not closing.can_extend(vote) or vote.closes_at is None:
        raise Conflict(N_("Only a vote that is open, or counted without a quorum, can be "
                          "extended."))
    last = core.local_day(vote.closes_at, call.tz)
    days = [last + dt.timedelta(days=n) for n in EXTEND_BY]
    await call.show(_("Voting closes on {day}. Until which day shall it run?",
                      day=_.day(last)),
                    keyboard([(_("+{days} days: until {day}", days=n, day=_.day(d)),
                               ExtendTo(vote.id, d.toordinal())) for n, d in
                              zip(EXTEND_BY, days, strict=True)],
                             [(_("◀ Back"), Manage(vote.id))]))


async def extend_to(call: Call[ExtendTo]) -> None:
    vote = await closing.extend(call.session, vote_id=call.data.vote_id,
                                  closes_on=dt.date.fromordinal(call.data.day),
                                  author=call.actor, tz=call.tz,
                                  max_voting=call.settings.vote_max_voting)
    call.wake_outbox()  # the owners are told
    await call.edit(call._("⏩ Extended: voting is open until {day}.",
                           day=call._.deadline(vote.closes_at)), back(call._, vote.id))


async def confirm_count(call: Call[ConfirmCount]) -> None:
    """Confirm the count as scrutineer; the second confirmation publishes the result."""
    _, vote_id = call._, call.data.vote_id
    total = await closing.confirm_count(call.session, vote_id=vote_id, person=call.actor)
    vote, matters, results = await reading.results(call.session, vote_id=vote_id,
                                                   viewer=call.actor)
    where = await reading.where(call.session, vote, _.language)
    if total < 2:  # the count stays in view, with who else may confirm it
        await call.show(result_text(_, vote, matters, where, results,
                                    before=await still_to_confirm(call, vote_id)),
                        back(_, vote_id))
        return
    call.wake_outbox()  # the result, to every owner
    await call.show(result_text(_, vote, matters, where, results,
                                unsigned=await paper.unsigned_count(call.session, vote.id),
                                before=_(
        "✔ Confirmed by two scrutineers: the result is published to every owner.")),
        keyboard(*manage_rows(_, vote)))
    await send_chart(call, vote, matters, results)


async def still_to_confirm(call: Call[ConfirmCount], vote_id: int) -> str:
    """After the first confirmation: who else may confirm, naming the convenors the count
    waits for in their chats."""
    _ = call._
    left = await closing.still_to_confirm(call.session, vote_id)
    lines = [_("✔ Your confirmation is recorded (1 of 2). The result is published once a member "
               "of the owners' committee confirms too.") if left.member_needed else _(
        "✔ Your confirmation is recorded (1 of 2). The result is published once one more "
        "scrutineer confirms: another member of the owners' committee or a community staff "
        "member.")]
    if left.convenors:
        lines.append(_("Who can confirm: {names}",
                       names=escape(_.names([p.name for p in left.convenors]))))
    return "\n".join(lines)


async def cancel_ask(call: Call[CancelAsk]) -> None:
    """Ask for the reason (typed): owners read it."""
    vote = await dialogs.ask_reason(call.session, vote_id=call.data.vote_id, author=call.actor)
    await call.show(call._("Send the <b>reason</b> for cancelling «{title}»: the owners who "
                           "were told about it will read it. (Press Back to keep the vote.)",
                           title=title(call._, vote)),
                    keyboard([(call._("◀ Back"), Manage(vote.id))]))


if TYPE_CHECKING:
    from bot.charts import CandidateBars, Labels, MatterBars


def _of_voters(count: tally.Count, r: tally.MatterResult) -> tuple[Fraction, Fraction]:
    return _share(count.owners, r.owners_voted), _share(count.area, r.area_voted)


def bars(_: Translator, matters: list[VoteMatter],
         results: list[tally.MatterResult]) -> list[MatterBars | CandidateBars]:
    from bot.charts import CandidateBars, MatterBars  # (matplotlib: loaded when drawn, below)

    names = {m.number: m.title_for(_.language) for m in matters}
    drawn: list[MatterBars | CandidateBars] = []
    for r in results:
        heading = f"{r.number}. {names.get(r.number, '')}"
        if r.matter.kind is tally.MatterKind.ELECTION:
            drawn.append(CandidateBars(
                heading, tuple(o.name for o in r.options),
                tuple(o.owners_bar.share for o in r.options),
                tuple(o.area_bar.share for o in r.options),
                tuple(bool(o.elected) for o in r.options), tally.MAJORITY, outcome(_, r)))
            continue
        drawn.append(MatterBars(heading, (r.quorum_owners.share, r.quorum_area.share),
                                _of_voters(r.agree, r), _of_voters(r.disagree, r),
                                _of_voters(r.abstain, r), r.quorum_owners.needed,
                                r.majority_owners.needed, outcome(_, r)))
    return drawn


def chart_labels(_: Translator) -> Labels:
    """The chart's words in the reader's language."""
    from bot.charts import Labels

    return Labels(_("took part"), _("agree"), _("disagree"), _("abstain"), _("owners"),
                  _("area"), _("needed"))


async def chart(call: Call[Chart]) -> None:
    """The result as a chart: bars by owners and by area, the thresholds drawn across."""
    vote, matters, results = await reading.results(call.session, vote_id=call.data.vote_id,
                                                   viewer=call.me)
    await send_chart(call, vote, matters, results)


async def send_chart(call: Call[object], vote: Vote, matters: list[VoteMatter],
                     results: list[tally.MatterResult]) -> None:
    # matplotlib is imported when the first chart is drawn, not at start-up: it is ~40 MiB of
    # the bot's memory that most workers never need
    from bot.charts import result_png

    _ = call._
    png = result_png(vote.title_for(_.language), bars(_, matters, results), chart_labels(_))
    await call.send_photo(png, shorten(_("📊 Result: {title}", title=vote.title_for(
        _.language)), CAPTION), filename=f"vote-{vote.id}.png")


async def export(call: Call[Export]) -> None:
    """Who voted how (named ballots, after closing) as CSV or XLSX; a secret vote's ballots
    by receipt code."""
    _, kind = call._, call.data.file_format
    view = await dialogs.convenor_view(call.session, vote_id=call.data.vote_id,
                                       person=call.actor, language=_.language)
    rows = await following.ballots_after_closing(call.session, vote_id=view.vote.id,
                                                 viewer=call.actor)
    header = [_("Receipt code") if view.vote.secret else _("Household"), _("Area (m²)"),
              _("Channel"),
              *[_("Matter {number}", number=m.number) for m in view.matters]]
    table = [(home, tally.area_text(area), channel,
              *[cell(_, m, choices.get(str(m.number))) for m in view.matters])
             for home, area, choices, channel in rows]
    payload = (csv_bytes(header, table) if kind == "csv"
               else xlsx_bytes(header, table, sheet=_("Ballots")))
    await call.send_document(payload, f"vote-{view.vote.id}.{kind}", shorten(
        _("{title}: {count} ballots", title=view.vote.title_for(_.language), count=len(rows)),
        CAPTION))


def cell(_: Translator, matter: VoteMatter, chosen: str | None) -> str:
    """A ballot's answer in the export: a decision's word, an election's chosen names."""
    if chosen is None:
        return ""
    if chosen in PLAIN:
        return _(PLAIN[chosen])
    if is_invalid(chosen):  # a paper ballot's, with its reason
        return _(INVALID[chosen.partition(":")[2]])
    return "; ".join(matter.options[int(n) - 1] for n in chosen.split(";") if n) or _(
        "(no candidate)")


async def printable(call: Call[Printable]) -> None:
    """The announcement as an A4 PDF (a page in Chinese, one in English) with a QR code that
    opens the vote, to post in the estate and send to the residents' committee."""
    _ = call._
    view = await dialogs.convenor_view(call.session, vote_id=call.data.vote_id,
                                       person=call.actor, language=_.language)
    if view.vote.status not in (VoteStatus.ANNOUNCED, VoteStatus.OPEN):
        raise Conflict(N_("The printable announcement is there once the vote is announced, "
                          "until voting closes."))
    from bot.announcement import announced, announcement_pdf  # (matplotlib, as for charts)

    link = vote_link(call.context.bot.username, view.vote.id)
    pdf = announcement_pdf(await announced(call.session, view.vote, link), call.tz)
    await call.send_document(pdf, f"vote-{view.vote.id}-announcement.pdf", shorten(
        _("Announcement of «{title}», to print and post: {link}",
          title=view.vote.title_for(_.language), link=link), CAPTION))


BUTTONS = {Manage: manage, Printable: printable, Progress: progress,
           ProgressIn: progress_in, Remind: remind,
           ExtendAsk: extend_ask, ExtendTo: extend_to, ConfirmCount: confirm_count,
           CancelAsk: cancel_ask, Chart: chart, Export: export}
