"""How owners' votes read: a vote's header and matters (each with its art. 278 item and what
passing needs), the ballot and its summary, the result, and the outbox renderers (announced,
voting open, a reminder, extended, cancelled, a co-owner's ballot cast, the count to confirm,
a vote that could not open, the result). Times are in the community's zone (`_.tz`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.buttons import keyboard
from bot.feature import Session
from bot.i18n import N_, Translator
from bot.outbox import Rendered
from handlers.votes.ballot_state import CHOICES, LETTERS  # noqa: F401  (the ballot's, shown here)
from handlers.votes.buttons import (
    Chart,
    CheckReceipt,
    ConfirmCount,
    ExtendAsk,
    Manage,
    OpenVote,
    Progress,
    Receipts,
)
from models.telegram_limits import fit_lines
from models.votes import core, paper, reading, secret, tally
from models.votes.fixed import BallotMatter
from models.votes.report import result_table
from models.votes.selections import is_invalid
from models.votes.standing import VoteBrief
from models.votes.tables import Vote, VoteMatter, VoteStatus

CHOICE_LABELS = {tally.Choice.AGREE: N_("✅ Agree"), tally.Choice.DISAGREE: N_("❌ Disagree"),
                 tally.Choice.ABSTAIN: N_("⚪ Abstain")}
STATUS = {VoteStatus.DRAFT: N_("draft"), VoteStatus.ANNOUNCED: N_("announced"),
          VoteStatus.OPEN: N_("voting open"), VoteStatus.CLOSED: N_("closed"),
          VoteStatus.COUNTED: N_("counted, to be confirmed"),
          VoteStatus.CONFIRMED: N_("confirmed"), VoteStatus.PUBLISHED: N_("result published"),
          VoteStatus.CANCELLED: N_("cancelled")}


def title(_: Translator, vote: Vote | VoteBrief) -> str:
    return escape(vote.title_for(_.language) or _("(untitled)"))


def status_of(_: Translator, vote: Vote) -> str:
    return _(STATUS[VoteStatus(vote.status)])


def item_name(_: Translator, item: int | None) -> str:
    return _(core.ITEM_NAMES[item]) if item in core.ITEM_NAMES else ""


def needs(_: Translator, item: int | None) -> str:
    """What passing a matter on this item needs (art. 278)."""
    if item in tally.SPECIAL_ITEMS:
        return _("passes with at least three quarters of the participating owners and of "
                 "their area")
    return _("passes with more than half of the participating owners and of their area")


def election_needs(_: Translator, matter: VoteMatter | BallotMatter) -> str:
    return _("elects {seats} of {count} candidates: each needs more than half of the "
             "participating owners and of their area; the most owners (then area) fill the "
             "seats", seats=matter.seats or "?", count=len(matter.options or ()))


def is_election(matter: VoteMatter | BallotMatter) -> bool:
    return matter.kind == tally.MatterKind.ELECTION


def matter_lines(_: Translator, matters: Sequence[VoteMatter] | Sequence[BallotMatter], *,
                 with_needs: bool = False, candidates: bool = True) -> list[str]:
    lines = []
    for m in matters:
        lines.append(_("<b>{number}. {title}</b>\n   art. 278 item {item}: {name}",
                       number=m.number, title=escape(m.title_for(_.language)), item=m.item,
                       name=item_name(_, m.item)))
        if is_election(m) and candidates:
            lines[-1] += "\n   " + _("Candidates: {names}", names=escape("、".join(
                m.options or ())) or "—")
        if with_needs:
            lines[-1] += "\n   " + (election_needs(_, m) if is_election(m) else needs(_, m.item))
    return lines


def dates_line(_: Translator, vote: Vote | VoteBrief) -> str:
    if vote.opens_at is None or vote.closes_at is None:
        return _("Dates: not chosen yet")
    return _("Voting from {opens} until {closes}", opens=_.day(vote.opens_at),
             closes=_.deadline(vote.closes_at))


# the automatic reminders a convenor picks from, as the draft names them
SCHEDULES = {core.RemindSchedule.USUAL: N_("3 days and 1 day before closing"),
             core.RemindSchedule.WEEK: N_("7 days, 3 days and 1 day before closing"),
             core.RemindSchedule.LAST_DAY: N_("1 day before closing"),
             core.RemindSchedule.NONE: N_("No automatic reminders")}


def schedule_of(vote: Vote) -> core.RemindSchedule | None:
    """The offered schedule the vote's reminders are (None: days set otherwise)."""
    days = tuple(vote.remind_days)
    return next((s for s in core.RemindSchedule if s.days == days), None)


