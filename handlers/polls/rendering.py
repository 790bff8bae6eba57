"""How resident polls read: a poll (its question, whom it asks, how it counts, until when,
its options), the answer being chosen and its buttons, the result (turnout, and per option its
count and share of those who answered) and its chart, and the outbox renderers (the poll to
every resident, a reminder, the result to its creator at closing, the published result).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.buttons import ButtonData, keyboard
from bot.feature import Session
from bot.i18n import Translator
from bot.outbox import Rendered
from handlers.polls.buttons import Chart, Export, Manage, Pick, PublishResult, Send
from models.participation import Unit
from models.polls import closing, core
from models.polls.tables import Poll, PollStatus
from models.telegram_limits import fit_lines
from models.votes import tally


def status_of(_: Translator, poll: Poll) -> str:
    return {PollStatus.DRAFT: _("draft"), PollStatus.OPEN: _("open"),
            PollStatus.CLOSED: _("closed"), PollStatus.PUBLISHED: _("result published"),
            PollStatus.CANCELLED: _("discarded")}[PollStatus(poll.status)]


def question(_: Translator, poll: Poll) -> str:
    return escape(poll.question or _("(no question yet)"))


def how_lines(_: Translator, poll: Poll) -> list[str]:
    """How the poll counts, in the words a resident needs before answering."""
    lines = [_("👤 One vote per person.") if Unit(poll.unit) == Unit.PERSON else _(
                 "🏠 One vote per household: any member answers for it."),
             _("☑️ Choose one or more options.") if poll.multiple else _("🔘 Choose one option."),
             _("🕶 Anonymous: only that you answered is kept, not what; an anonymous answer "
               "cannot be changed.") if poll.anonymous else _(
                 "📝 Named: those who run the poll see who answered what once it closes; you "
                 "can change your answer until then.")]
    lines.append(_("⏳ Open until {day}.", day=_.deadline(poll.closes_at)) if poll.closes_at
                 else _("⏳ Open until those who run it close it."))
    if poll.min_turnout:
        lines.append(_("📏 The result counts if at least {percent}% take part.",
                       percent=poll.min_turnout))
    return lines


def poll_text(_: Translator, poll: Poll, where: str, *, intro: str = "") -> str:
    lines = [intro] if intro else []
    lines += [f"📊 <b>{question(_, poll)}</b>", _("For the residents of {place}",
                                                  place=escape(where)), "", *how_lines(_, poll)]
    return fit_lines(lines)


def options_of(mask: int, poll: Poll) -> tuple[int, ...]:
    return tuple(n for n in range(1, len(poll.options) + 1) if mask >> (n - 1) & 1)


def ticked(mask: int, poll: Poll, option: int) -> int:
    """The mask after pressing `option`: toggled (several), or only it (one)."""
    bit = 1 << (option - 1)
    return mask ^ bit if poll.multiple else (0 if mask == bit else bit)


def answer_keyboard(_: Translator, poll: Poll, home: int, mask: int) -> InlineKeyboardMarkup:
    """A button per option (✓ where ticked), then «Send» once something is ticked."""
    rows: list[list[tuple[str, ButtonData]]] = [
        [(("✓ " if mask >> (n - 1) & 1 else "") + f"{n}. {option}",
          Pick(poll.id, home, ticked(mask, poll, n)))]
        for n, option in enumerate(poll.options, start=1)]
    if mask:
        rows.append([(_("📨 Send my answer"), Send(poll.id, home, mask))])
    return keyboard(*rows)


def chosen_text(_: Translator, poll: Poll, chosen: Sequence[int]) -> str:
    """The options an answer chose, as a list in the reader's language."""
    return _.names([f"{n}. {poll.options[n - 1]}" for n in chosen])


# --- the result -----------------------------------------------------------------------------


def percent(share: Fraction) -> str:
    return f"{round(share * 100)}%"


def turnout_line(_: Translator, poll: Poll, r: tally.MatterResult) -> str:
    share = percent(r.quorum_owners.share)
    line = (_("Took part: {voted} of {total} people ({share})", voted=r.owners_voted,
              total=r.owners_total, share=share) if Unit(poll.unit) == Unit.PERSON else
            _("Took part: {voted} of {total} households ({share})", voted=r.owners_voted,
              total=r.owners_total, share=share))
    if r.quorum is None:
        return line
    return line + " — " + (_("the minimum of {percent}% is reached ✓", percent=poll.min_turnout)
                           if r.quorum else _("below the minimum of {percent}%: the result "
                                              "does not count ✗", percent=poll.min_turnout))


