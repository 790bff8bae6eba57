"""Entering paper and on-site ballots, for the officers a vote's convenors authorised
(models/votes/paper.py). A printed ballot's QR code is a deep link, `/start pb_<token>`: the
phone's camera opens this chat on that ballot. The officer may also type the code printed
under it, or pick the owner from the roll (building → unit → home, ✅ where the owner has
voted); then enters each matter as the paper shows it (the answers carried in the buttons,
as an owner's ballot carries them), marks it a paper ballot or one cast on site, reviews and
records it. Every press re-checks the officer, the vote open and the owner not voted yet.
"""

from __future__ import annotations

from bot.buttons import keyboard, paged
from bot.feature import Call
from handlers.places_picker import level
from handlers.votes import ballot_state as bs
from handlers.votes import paper_text as text
from handlers.votes.buttons import (
    EnterBallots,
    Entry,
    EntryCast,
    EntryReview,
    OfficerVotes,
    PickHome,
    RollPick,
    Unsigned,
    UnsignedCast,
)
from handlers.votes.rendering import status_of
from models.asks import Ask
from models.errors import N_, Invalid, StaleButton
from models.places import PlaceKind
from models.votes import assisted, fixed, officers, paper, reading

NOT_ALL = N_("Enter agree, disagree or abstain for every matter first.")


async def officer_votes(call: Call[OfficerVotes]) -> None:
    """The votes whose ballots I may enter."""
    _ = call._
    votes = await officers.votes_entered_by(call.session, call.actor)
    rows = [[(f"{v.title_for(_.language)} · {status_of(_, v)}", EnterBallots(v.id))]
            for v in votes]
    await call.show(_("<b>Paper ballots to enter</b>") if votes else _(
        "You are not authorised to enter the ballots of a vote now."),
        keyboard(*rows) if rows else None)


async def enter(call: Call[EnterBallots]) -> None:
    """Begin entering the vote's ballots: scan, send a code, or pick from the roll."""
    _ = call._
    vote = await paper.start(call.session, vote_id=call.data.vote_id, by=call.actor)
    found = await paper.roll_level(call.session, vote_id=vote.id, place_id=0, by=call.actor)
    where = await reading.where(call.session, vote, _.language)
    await call.show(text.start_text(_, vote, where), level(
        _, found.places, page=0, open_=lambda p: RollPick(vote.id, p.id, 0),
        page_data=lambda n: RollPick(vote.id, 0, n)))


async def roll_pick(call: Call[RollPick]) -> None:
    """A level of the roll: the buildings, a building's units, a unit's homes (✅ voted)."""
    _, data = call._, call.data
    found = await paper.roll_level(call.session, vote_id=data.vote_id, place_id=data.place_id,
                                   by=call.actor)
    vote, place = found.vote, found.place
    where = await reading.where(call.session, vote, _.language)
    pages = lambda n: RollPick(vote.id, data.place_id, n)  # noqa: E731
    if place is None or place.kind != PlaceKind.UNIT:
        up = RollPick(vote.id, 0, 0) if place is not None else None
        await call.show(text.start_text(_, vote, where), level(
            _, found.places, page=data.page, open_=lambda p: RollPick(vote.id, p.id, 0),
            page_data=pages, up=up))
        return
    items = [(("✅ " if p.id in found.voted else "") + p.name_in(_.language),
              PickHome(vote.id, p.id)) for p in found.places]
    back = RollPick(vote.id, place.parent_id or 0, 0).button(_("◀ Back"))
    await call.show("\n\n".join([text.start_text(_, vote, where), _(
        "✅ marks the homes whose ballot has been cast.")]),
        paged(items, page=data.page, page_data=pages, extra=[back]))


async def show_entry(call: Call[object], found: paper.Entry, picks: list[bs.Pick],
                     how: str) -> None:
    _ = call._
    matters = (await fixed.of_vote(call.session, found.vote.id)).matters
    where = await reading.where(call.session, found.vote, _.language)
    await call.show(text.entry_text(_, found, where, matters, picks, how),
                    text.entry_keyboard(_, found, matters, picks, how))


async def _blank(call: Call[object], found: paper.Entry) -> None:
    matters = (await fixed.of_vote(call.session, found.vote.id)).matters
    await show_entry(call, found, bs.decode(bs.blank(matters), matters), "p")


async def pick_home(call: Call[PickHome]) -> None:
    """The owner of the home picked: their ballot, blank."""
    await _blank(call, await paper.by_home(
        call.session, vote_id=call.data.vote_id, household_id=call.data.household_id,
        by=call.actor, language=call._.language))