def reminders_line(_: Translator, vote: Vote) -> str:
    """When the bot reminds the owners who have not voted, by itself."""
    if not vote.remind_days:
        return _("🔔 No automatic reminders: remind the owners who have not voted with the "
                 "button while voting is open.")
    chosen = schedule_of(vote)
    when = (_(SCHEDULES[chosen]) if chosen is not None else _(
        "{days} days before closing", days=", ".join(map(str, vote.remind_days))))
    line = _("🔔 Automatic reminders to the owners who have not voted: {when}.", when=when)
    if vote.opens_at is None or vote.closes_at is None:
        return line
    # a reminder due before voting opens is never sent (core.schedule_closing): say so
    length = -(-(vote.closes_at - vote.opens_at) // dt.timedelta(days=1))  # days, rounded up
    early = [d for d in vote.remind_days if d >= length]
    if not early:
        return line
    return line + " " + _("Voting lasts {length} days, so there is no reminder {days} days "
                          "before closing.", length=length, days=", ".join(map(str, early)))


def header(_: Translator, vote: Vote | VoteBrief, where: str) -> str:
    return "\n".join([f"🗳 <b>{title(_, vote)}</b>", escape(where), dates_line(_, vote)])


def percent(share: Fraction) -> str:
    return f"{round(share * 100)}%"


def quorum_line(_: Translator, owners_of_needed: Fraction, area_of_needed: Fraction) -> str:
    """The running double quorum: "owners 61% of the 2/3 needed, area 58%"."""
    return _("Double quorum: owners {owners} of the 2/3 needed, area {area}",
             owners=percent(owners_of_needed), area=percent(area_of_needed))


def outcome(_: Translator, result: tally.MatterResult) -> str:
    if not result.quorum:
        return _("not decided: quorum not met")
    if result.matter.kind is tally.MatterKind.ELECTION:
        names = "、".join(result.matter.options[n - 1] for n in result.elected)
        return _("elected: {names}", names=names) if names else _("nobody elected")
    return _("passed") if result.passed else _("not passed")


def _decision_lines(_: Translator, r: tally.MatterResult) -> list[str]:
    return [_("Agree: {owners} owners ({owners_share}), {area_share} of the area taking "
              "part; disagree {disagree}, abstain {abstain}", owners=r.agree.owners,
              owners_share=percent(r.majority_owners.share),
              area_share=percent(r.majority_area.share), disagree=r.disagree.owners,
              abstain=r.abstain.owners), *_invalid_lines(_, r)]


def _invalid_lines(_: Translator, r: tally.MatterResult) -> list[str]:
    """A paper ballot's invalid answers on the matter, where there are any."""
    if not r.invalid.owners:
        return []
    return [_("Invalid on paper: {owners} owners, {area} m² (they take part, and count for "
              "nothing)", owners=r.invalid.owners, area=tally.area_text(r.invalid.area))]


def _candidate_lines(_: Translator, r: tally.MatterResult) -> list[str]:
    """Each candidate's owners and area (of those taking part), and whether elected."""
    lines = []
    for o in r.options:
        state = (" — " + _("✅ elected") if o.elected else
                 " — " + _("⚖️ tied for the last seat") if o.option in r.tie_at_last_seat
                 else "")
        lines.append(_("{number}. {name}: {owners} owners ({owners_share}), {area} m² "
                       "({area_share} of the area taking part)", number=o.option,
                       name=escape(o.name), owners=o.owners,
                       owners_share=percent(o.owners_bar.share), area=tally.area_text(o.area),
                       area_share=percent(o.area_bar.share)) + state)
    lines.append(_("No candidate chosen (abstained): {owners} owners", owners=r.abstain.owners))
    return [*lines, *_invalid_lines(_, r)]


def tie_lines(_: Translator, results: list[tally.MatterResult]) -> list[str]:
    """To the convenors: every election tied at its last seat, and what to do."""
    return [_("⚖️ <b>Run-off needed</b> — matter {number}: {names} are tied for the last seat "
              "(as many owners and as much area), so none of them is elected. Hold a run-off "
              "between them: a new vote with an election of just these candidates for the "
              "seats left.", number=r.number, names=escape("、".join(
                  r.matter.options[n - 1] for n in r.tie_at_last_seat)))
            for r in results if r.tie_at_last_seat]


def result_text(_: Translator, vote: Vote, matters: list[VoteMatter], where: str,
                results: list[tally.MatterResult], *, before: str = "",
                after: Sequence[str] = (), unsigned: int = 0) -> str:
    """Per matter: the outcome, participation and agreement by owners and by area against
    their thresholds (an election: each candidate's owners and area); then the full table
    (as `linli votes recount` prints it) where the message has room for it; `before` comes
    first (a line or two of HTML), `after` (lines: a secret vote's receipts) before the
    table."""
    lines = [_("📊 <b>Result</b>: {title}", title=title(_, vote)), escape(where)]
    names = {m.number: m.title_for(_.language) for m in matters}
    for r in results:
        lines += ["", _("<b>{number}. {title}</b> — {outcome}", number=r.number,
                        title=escape(names.get(r.number, "")), outcome=outcome(_, r)),
                  _("Took part: {owners} of {total} owners ({owners_share}), {area_share} of "
                    "the area (needed: 2/3 of both)", owners=r.owners_voted,
                    total=r.owners_total, owners_share=percent(r.quorum_owners.share),
                    area_share=percent(r.quorum_area.share)),
                  *(_candidate_lines(_, r) if r.matter.kind is tally.MatterKind.ELECTION
                    else _decision_lines(_, r))]
    if unsigned:
        lines += ["", _("Paper ballots not signed (invalid, not taking part): {count}",
                        count=unsigned)]
    if before:
        lines = [before, "", *lines]
    lines += after
    table = f"\n<pre>{escape(result_table(results, _))}</pre>"
    with_table = fit_lines([*lines, table])
    return with_table if with_table.endswith("</pre>") else fit_lines(lines)


# --- a secret vote's published receipts -----------------------------------------------------


def chosen(_: Translator, matters: Sequence[VoteMatter], choices: dict[str, str]) -> str:
    """A secret ballot's choices in one line of plain text: the chosen candidates (per matter,
    where several)."""
    parts = []
    for m in matters:
        given = choices.get(str(m.number), "")
        names = [] if is_invalid(given) else [m.options[int(n) - 1] for n in given.split(";")
                                               if n]
        text = ("、".join(names) if names else _("invalid") if is_invalid(given)
                else _("no candidate (abstain)"))
        parts.append(text if len(matters) == 1 else f"{m.number}: {text}")
    return "; ".join(parts)


def receipt_lines(_: Translator, matters: Sequence[VoteMatter],
                  listed: Sequence[tuple[str, dict[str, str]]]) -> list[str]:
    """The published receipts, for the result's message (as many as fit; all in the file)."""
    if not listed:
        return []
    return ["", _("🔐 <b>Secret ballot</b>: the {count} receipt codes and their choices. Find "
                  "yours with «🔎 Check my receipt»; the whole list is in «🧾 Receipts "
                  "(CSV)».", count=len(listed)),
            *[f"<code>{code}</code> {escape(chosen(_, matters, choices))}"
              for code, choices in listed]]


def result_keyboard(_: Translator, vote: Vote) -> InlineKeyboardMarkup:
    """Under a published result: the chart; for a secret vote, its receipts and the check."""
    rows = [[(_("📊 Chart"), Chart(vote.id))]]
    if vote.secret:
        rows += [[(_("🧾 Receipts (CSV)"), Receipts(vote.id))],
                 [(_("🔎 Check my receipt"), CheckReceipt(vote.id))]]
    return keyboard(*rows)


# --- outbox renderers -----------------------------------------------------------------------


async def _vote(session: Session, payload: dict[str, Any]) -> Vote | None:
    return await session.get(Vote, int(payload["vote_id"]))


async def _owners_notice(session: Session, payload: dict[str, Any], _: Translator,
                         intro: str, statuses: tuple[VoteStatus, ...],
                         vote_button: bool) -> Rendered | None:
    vote = await _vote(session, payload)
    if vote is None or vote.status not in statuses:
        return None  # cancelled or moved on meanwhile
    matters = await core.matters_of(session, vote.id)
    where = await reading.where(session, vote, _.language)
    text = fit_lines([intro, header(_, vote, where), "", *matter_lines(_, matters)])
    markup = keyboard([(_("🗳 Vote"), OpenVote(vote.id))]) if vote_button else keyboard(
        [(_("📋 See the vote"), OpenVote(vote.id))])
    return Rendered(text, markup)


async def render_announced(session: Session, payload: dict[str, Any],
                           _: Translator) -> Rendered | None:
    vote = await _vote(session, payload)
    intro = _("📣 <b>Owners' vote announced</b> (Civil Code art. 278). Voting opens on {day}; "
              "you will get your ballot here then.",
              day=_.day(vote.opens_at) if vote is not None else "")
    return await _owners_notice(session, payload, _, intro, (VoteStatus.ANNOUNCED,), False)


async def render_opened(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    return await _owners_notice(session, payload, _, _(
        "🗳 <b>Voting is open.</b> Press «Vote» to fill in your ballot: one ballot per home, "
        "by buttons."), (VoteStatus.OPEN,), True)


async def render_reminder(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _owners_notice(session, payload, _, _(
        "⏰ <b>Reminder</b>: you have not voted yet."), (VoteStatus.OPEN,), True)


async def render_extended(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _owners_notice(session, payload, _, _(
        "⏩ <b>Voting has been extended.</b>"), (VoteStatus.OPEN,), True)


async def render_cancelled(session: Session, payload: dict[str, Any],
                           _: Translator) -> Rendered | None:
    vote = await _vote(session, payload)
    if vote is None or vote.status != VoteStatus.CANCELLED:
        return None
    return Rendered(_("❌ The owners' vote «{title}» has been cancelled. Reason: {reason}",
                      title=title(_, vote), reason=escape(vote.cancel_reason or "")))


async def render_co_owner_voted(session: Session, payload: dict[str, Any],
                                _: Translator) -> Rendered | None:
    vote = await _vote(session, payload)
    owner = await reading.roll_owner(session, int(payload["owner_id"]))
    if vote is None or owner is None:
        return None
    homes = await reading.home_names(session, owner, _.language)
    return Rendered(_("🗳 The ballot for {homes} in «{title}» has been cast by your co-owner "
                      "{name}. Co-owners of a home cast one ballot together.",
                      homes=escape("、".join(homes)), title=title(_, vote),
                      name=escape(await reading.person_name(session, int(payload["by"])))),
                    keyboard([(_("📋 See the vote"), OpenVote(vote.id))]))


async def render_to_confirm(session: Session, payload: dict[str, Any],
                            _: Translator) -> Rendered | None:
    """To the convenors when voting has closed: the count, to be confirmed by two
    scrutineers (or extended, where participation fell short)."""
    found = await reading.count_to_confirm(session, int(payload["vote_id"]))
    if found is None:
        return None
    vote, matters, results = found
    where = await reading.where(session, vote, _.language)
    text = result_text(_, vote, matters, where, results,
                       unsigned=await paper.unsigned_count(session, vote.id),
                       before="\n\n".join([_(
        "🔒 <b>Voting has closed.</b> Please check the count and confirm it as scrutineer: two "
        "confirmations are needed before the result is published."), *tie_lines(_, results)]))
    rows = [[(_("✔ Confirm the count"), ConfirmCount(vote.id))]]
    if not all(r.quorum for r in results):
        rows.append([(_("⏩ Extend voting"), ExtendAsk(vote.id))])
    rows.append([(_("📋 Open the vote"), Manage(vote.id))])
    return Rendered(text, keyboard(*rows))


async def render_blocked(session: Session, payload: dict[str, Any],
                         _: Translator) -> Rendered | None:
    vote = await _vote(session, payload)
    if vote is None or vote.status != VoteStatus.ANNOUNCED:
        return None
    return Rendered(_("⚠️ «{title}» could not open: {count} household(s) have no floor area "
                      "in the register: {names}. Ask the community office to add the areas; "
                      "I will try again every hour.", title=title(_, vote),
                      count=payload.get("count", 0), names=escape(str(payload.get("names")))),
                    keyboard([(_("📊 Progress"), Progress(vote.id))]))


async def render_result(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    found = await reading.published_results(session, int(payload["vote_id"]))
    if found is None:
        return None
    vote, matters, results = found
    where = await reading.where(session, vote, _.language)
    listed = receipt_lines(_, matters, await secret.published_receipts(session, vote))
    return Rendered(result_text(_, vote, matters, where, results, after=listed,
                                unsigned=await paper.unsigned_count(session, vote.id)),
                    result_keyboard(_, vote))


RENDERERS = {core.ANNOUNCED: render_announced, core.OPENED: render_opened,
             core.REMINDER: render_reminder, core.EXTENDED: render_extended,
             core.CANCELLED: render_cancelled, core.CO_OWNER_VOTED: render_co_owner_voted,
             core.TO_CONFIRM: render_to_confirm, core.BLOCKED: render_blocked,
             core.RESULT: render_result}
# these depend on the vote and the reader's language only: rendered once per batch
SHARED = frozenset({core.ANNOUNCED, core.OPENED, core.REMINDER, core.EXTENDED, core.CANCELLED,
                    core.RESULT})


def back(_: Translator, vote_id: int) -> InlineKeyboardMarkup:
    return keyboard([(_("◀ Back"), Manage(vote_id))])
