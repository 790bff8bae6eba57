"""Writing a poll (staff and grid workers): «🗂 Polls I run» lists them and starts a new one;
the draft asks whom it asks (the place picker, within my own scope), the question and the
options (typed, one message each), then shows its preview, where every setting is a button
(✓ marks the current one): one vote per person or per household, named or anonymous, one
option or several, until when, a minimum turnout; then «📣 Publish». The draft lives in the
database with the question its step asks (models/asks.py), so my next message goes to it.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import ButtonData, keyboard
from bot.feature import Call
from bot.i18n import N_, Translator
from handlers.places_picker import drill
from handlers.polls.buttons import (
    Browse,
    ChoosePlace,
    CloseIn,
    Counting,
    Discard,
    DropOption,
    Edit,
    Manage,
    Named,
    NewPoll,
    OptionsDone,
    Polls,
    Publish,
    Several,
    Turnout,
)
from handlers.polls.rendering import poll_text, status_of
from models.base import utcnow
from models.participation import Unit
from models.people import Person
from models.permissions import POLLSTERS
from models.places import PlaceKind
from models.polls import core, drafting
from models.polls.tables import MAX_OPTION, MAX_QUESTION, Poll, Step
from models.telegram_limits import button_label

Rows = list[list[InlineKeyboardButton]]
ASK_PLACE = N_("<b>New poll</b> — whom does it ask? Choose the place whose residents answer "
               "it.")


async def polls(call: Call[object]) -> None:
    """The polls I run (and my draft), with «New poll»."""
    _ = call._
    mine = await core.polls_run_by(call.session, await core.pollster(call.session, call.person))
    rows = [[(button_label(p.question or _("(no question yet)"), f" · {status_of(_, p)}"),
              Manage(p.id))] for p in mine]
    rows.append([(_("➕ New poll"), NewPoll(0))])
    await call.show(_("<b>Polls I run</b>") if mine else _("No polls yet."), keyboard(*rows))


def check(_: Translator, shown: str, current: bool) -> str:
    return f"✓ {shown}" if current else shown


def _discard(_: Translator, poll: Poll) -> list[InlineKeyboardButton]:
    return [Discard(poll.id).button(_("🗑 Discard draft"))]


async def show_step(call: Call[object], poll: Poll, *, in_place: bool = True,
                    browse: int = 0, page: int = 0) -> None:
    """Ask for what the draft's step needs, with its buttons."""
    _ = call._
    step = Step(poll.step)
    if step == Step.PREVIEW:
        await show_preview(call, poll, in_place=in_place)
        return
    if step == Step.PLACE:
        text, rows = await place_picker(call, poll, browse, page)
    elif step == Step.QUESTION:
        text, rows = _("<b>New poll</b> — send the <b>question</b> residents will answer (at "
                       "most {limit} characters).", limit=MAX_QUESTION), []
    else:
        text, rows = _options_step(_, poll)
    markup = InlineKeyboardMarkup([*rows, _discard(_, poll)])
    await (call.show(text, markup) if in_place else call.reply(text, markup))


def _options_step(_: Translator, poll: Poll) -> tuple[str, Rows]:
    lines = [f"📊 <b>{escape(poll.question)}</b>", "", _(
        "Send option {number} of the answer: one message per option, {low} to {high} options, "
        "at most {limit} characters each.", number=len(poll.options) + 1, low=core.MIN_OPTIONS,
        high=core.MAX_OPTIONS, limit=MAX_OPTION)]
    lines += [f"{n}. {escape(o)}" for n, o in enumerate(poll.options, start=1)]
    rows = [[DropOption(poll.id, n).button(f"🗑 {n}") for n in range(1, len(poll.options) + 1)]]
    if len(poll.options) >= core.MIN_OPTIONS:
        rows.append([OptionsDone(poll.id).button(_("Done ▶"))])
    return "\n".join(lines), [r for r in rows if r]


async def place_picker(call: Call[object], poll: Poll, browse: int, page: int
                       ) -> tuple[str, Rows]:
    """My places (one of them: opened at once), then the place tree below, as pledges do."""
    _ = call._
    mine = await core.runner_places(call.session, call.actor)
    if not browse and len(mine) == 1:
        browse = mine[0].id
    if not browse:
        return _(ASK_PLACE), [[Browse(poll.id, p.id, 0).button(p.name_in(_.language))]
                              for p in mine]
    text, markup = await drill(call.session, _, viewer=call.actor, roles=POLLSTERS,
                               place_id=browse, page=page,
                               choose=lambda pid: ChoosePlace(poll.id, pid),
                               down=lambda pid, n: Browse(poll.id, pid, n),
                               stop_at=PlaceKind.UNIT)
    return f"{_(ASK_PLACE)}\n{text}", [list(r) for r in markup.inline_keyboard]


