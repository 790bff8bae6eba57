"""The resident's side: /polls lists the polls of my homes; a poll opens as what it is now
(open: the answer to choose, or mine so far; published: the result). The answer is chosen by
buttons in place, the options ticked carried by the buttons (`buttons.Pick.chosen`), then
«Send my answer». Someone with homes in two households under a household poll first picks
which household answers. A named answer can be changed until the poll closes; an anonymous
one is final.
"""

from __future__ import annotations

from html import escape

from bot.buttons import keyboard
from bot.feature import Call
from handlers.polls.buttons import Chart, ForHome, MyPolls, OpenPoll, Pick, Polls, Result, Send
from handlers.polls.rendering import (
    answer_keyboard,
    chart_png,
    chosen_text,
    options_of,
    poll_text,
    question,
    result_text,
    status_of,
)
from models.errors import StaleButton
from models.polls import answering, closing, core, following
from models.polls.answering import Standing
from models.polls.tables import PollStatus
from models.telegram_limits import CAPTION, button_label, shorten


async def my_polls(call: Call[MyPolls]) -> None:
    """List the polls of my homes (and, for staff and grid workers, the polls I run)."""
    _ = call._
    mine = await following.polls_for(call.session, call.me)
    rows = [[(button_label(p.question, f" · {status_of(_, p)}"), OpenPoll(p.id))] for p in mine]
    if await core.is_pollster(call.session, call.me):
        rows.append([(_("🗂 Polls I run"), Polls())])
    text = _("<b>Resident polls</b> of your homes") if mine else _(
        "There are no resident polls for your homes.")
    await call.show(text, keyboard(*rows) if rows else None)


async def open_poll(call: Call[OpenPoll]) -> None:
    """What the poll is now: the answer to give (for which home, first), mine, or the result."""
    _ = call._
    seen = await answering.stand(call.session, poll_id=call.data.poll_id, person=call.me,
                                 language=_.language)
    poll = seen.poll
    if poll.status == PollStatus.PUBLISHED:
        await show_result(call, poll.id)
    elif poll.status != PollStatus.OPEN:
        await call.show(poll_text(_, poll, seen.where, intro=_(
            "🔒 This poll has closed. Its result is shown here once those who run it publish "
            "it.")))
    elif seen.household_id is None:
        await pick_home(call, seen)
    else:
        await show_answer(call, seen)


async def pick_home(call: Call[object], seen: Standing) -> None:
    """Several homes under a household poll: for which one is this answer?"""
    _, poll = call._, seen.poll
    rows = [[(label, ForHome(poll.id, home))] for home, label in seen.homes]
    await call.show(_("«{question}» takes one answer per household. For which home do you "
                      "answer?", question=question(_, poll)), keyboard(*rows))


async def for_home(call: Call[ForHome]) -> None:
    seen = await answering.stand(call.session, poll_id=call.data.poll_id, person=call.me,
                                 household_id=call.data.home, language=call._.language)
    await show_answer(call, seen)


async def show_answer(call: Call[object], seen: Standing) -> None:
    """The answer to choose, or the one given (with «Change» where it can be)."""
    _, poll = call._, seen.poll
    home = seen.household_id or 0
    if not seen.given:
        await call.show(poll_text(_, poll, seen.where), answer_keyboard(_, poll, home, 0))
        return
    if poll.anonymous:
        await call.show(poll_text(_, poll, seen.where, intro=_(
            "✅ You have answered this anonymous poll. Nothing keeps your name with your "
            "answer, and it cannot be changed.")))
        return
    said = _("✅ Your answer (given on {when}{by}): {chosen}",
             when=_.when(seen.answered_at, zone=True),
             by=_(", by {name}", name=escape(seen.answered_by)) if seen.answered_by else "",
             chosen=escape(chosen_text(_, poll, seen.chosen)))
    mask = sum(1 << (n - 1) for n in seen.chosen)
    await call.show(poll_text(_, poll, seen.where, intro=said),
                    keyboard([(_("✏️ Change my answer"), Pick(poll.id, home, mask))]))


def _mask(call: Call[Pick] | Call[Send], seen: Standing) -> tuple[int, ...]:
    """The options the buttons carry, checked against the poll (a forged mask is stale)."""
    mask, poll = call.data.chosen, seen.poll
    chosen = options_of(mask, poll)
    if mask >> len(poll.options) or (len(chosen) > 1 and not poll.multiple):
        raise StaleButton()
    return chosen


async def pick(call: Call[Pick]) -> None:
    """Tick an option (in place; the buttons carry what is ticked so far)."""
    _, data = call._, call.data
    seen = await answering.choosing(call.session, poll_id=data.poll_id, person=call.me,
                                    household_id=data.home, language=_.language)
    _mask(call, seen)
    if seen.household_id is None:  # (pressed on the poll as sent: which home first)
        await pick_home(call, seen)
        return
    await call.edit(poll_text(_, seen.poll, seen.where),
                    answer_keyboard(_, seen.poll, seen.household_id or 0, data.chosen))


async def send(call: Call[Send]) -> None:
    """Give the answer (the verb re-checks the poll, the person and the options)."""
    _, data = call._, call.data
    seen = await answering.stand(call.session, poll_id=data.poll_id, person=call.me,
                                 household_id=data.home, language=_.language)
    done = await answering.cast(call.session, poll_id=data.poll_id, person=call.me,
                                household_id=seen.household_id or 0,
                                options=_mask(call, seen))
    poll = done.poll
    lines = [_("✅ <b>Your answer is counted</b>: {chosen}",
               chosen=escape(chosen_text(_, poll, done.chosen))), f"📊 {question(_, poll)}"]
    if poll.anonymous:
        lines.append(_("It is anonymous: nothing keeps your name with it, and it cannot be "
                       "changed."))
        await call.edit("\n".join(lines))
    else:
        lines.append(_("You can change it until the poll closes."))
        await call.edit("\n".join(lines), keyboard([(_("✏️ Change my answer"), Pick(
            poll.id, seen.household_id or 0, data.chosen))]))
    await call.toast(_("Answer changed.") if done.changed else _("Thank you for answering."))


async def show_result(call: Call[object], poll_id: int) -> None:
    _ = call._
    poll, result = await closing.results(call.session, poll_id=poll_id, viewer=call.me)
    where = await core.where(call.session, poll, _.language)
    await call.show(result_text(_, poll, where, result),
                    keyboard([(_("📊 Chart"), Chart(poll.id))]))


async def result(call: Call[Result]) -> None:
    await show_result(call, call.data.poll_id)


async def chart(call: Call[Chart]) -> None:
    """The result as a chart: a bar per option, the turnout against its minimum."""
    _ = call._
    poll, counted = await closing.results(call.session, poll_id=call.data.poll_id,
                                          viewer=call.me)
    await call.send_photo(chart_png(_, poll, counted), shorten(_(
        "📊 Result: {question}", question=poll.question), CAPTION),
        filename=f"poll-{poll.id}.png")


BUTTONS = {MyPolls: my_polls, OpenPoll: open_poll, ForHome: for_home, Pick: pick, Send: send,
           Result: result, Chart: chart}