def result_text(_: Translator, poll: Poll, where: str, r: tally.MatterResult, *,
                before: str = "") -> str:
    """Turnout, then each option's count and share of those who answered."""
    lines = [before, ""] if before else []
    lines += [_("📊 <b>Result</b>: {question}", question=question(_, poll)),
              _("For the residents of {place}", place=escape(where)), "",
              turnout_line(_, poll, r), ""]
    lines += [_("{number}. {name}: {count} ({share})", number=o.option, name=escape(o.name),
                count=o.owners, share=percent(o.owners_bar.share)) for o in r.options]
    if poll.multiple:
        lines += ["", _("Several options could be chosen: the shares add up to more than "
                        "100%.")]
    return fit_lines(lines)


def bars(_: Translator, poll: Poll, r: tally.MatterResult) -> Any:
    from bot.charts import OptionBars  # (matplotlib: loaded when drawn)

    outcome = (_("took part: {share}", share=percent(r.quorum_owners.share)) if r.quorum is None
               else _("minimum turnout reached") if r.quorum
               else _("not valid: turnout below the minimum"))
    return OptionBars(poll.question, tuple(poll.options),
                      tuple(o.owners_bar.share for o in r.options),
                      tuple(o.owners for o in r.options), r.quorum_owners.share,
                      r.quorum_owners.needed if poll.min_turnout else None, outcome,
                      _("share of those who answered"), _("took part"))


def chart_png(_: Translator, poll: Poll, r: tally.MatterResult) -> bytes:
    from bot.charts import result_png

    return result_png(_("Resident poll"), [bars(_, poll, r)])


def creator_keyboard(_: Translator, poll: Poll) -> InlineKeyboardMarkup:
    """Under a closed poll's result, for those who run it."""
    rows: list[list[tuple[str, ButtonData]]] = [[(_("📊 Chart"), Chart(poll.id))]]
    if poll.status == PollStatus.CLOSED:
        rows.append([(_("📢 Publish the result to the residents"), PublishResult(poll.id))])
    if not poll.anonymous:
        rows.append([(_("⬇ Answers (CSV)"), Export(poll.id, "answers", "csv")),
                     (_("⬇ Answers (XLSX)"), Export(poll.id, "answers", "xlsx"))])
    rows.append([(_("⬇ Not answered (CSV)"), Export(poll.id, "missing", "csv"))])
    rows.append([(_("📋 Open the poll"), Manage(poll.id))])
    return keyboard(*rows)


# --- outbox renderers -----------------------------------------------------------------------


async def _asking(session: Session, payload: dict[str, Any], _: Translator,
                  intro: str) -> Rendered | None:
    poll = await session.get(Poll, int(payload["poll_id"]))
    if poll is None or poll.status != PollStatus.OPEN:
        return None  # closed meanwhile
    where = await core.where(session, poll, _.language)
    return Rendered(poll_text(_, poll, where, intro=intro), answer_keyboard(_, poll, 0, 0))


async def render_announced(session: Session, payload: dict[str, Any],
                           _: Translator) -> Rendered | None:
    return await _asking(session, payload, _, _(
        "📣 <b>A poll for residents.</b> Press your answer below, then «Send my answer»."))


async def render_reminder(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _asking(session, payload, _, _(
        "⏰ <b>Reminder</b>: you have not answered this poll yet."))


async def render_closed(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    found = await closing.closed_result(session, int(payload["poll_id"]),
                                        (PollStatus.CLOSED, PollStatus.PUBLISHED))
    if found is None:
        return None
    poll, r = found
    where = await core.where(session, poll, _.language)
    return Rendered(result_text(_, poll, where, r, before=_(
        "🔒 <b>Your poll has closed.</b> Only you and those who run it see this result until "
        "you publish it to the residents.")), creator_keyboard(_, poll))


async def render_result(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    found = await closing.closed_result(session, int(payload["poll_id"]),
                                        (PollStatus.PUBLISHED,))
    if found is None:
        return None
    poll, r = found
    where = await core.where(session, poll, _.language)
    return Rendered(result_text(_, poll, where, r), keyboard([(_("📊 Chart"), Chart(poll.id))]))


RENDERERS = {core.ANNOUNCED: render_announced, core.REMINDER: render_reminder,
             core.CLOSED: render_closed, core.RESULT: render_result}
# these depend on the poll and the reader's language only: rendered once per batch
SHARED = frozenset({core.ANNOUNCED, core.REMINDER, core.RESULT})
