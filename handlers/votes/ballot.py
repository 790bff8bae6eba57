"""The owner's side: /votes lists the votes of my homes; a vote opens as what it is now
(announced: when voting opens; open: the ballot; published: the result). Whoever may vote for
several roll owners (a home of their own and one they co-own) first picks which. The ballot is
filled in by buttons, one per choice and matter (an election: one per candidate, ticked up to
its seats), each edit carrying the choices so far (`buttons.Ballot.state`, read by
`ballot_state`); every decision chosen → Review → Confirm → the ballot is cast and a copy of
it sent. Changing (where the vote allows) reopens it with the current choices. A secret
ballot (handlers/votes/receipts.py) is final once cast, and its copy carries the receipt code.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.buttons import keyboard
from bot.feature import Call
from bot.i18n import Translator
from handlers.votes import ballot_state as bs
from handlers.votes import receipts
from handlers.votes.ballot_text import (
    ballot_keyboard,
    ballot_text,
    cast_summary,
    owner_line,
    summary_lines,
)
from handlers.votes.buttons import (
    Ballot,
    Candidates,
    Cast,
    Convene,
    OfficerVotes,
    OpenOwner,
    OpenVote,
    Review,
)
from handlers.votes.knock_buttons import KnockVotes
from handlers.votes.rendering import (
    header,
    matter_lines,
    receipt_lines,
    result_keyboard,
    result_text,
    status_of,
    title,
)
from models.errors import N_, Invalid, StaleButton
from models.telegram_limits import button_label
from models.votes import (
    ballots,
    dialogs,
    fixed,
    knocks,
    officers,
    paper,
    reading,
    secret,
    standing,
)
from models.votes.fixed import BallotMatter
from models.votes.reading import BallotView
from models.votes.selections import TOO_MANY
from models.votes.tables import Vote, VoteStatus
from models.votes.tally import area_text

NOT_ALL = N_("Choose agree, disagree or abstain for every matter first.")


async def show_ballot(call: Call[object], view: BallotView, picks: list[bs.Pick]) -> None:
    await call.show(ballot_text(call._, view, picks), ballot_keyboard(call._, view, picks))


async def start_ballot(call: Call[object], view: BallotView) -> None:
    """The ballot of one roll owner: blank, or (cast already) the ballot as cast, with
    «Change» where the vote allows it."""
    _ = call._
    if view.secret_cast:
        await call.show("\n".join([f"🗳 <b>{title(_, view.vote)}</b>", owner_line(_, view.owner), _(
            "✅ The secret ballot for these homes has been cast. It cannot be changed, and "
            "nothing keeps your name with it: its receipt code is in the copy you got when it "
            "was cast.")]))
        return
    if view.cast is None:
        await show_ballot(call, view, bs.decode(bs.blank(view.matters), view.matters))
        return
    picks = bs.from_cast(view.cast, view.matters)
    channel = view.owner.ballot.channel if view.owner.ballot is not None else "online"
    lines = [f"🗳 <b>{title(_, view.vote)}</b>", owner_line(_, view.owner),
             _("✅ Your ballot was cast on {when}:", when=_.when(view.cast_at, zone=True))
             if channel == "online" else _("✅ The ballot for these homes was entered with help, "
                                           "with your written proxy, on {when}:",
                                           when=_.when(view.cast_at, zone=True))
             if channel == "assisted" else _("✅ The ballot for these homes was cast on paper or "
                                             "on site, entered on {when}:",
                                             when=_.when(view.cast_at, zone=True)),
             *summary_lines(_, view.matters, picks)]
    if channel != "online":  # the first ballot recorded counts
        await call.show("\n".join([*lines, _("An owner's first ballot is the one that "
                                              "counts: it cannot be changed in the chat.")]))
        return
    if not view.vote.changeable:
        await call.show("\n".join([*lines, _("This vote does not allow changing a ballot.")]))
        return
    state = bs.encode(picks, view.matters)
    await call.show("\n".join([*lines, _("You can change it until voting closes.")]),
                    keyboard([(_("✏️ Change my ballot"), Ballot(view.vote.id, view.owner.id,
                                                                state))]))


def state_line(_: Translator, vote: Vote) -> str:
    """Where a vote that is not open stands, for an owner."""
    if vote.status == VoteStatus.ANNOUNCED:
        return _("Voting opens on {day}; you will get your ballot here then.",
                 day=_.day(vote.opens_at))
    if vote.status == VoteStatus.CANCELLED:
        return _("This vote has been cancelled. Reason: {reason}",
                 reason=escape(vote.cancel_reason or ""))
    return _("Voting has closed. The result is published once the count is confirmed.")


def cast_lines(_: Translator, matters: Sequence[BallotMatter],
               mine: list[reading.MyBallot]) -> list[str]:
    """The person's own record: each ballot cast for their homes, as cast."""
    lines = []
    for cast in mine:
        if cast.choices is None:  # a secret ballot: nothing of it is kept with the voter
            lines += ["", _("✅ The secret ballot for {homes} has been cast.",
                            homes=escape("、".join(cast.homes)))]
            continue
        lines += ["", _("✅ Your ballot for {homes} was cast on {when}:",
                        homes=escape("、".join(cast.homes)), when=_.when(cast.cast_at, zone=True))]
        lines += cast_summary(_, matters, cast.choices)
    return lines


