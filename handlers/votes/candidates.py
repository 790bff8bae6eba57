"""Writing a committee election into a draft (the convenors): "🗳 Committee election" among
the matters, its title typed, then each candidate — the name typed, a short description
typed, a photo sent (or skipped) — and how many seats it fills, by buttons. The election's
page lists its candidates; a candidate can be removed. What is typed or sent goes where it
was asked (models/votes/elections.py records the question)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from bot.buttons import ButtonData, keyboard
from bot.feature import Call
from handlers.votes.buttons import (
    AddCandidate,
    DropCandidate,
    ElectionPage,
    Manage,
    PickElection,
    Seats,
)
from handlers.votes.rendering import election_needs
from models.asks import Ask
from models.votes import elections
from models.votes.tables import VoteMatter


async def pick_election(call: Call[PickElection]) -> None:
    """Ask for the election's title."""
    await elections.ask_election(call.session, vote_id=call.data.vote_id, author=call.actor)
    await call.show(call._("Item 3 — an <b>election</b> of the owners' committee: owners "
                           "choose among candidates. Send its <b>title</b> as owners will read "
                           "it on the ballot, for example «Election of the 3rd owners' "
                           "committee»."))


async def ask_name(call: Call[object], election: VoteMatter) -> None:
    _ = call._
    await call.show(_("«{title}» — send the <b>name</b> of candidate {number}.",
                      title=escape(election.title_for(_.language)),
                      number=len(election.options or ()) + 1),
                    keyboard([(_("◀ Back"), ElectionPage(election.vote_id, election.number))]))


async def take_text(call: Call[Ask]) -> None:
    """The election's title, a candidate's name or their description; then the next
    question (a description, a photo)."""
    _, message = call._, call.message
    if not message.text:
        await call.not_understood()
        return
    election, ask_next = await elections.answer(
        call.session, vote_id=call.data.object_id or 0, step=call.data.step,
        text=message.text, author=call.actor)
    name = escape((election.options or ["?"])[-1])
    back = keyboard([(_("◀ Back"), ElectionPage(election.vote_id, election.number))])
    if ask_next == elections.CANDIDATE:
        await ask_name(call, election)
    elif ask_next == elections.ABOUT:
        await call.show(_("Send a short <b>description</b> of {name} (at most {limit} "
                          "characters): what owners should know, such as their building and "
                          "what they would do.", name=name, limit=elections.MAX_ABOUT), back)
    else:
        await call.show(_("Send a <b>photo</b> of {name}, or skip it.", name=name),
                        keyboard([(_("Skip ▶"), ElectionPage(election.vote_id,
                                                             election.number))]))


async def take_photo(call: Call[Ask]) -> None:
    """The newest candidate's photo (kept as Telegram's file id); then the election's page."""
    message = call.message
    if not message.photo:
        await call.reply(call._("Please send the candidate's photo as a picture, or press "
                                "«Skip ▶»."))
        return
    election = await elections.answer_photo(
        call.session, vote_id=call.data.object_id or 0, step=call.data.step,
        file_id=message.photo[-1].file_id, author=call.actor)
    await show_election(call, election)


def _numbers(election: VoteMatter, make: type[Seats] | type[DropCandidate], mark: int | None,
             label: Callable[[int], str]) -> list[list[tuple[str, ButtonData]]]:
    """One button per candidate number, five a row."""
    count = len(election.options or ())
    buttons: list[tuple[str, ButtonData]] = [
        (("👉 " if n == mark else "") + label(n), make(election.vote_id, election.number, n))
        for n in range(1, count + 1)]
    return [buttons[i:i + 5] for i in range(0, len(buttons), 5)]


async def show_election(call: Call[object], election: VoteMatter) -> None:
    """The election's page: its candidates, how many it elects, and what to do next."""
    _ = call._
    found = await elections.candidates(call.session, election)
    lines = [_("<b>{number}. {title}</b> — election (art. 278 item 3)",
               number=election.number, title=escape(election.title_for(_.language))), ""]
    lines += [f"{c.number}. {escape(c.name)}" + (f" — {escape(c.about)}" if c.about else "")
              + (" 📷" if c.photo_id else "") for c in found] or [_("No candidates yet.")]
    lines += ["", election_needs(_, election) if election.seats else _(
        "Seats: not chosen yet — press how many candidates are elected.")]
    rows: list[list[tuple[str, ButtonData]]] = [[(_("➕ Add a candidate"),
                                                  AddCandidate(election.vote_id,
                                                               election.number))]]
    if found:
        rows += _numbers(election, Seats, election.seats, lambda n: _("Elect {n}", n=n))
        rows += _numbers(election, DropCandidate, None, lambda n: f"🗑 {n}")
    rows.append([(_("Done ▶"), Manage(election.vote_id))])
    await call.show("\n".join(lines), keyboard(*rows))


async def election_page(call: Call[ElectionPage]) -> None:
    election = await elections.election_page(call.session, vote_id=call.data.vote_id,
                                             matter=call.data.matter, author=call.actor)
    await show_election(call, election)


async def add_candidate(call: Call[AddCandidate]) -> None:
    election = await elections.ask_candidate(call.session, vote_id=call.data.vote_id,
                                             matter=call.data.matter, author=call.actor)
    await ask_name(call, election)


async def drop_candidate(call: Call[DropCandidate]) -> None:
    data = call.data
    election = await elections.drop_candidate(call.session, vote_id=data.vote_id,
                                              matter=data.matter, number=data.number,
                                              author=call.actor)
    await show_election(call, election)


async def seats(call: Call[Seats]) -> None:
    data = call.data
    election = await elections.set_seats(call.session, vote_id=data.vote_id,
                                         matter=data.matter, seats=data.seats,
                                         author=call.actor)
    await show_election(call, election)


BUTTONS = {PickElection: pick_election, ElectionPage: election_page,
           AddCandidate: add_candidate, DropCandidate: drop_candidate, Seats: seats}
INPUTS = {**{step: take_text for step in elections.TEXT_STEPS},
          **{step: take_photo for step in elections.PHOTO_STEPS}}