def setting_rows(_: Translator, poll: Poll) -> list[list[tuple[str, ButtonData]]]:
    """The preview's settings, the current one of each ticked."""
    pid, person = poll.id, Unit(poll.unit) == Unit.PERSON
    left = _days_left(_, poll)
    closing = [(check(_, _("No closing day") if not d else _("{days} days", days=d), d == left),
                CloseIn(pid, d)) for d in (0, *core.CLOSE_IN)]
    return [
        [(check(_, _("👤 Per person"), person), Counting(pid, Unit.PERSON)),
         (check(_, _("🏠 Per household"), not person), Counting(pid, Unit.HOUSEHOLD))],
        [(check(_, _("📝 Named"), not poll.anonymous), Named(pid, "n")),
         (check(_, _("🕶 Anonymous"), poll.anonymous), Named(pid, "y"))],
        [(check(_, _("🔘 One option"), not poll.multiple), Several(pid, "n")),
         (check(_, _("☑️ Several options"), poll.multiple), Several(pid, "y"))],
        closing[:3], closing[3:],
        [(check(_, _("No minimum turnout") if not t else f"≥ {t}%",
                (poll.min_turnout or 0) == t), Turnout(pid, t)) for t in (0, *core.TURNOUTS)]]


def _days_left(_: Translator, poll: Poll) -> int:
    """Days from today to the draft's closing day, in the community's zone (0: none)."""
    if poll.closes_at is None:
        return 0
    return (poll.closes_at.astimezone(_.tz).date() - utcnow().astimezone(_.tz).date()).days


async def show_preview(call: Call[object], poll: Poll, *, in_place: bool = True) -> None:
    """The poll as residents will see it, how many it reaches, its settings, «Publish»."""
    _, pid = call._, poll.id
    where = await core.where(call.session, poll, _.language)
    reach = await drafting.audience_size(call.session, poll)
    text = "\n".join([_("<b>Preview</b> — residents will see this. Publishing asks {count} "
                        "people now.", count=reach), "", poll_text(_, poll, where), "",
                      *[f"{n}. {escape(o)}" for n, o in enumerate(poll.options, start=1)], "",
                      _("Change the settings with the buttons below (✓: as it is now).")])
    rows = [*setting_rows(_, poll),
            [(_("✏️ Question"), Edit(pid, "question")), (_("✏️ Options"), Edit(pid, "options")),
             (_("📍 Whom it asks"), Edit(pid, "place"))],
            [(_("📣 Publish"), Publish(pid))], [(_("🗑 Discard draft"), Discard(pid))]]
    await (call.show(text, keyboard(*rows)) if in_place else call.reply(text, keyboard(*rows)))


# --- one handler per button -----------------------------------------------------------------


async def me(call: Call[object]) -> Person:
    return await core.pollster(call.session, call.person)


async def new_poll(call: Call[NewPoll]) -> None:
    await show_step(call, await drafting.start_draft(call.session, author=await me(call)))


async def browse(call: Call[Browse]) -> None:
    data = call.data
    poll = await drafting.go_to(call.session, poll_id=data.poll_id, author=await me(call),
                                step=Step.PLACE)
    await show_step(call, poll, browse=data.place_id, page=data.page)


async def choose_place(call: Call[ChoosePlace]) -> None:
    await show_step(call, await drafting.set_place(
        call.session, poll_id=call.data.poll_id, author=await me(call),
        place_id=call.data.place_id))


async def drop_option(call: Call[DropOption]) -> None:
    await show_step(call, await drafting.drop_option(
        call.session, poll_id=call.data.poll_id, author=await me(call), number=call.data.number))


async def options_done(call: Call[OptionsDone]) -> None:
    await show_step(call, await drafting.options_done(call.session, poll_id=call.data.poll_id,
                                                      author=await me(call)))


async def edit(call: Call[Edit]) -> None:
    await show_step(call, await drafting.go_to(call.session, poll_id=call.data.poll_id,
                                               author=await me(call),
                                               step=Step(call.data.step)))


async def counting(call: Call[Counting]) -> None:
    await show_preview(call, await drafting.configure(
        call.session, poll_id=call.data.poll_id, author=await me(call), unit=call.data.unit))


async def named(call: Call[Named]) -> None:
    await show_preview(call, await drafting.configure(
        call.session, poll_id=call.data.poll_id, author=await me(call),
        anonymous=call.data.anonymous == "y"))


async def several(call: Call[Several]) -> None:
    await show_preview(call, await drafting.configure(
        call.session, poll_id=call.data.poll_id, author=await me(call),
        multiple=call.data.multiple == "y"))


async def close_in(call: Call[CloseIn]) -> None:
    await show_preview(call, await drafting.configure(
        call.session, poll_id=call.data.poll_id, author=await me(call),
        close_in=call.data.days, tz=call.tz))


async def turnout(call: Call[Turnout]) -> None:
    await show_preview(call, await drafting.configure(
        call.session, poll_id=call.data.poll_id, author=await me(call),
        turnout=call.data.percent))


async def discard(call: Call[Discard]) -> None:
    await drafting.discard(call.session, poll_id=call.data.poll_id, author=await me(call))
    await call.edit(call._("Draft discarded."), keyboard([(call._("◀ Polls I run"), Polls())]))


async def publish(call: Call[Publish]) -> None:
    _ = call._
    poll, notified = await drafting.publish(call.session, poll_id=call.data.poll_id,
                                            author=await me(call))
    call.wake_outbox()
    await call.edit(_("📣 Published: «{question}» is on its way to {count} people.",
                      question=escape(poll.question), count=notified),
                    keyboard([(_("📋 Open the poll"), Manage(poll.id))]))
    await call.toast(_("Published."))


BUTTONS = {Polls: polls, NewPoll: new_poll, Browse: browse, ChoosePlace: choose_place,
           DropOption: drop_option, OptionsDone: options_done, Edit: edit, Counting: counting,
           Named: named, Several: several, CloseIn: close_in, Turnout: turnout,
           Discard: discard, Publish: publish}