# --- one handler per button -----------------------------------------------------------------


async def my_votes(call: Call[object]) -> None:
    """List the votes of my homes (and, for a convenor, the way to the votes I run)."""
    _ = call._
    mine = await reading.votes_of_my_homes(call.session, call.me)
    rows = [[(button_label(v.title_for(_.language), f" · {status_of(_, v)}"), OpenVote(v.id))]
            for v in mine]
    if await dialogs.convenor_estates(call.session, call.me):
        rows.append([(_("🗳 Votes I run"), Convene())])
    if await officers.votes_entered_by(call.session, call.me):
        rows.append([(_("📝 Enter paper ballots"), OfficerVotes())])
    if await knocks.votes_to_knock(call.session, call.me):
        rows.append([(_("🚪 Door-knocking"), KnockVotes())])
    text = _("<b>Owners' votes</b> of your homes") if mine else _(
        "There are no owners' votes for your homes.")
    await call.show(text, keyboard(*rows) if rows else None)


async def open_vote(call: Call[OpenVote]) -> None:
    """What the vote is now: announced, the ballot (whom for, first), or the result."""
    call.fresh = True  # from a notice: the ballot comes as a message of its own
    await show_vote(call, call.data.vote_id)


async def deep_link(call: Call[None]) -> None:
    """`/start vote_12` from the printed announcement's QR code: open the vote."""
    arg = call.context.args[0] if call.context.args else ""
    number = arg.removeprefix("vote_")
    if not number.isdigit() or len(number) > 12:
        raise StaleButton()
    await show_vote(call, int(number))


async def show_vote(call: Call[object], vote_id: int) -> None:
    _ = call._
    seen = await reading.open_standing(call.session, vote_id=vote_id, person=call.me,
                                       language=_.language)
    if seen is not None:
        await show_open(call, seen)
        return
    shown = await reading.owner_vote(call.session, vote_id=vote_id, person=call.me,
                                     language=_.language)
    vote = shown.vote
    if vote.status == VoteStatus.PUBLISHED:
        vote, matters, results = await reading.results(call.session, vote_id=vote_id,
                                                       viewer=call.me)
        mine = await reading.my_ballots(call.session, vote=vote, person=call.me,
                                        language=_.language)
        record = "\n".join(cast_lines(_, shown.matters, mine)).strip()
        listed = receipt_lines(_, matters, await secret.published_receipts(call.session, vote))
        await call.show(result_text(_, vote, matters, shown.where, results, before=record,
                                    unsigned=await paper.unsigned_count(call.session, vote.id),
                                    after=listed), result_keyboard(_, vote))
        return
    mine = await reading.my_ballots(call.session, vote=vote, person=call.me,
                                    language=_.language)
    await call.show("\n".join([header(_, vote, shown.where), "",
                               *matter_lines(_, shown.matters, with_needs=True), "",
                               state_line(_, vote), *cast_lines(_, shown.matters, mine)]))


async def show_open(call: Call[object], seen: standing.Standing) -> None:
    """An open vote: the ballot, or first whose ballot (several roll owners)."""
    _ = call._
    if len(seen.owners) == 1:
        await start_ballot(call, await reading.view_of(call.session, seen, seen.owners[0],
                                                       cast=True))
        return
    rows = [[((("✅ " if c.voted else "") + _("{homes} · {area} m²", homes="、".join(c.homes),
                                                area=area_text(c.owner.area))),
              OpenOwner(seen.vote.id, c.owner.id))] for c in reading.voter_choices(seen)]
    await call.show(_("You may vote for several owners in «{title}». Whose ballot do you fill "
                      "in?", title=title(_, seen.vote)), keyboard(*rows))