async def deep_link(call: Call[None]) -> None:
    """`/start pb_<token>` from a printed ballot's QR code: that owner's ballot, blank."""
    arg = call.context.args[0] if call.context.args else ""
    await _blank(call, await paper.by_token(call.session, token=arg.removeprefix("pb_"),
                                            by=call.actor, language=call._.language))


async def take_code(call: Call[Ask]) -> None:
    """A ballot's code, typed while entering a vote's ballots."""
    if not call.message.text:
        await call.not_understood()
        return
    await _blank(call, await paper.by_code(call.session, vote_id=call.data.object_id or 0,
                                           text=call.message.text, by=call.actor,
                                           language=call._.language))


async def _entered(call: Call[Entry] | Call[EntryReview] | Call[EntryCast], *,
                   complete: bool) -> tuple[paper.Entry, list[bs.Pick]]:
    """The ballot as the buttons carry it, re-checked (complete: every decision entered);
    an assisted one (`how` "a") by the assisted-voting rules, with the owner's choices."""
    data = call.data
    verb = assisted.entry if data.how == "a" else paper.entry
    found = await verb(call.session, vote_id=data.vote_id, owner_id=data.owner_id,
                       by=call.actor, language=call._.language)
    matters = (await fixed.of_vote(call.session, found.vote.id)).matters
    # (on paper more ticks than seats is invalid; the owner assisted says what they choose)
    picks = bs.decode(data.state, matters, paper=data.how != "a")
    if complete and not bs.complete(picks):
        raise Invalid(NOT_ALL)
    return found, picks


async def entry(call: Call[Entry]) -> None:
    """An answer entered (or paper / on site switched): the ballot again."""
    found, picks = await _entered(call, complete=False)
    await show_entry(call, found, picks, call.data.how)


async def review(call: Call[EntryReview]) -> None:
    """Every matter entered: the summary, to check against the paper."""
    _, data = call._, call.data
    found, picks = await _entered(call, complete=True)
    matters = (await fixed.of_vote(call.session, found.vote.id)).matters
    await call.edit(text.review_text(_, found, matters, picks, data.how),
                    text.review_keyboard(_, data.vote_id, data.owner_id, data.how, data.state))


async def cast(call: Call[EntryCast]) -> None:
    """Record the ballot; what was recorded, and the way to the next."""
    _, data = call._, call.data
    found, picks = await _entered(call, complete=True)
    matters = (await fixed.of_vote(call.session, found.vote.id)).matters
    answers = bs.as_entered(picks, matters)
    done = await (assisted.record(call.session, vote_id=data.vote_id, owner_id=data.owner_id,
                                  by=call.actor, answers=answers) if data.how == "a" else
                  paper.record(call.session, vote_id=data.vote_id, owner_id=data.owner_id,
                               by=call.actor, channel=text.HOW[data.how], answers=answers))
    call.wake_outbox()  # the owners of the home are told (an assisted ballot: its copy)
    await call.edit(text.recorded_text(_, done, matters, picks),
                    keyboard([text.next_button(_, data.vote_id, data.how)]))
    await call.toast(_("Ballot recorded."))


async def unsigned(call: Call[Unsigned]) -> None:
    """The ballot is not signed: what that means, to confirm."""
    _, data = call._, call.data
    found = await paper.entry(call.session, vote_id=data.vote_id, owner_id=data.owner_id,
                              by=call.actor, language=_.language)
    await call.edit(text.unsigned_text(_, found, data.how), keyboard(
        [(_("✗ Record it as not signed"), UnsignedCast(data.vote_id, data.owner_id, data.how))],
        [(_("◀ Back"), Entry(data.vote_id, data.owner_id, data.how, bs.blank(
            (await fixed.of_vote(call.session, data.vote_id)).matters)))]))


async def unsigned_cast(call: Call[UnsignedCast]) -> None:
    """Record the ballot as not signed: invalid, not taking part."""
    _, data = call._, call.data
    done = await paper.record_unsigned(call.session, vote_id=data.vote_id,
                                       owner_id=data.owner_id, by=call.actor,
                                       channel=text.HOW[data.how])
    call.wake_outbox()  # the owners of the home are told
    await call.edit(text.unsigned_done_text(_, done), keyboard(
        [(_("📋 Pick the next owner"), RollPick(data.vote_id, 0, 0))]))
    await call.toast(_("Recorded as not signed."))


BUTTONS = {OfficerVotes: officer_votes, EnterBallots: enter, RollPick: roll_pick,
           PickHome: pick_home, Entry: entry, EntryReview: review, EntryCast: cast,
           Unsigned: unsigned, UnsignedCast: unsigned_cast}
INPUTS = {paper.ENTERING: take_code}
__all__ = ["BUTTONS", "INPUTS", "StaleButton", "deep_link"]