async def ballot(call: Call[Ballot]) -> None:
    """Mark a choice, or tick a candidate (an edit of the ballot, the choices carried by the
    buttons)."""
    data = call.data
    view = await reading.ballot_view(call.session, vote_id=data.vote_id,
                                     owner_id=data.owner_id, person=call.me,
                                     language=call._.language)
    picks = bs.decode(data.state, view.matters)
    full = bs.over_limit(picks, view.matters)
    if full is not None:
        raise Invalid(TOO_MANY, matter=full.number, seats=full.seats or 1)
    await show_ballot(call, view, picks)


def complete_picks(state: str, matters: Sequence[BallotMatter]) -> list[bs.Pick]:
    """The ballot as the buttons carry it, checked against the vote's matters: every
    decision chosen, no election over its seats."""
    picks = bs.decode(state, matters)
    if not bs.complete(picks) or bs.over_limit(picks, matters) is not None:
        raise Invalid(NOT_ALL)
    return picks


async def review(call: Call[Review]) -> None:
    """Every matter chosen: the summary, to confirm."""
    _, data = call._, call.data
    view = await reading.ballot_view(call.session, vote_id=data.vote_id,
                                     owner_id=data.owner_id, person=call.me,
                                     language=_.language)
    picks = complete_picks(data.state, view.matters)
    then = (_("🔐 This is a secret ballot: once cast it cannot be changed, and nothing keeps "
              "your name with your choices. You will get a receipt code to find your ballot in "
              "the list published with the result.") if view.vote.secret
            else _("You can change it until voting closes.") if view.vote.changeable
            else _("Once cast, it cannot be changed."))
    await call.edit("\n".join([_("Please check your ballot for «{title}»:",
                                 title=title(_, view.vote)), owner_line(_, view.owner), "",
                               *summary_lines(_, view.matters, picks), "", then]),
                    keyboard([(_("✔ Confirm"), Cast(data.vote_id, data.owner_id, data.state))],
                             [(_("✏️ Change"), Ballot(data.vote_id, data.owner_id, data.state))]))


async def cast(call: Call[Cast]) -> None:
    """Cast the ballot and send its copy (the verb re-checks the vote, the owner and the
    ballot; the matters are the vote's own, which never change once announced)."""
    _, data = call._, call.data
    kept = await fixed.of_vote(call.session, data.vote_id)
    if kept.secret:  # (its own verb, and a copy with the receipt code)
        view = await reading.ballot_view(call.session, vote_id=data.vote_id,
                                         owner_id=data.owner_id, person=call.me,
                                         language=_.language)
        await receipts.cast(call, view, complete_picks(data.state, view.matters))
        return
    matters = kept.matters
    picks = complete_picks(data.state, matters)
    done = await ballots.cast(call.session, vote_id=data.vote_id, owner_id=data.owner_id,
                              person=call.me, choices=bs.as_choices(picks, matters))
    call.wake_outbox()  # the co-owners are told
    await call.mark(_("✅ Cast · {day}", day=_.short_day(done.ballot.cast_at)))
    await call.reply("\n".join([
        _("🧾 <b>Your ballot</b> (copy) — {title}", title=title(_, done.vote)),
        owner_line(_, done.owner), *summary_lines(_, matters, picks),
        _("Cast on {when} by {name} · ballot no. {number}, version {version}",
          when=_.when(done.ballot.cast_at, zone=True), name=escape(call.me.name),
          number=done.ballot.id, version=done.ballot.version)]))
    await call.toast(_("Your ballot is cast.") if not done.changed else _("Ballot changed."))


async def candidates(call: Call[Candidates]) -> None:
    """The election's candidates, each with their photo and description."""
    _, data = call._, call.data
    await reading.owner_vote(call.session, vote_id=data.vote_id, person=call.me,
                             language=_.language)
    found = (await fixed.of_vote(call.session, data.vote_id)).candidates.get(data.matter)
    if not found:
        raise StaleButton()
    for c in found:
        line = f"{c.number}. {c.name}" + (f" — {c.about}" if c.about else "")
        if c.photo_id:
            await call.send_photo(c.photo_id, line)
        else:
            await call.reply(escape(line))
    await call.toast()


async def open_owner(call: Call[OpenOwner]) -> None:
    """The ballot of the roll owner picked from «Whose ballot»."""
    data = call.data
    await start_ballot(call, await reading.ballot_view(
        call.session, vote_id=data.vote_id, owner_id=data.owner_id, person=call.me,
        language=call._.language, cast=True))

