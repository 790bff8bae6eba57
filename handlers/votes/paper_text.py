"""How entering a paper or on-site ballot reads (handlers/votes/paper.py): the owner and their
homes to check the signature against, each matter with what the paper shows so far and a
button per answer, paper or on site, the summary to confirm, what was recorded (a secret
ballot's receipt code to hand to the owner); and the outbox's words to the owners of a home
whose ballot an officer entered, and to a person authorised to enter ballots."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.buttons import ButtonData, keyboard
from bot.feature import Session
from bot.i18n import N_, Translator
from bot.outbox import Rendered
from handlers.votes import ballot_state as bs
from handlers.votes.ballot_text import choice_rows, chosen_text, summary_lines
from handlers.votes.buttons import (
    EnterBallots,
    Entry,
    EntryCast,
    EntryReview,
    OpenVote,
    RollPick,
    Unsigned,
)
from handlers.votes.knock_buttons import Knocking
from handlers.votes.rendering import CHOICE_LABELS, header, matter_lines, title
from models.votes import officers, paper, reading, secret
from models.votes.fixed import BallotMatter
from models.votes.tables import Vote, VoteStatus
from models.votes.tally import area_text

HOW = {"p": "paper", "o": "on-site", "a": "assisted"}  # a button's letter → the channel
# a decision's answers as the officer enters them: the owner's three, and the invalid ones
PAPER_LETTERS = {**{letter: CHOICE_LABELS[choice] for letter, choice in bs.CHOICES.items()},
                 "n": N_("🚫 No box ticked"), "t": N_("🚫 Two or more ticked")}
CHANNEL = {"paper": N_("📄 a paper ballot"), "on-site": N_("🏢 cast on site"),
           "assisted": N_("🤝 an assisted ballot, with a written proxy")}


def owner_lines(_: Translator, found: paper.Entry) -> list[str]:
    names = _.names(list(found.names)) if found.names else _("(no owner of it is in linli: "
                                                              "check the name signed against "
                                                              "the property register)")
    return [_("Owner: {names}", names=escape(names)),
            _("Homes: {homes} ({area} m²)", homes=escape("、".join(found.homes)),
              area=area_text(found.owner.area))]


def entry_text(_: Translator, found: paper.Entry, where: str, matters: Sequence[BallotMatter],
               picks: Sequence[bs.Pick], how: str) -> str:
    lines = [_("📝 <b>Entering a ballot</b>"), header(_, found.vote, where), "",
             *owner_lines(_, found),
             _("Entered as: {how}", how=_(CHANNEL[HOW[how]])), ""]
    for line, matter, pick in zip(matter_lines(_, matters), matters, picks, strict=True):
        lines += [line, "   " + _("On the ballot: {choice}",
                                  choice=chosen_text(_, matter, pick)), ""]
    lines.append(_("Enter each matter as the owner tells you, then review it with them. The "
                   "owner gets a copy of the ballot in the chat, if they have one.")
                 if how == "a" else
                 _("Enter each matter as the ballot shows it, then review. A decision with "
                   "no box ticked, or two or more, and an election with more candidates "
                   "ticked than it elects are invalid: the owner takes part, and it counts "
                   "for nothing. A ballot that is not signed is invalid as a whole and does "
                   "not count as taking part."))
    return "\n".join(lines)


def entry_keyboard(_: Translator, found: paper.Entry, matters: Sequence[BallotMatter],
                   picks: Sequence[bs.Pick], how: str) -> InlineKeyboardMarkup:
    vote_id, owner_id = found.vote.id, found.owner.id
    make = lambda state: Entry(vote_id, owner_id, how, state)  # noqa: E731
    if how == "a":  # the owner's own answers, as their ballot offers them
        keys = choice_rows(_, matters, picks, make)
        if bs.complete(picks):
            keys.append([EntryReview(vote_id, owner_id, how, bs.encode(picks, matters)).button(
                _("Review ▶"))])
        keys.append([Knocking(vote_id).button(_("◀ Door-knocking"))])
        return InlineKeyboardMarkup(keys)
    keys = choice_rows(_, matters, picks, make, letters=PAPER_LETTERS)
    state = bs.encode(picks, matters)
    other = "o" if how == "p" else "p"
    keys.append([Entry(vote_id, owner_id, other, state).button(
        _("🏢 It was cast on site") if other == "o" else _("📄 It is a paper ballot"))])
    if bs.complete(picks):
        keys.append([EntryReview(vote_id, owner_id, how, state).button(_("Review ▶"))])
    keys.append([Unsigned(vote_id, owner_id, how).button(_("✗ Not signed: invalid"))])
    keys.append([RollPick(vote_id, 0, 0).button(_("◀ The roll"))])
    return InlineKeyboardMarkup(keys)


def review_text(_: Translator, found: paper.Entry, matters: Sequence[BallotMatter],
                picks: Sequence[bs.Pick], how: str) -> str:
    then = (_("🔐 A secret ballot: once recorded it cannot be changed, and nothing keeps the "
              "owner with it. You will be shown its receipt code to hand to the owner.")
            if found.vote.secret else _("Once recorded it cannot be changed: an owner's first "
                                        "ballot is the one that counts."))
    check = (_("Please read the ballot back to the owner, for «{title}»:",
               title=title(_, found.vote)) if how == "a" else
             _("Please check the ballot against the paper, for «{title}»:",
               title=title(_, found.vote)))
    return "\n".join([check, *owner_lines(_, found),
                      _("Entered as: {how}", how=_(CHANNEL[HOW[how]])), "",
                      *summary_lines(_, matters, picks), "", then])


def review_keyboard(_: Translator, vote_id: int, owner_id: int, how: str,
                    state: str) -> InlineKeyboardMarkup:
    return keyboard([(_("✔ Record this ballot"), EntryCast(vote_id, owner_id, how, state))],
                    [(_("✏️ Change"), Entry(vote_id, owner_id, how, state))])


def recorded_text(_: Translator, done: paper.Entered, matters: Sequence[BallotMatter],
                  picks: Sequence[bs.Pick]) -> str:
    found = done.entry
    lines = [_("✅ <b>Recorded</b> — «{title}»: {how} for {homes}, entered by you on {when}.",
               title=title(_, found.vote), how=_(CHANNEL[done.channel]),
               homes=escape("、".join(found.homes)), when=_.when(done.at, zone=True))]
    if done.receipt is not None:
        lines += ["", _("🔑 Receipt code: <code>{code}</code>",
                        code=secret.receipt_text(done.receipt)),
                  _("Write it on the ballot's receipt line and hand it to the owner: nothing "
                    "keeps the owner with the ballot, so this code is the only way to find it "
                    "in the list published with the result.")]
    else:
        lines += [*summary_lines(_, matters, picks),
                  _("Ballot no. {number}.", number=done.ballot_id)]
    lines += ["", _("The owners of the home get a copy in their chats.") if done.channel ==
              "assisted" else _("Next: scan the next ballot's QR code, or pick its owner from "
                                "the roll.")]
    return "\n".join(lines)


def next_button(_: Translator, vote_id: int, how: str) -> tuple[str, ButtonData]:
    """Where to go after recording: the roll, or (assisted) the doors to knock on."""
    if how == "a":
        return _("🚪 Door-knocking"), Knocking(vote_id)
    return _("📋 Pick the next owner"), RollPick(vote_id, 0, 0)


def unsigned_text(_: Translator, found: paper.Entry, how: str) -> str:
    return "\n".join([_("✗ <b>Not signed</b> — «{title}»", title=title(_, found.vote)),
                      *owner_lines(_, found), _("Entered as: {how}", how=_(CHANNEL[HOW[how]])),
                      "", _("A ballot that is not signed is invalid: it is recorded as such and "
                            "counted in the result as an unsigned ballot, but it does not count "
                            "as taking part, and no choice of it is kept. The owner may still "
                            "vote: with a signed ballot, or in the chat.")])


def unsigned_done_text(_: Translator, done: paper.Entered) -> str:
    return "\n".join([_("✗ Recorded as not signed: {how} for {homes}, on {when}. It does not "
                         "count; the owners of the home are told.",
                         how=_(CHANNEL[done.channel]), homes=escape("、".join(done.entry.homes)),
                         when=_.when(done.at, zone=True)), "",
                      _("Next: scan the next ballot's QR code, or pick its owner from the roll.")])


def start_text(_: Translator, vote: Vote, where: str) -> str:
    return "\n".join([_("📝 <b>Entering paper and on-site ballots</b>"), header(_, vote, where),
                      "", _("Scan a printed ballot's QR code with your phone's camera: it opens "
                            "this chat on that ballot. Or send the code printed under the QR "
                            "code, or pick the owner from the roll below.")])


# --- outbox renderers -----------------------------------------------------------------------


async def entered_for(session: Session, payload: dict[str, Any],
                      _: Translator) -> tuple[Vote, str, str] | None:
    """For the owners of a home whose ballot someone else entered (an officer, a grid worker
    with their proxy): the vote, the homes' names and who entered it, escaped; None once the
    vote was cancelled or is gone."""
    vote = await session.get(Vote, int(payload["vote_id"]))
    owner = await reading.roll_owner(session, int(payload["owner_id"]))
    if vote is None or owner is None or vote.status == VoteStatus.CANCELLED:
        return None
    homes = await reading.home_names(session, owner, _.language)
    return (vote, escape("、".join(homes)),
            escape(await reading.person_name(session, int(payload["by"]))))


async def render_paper_entered(session: Session, payload: dict[str, Any],
                               _: Translator) -> Rendered | None:
    """To the owners of a home whose ballot an officer entered."""
    found = await entered_for(session, payload, _)
    if found is None:
        return None
    vote, homes, name = found
    how = _(CHANNEL.get(str(payload.get("channel", "paper")), CHANNEL["paper"]))
    return Rendered(_("📝 In «{title}», {how} for {homes} was entered by {name}, an officer of "
                      "the vote. It is the ballot of these homes now. If nobody of them cast "
                      "it, tell the owners' committee.", title=title(_, vote), how=how,
                      homes=homes, name=name),
                    keyboard([(_("📋 See the vote"), OpenVote(vote.id))]))


async def render_officer_granted(session: Session, payload: dict[str, Any],
                                 _: Translator) -> Rendered | None:
    """To a person a convenor authorised to enter the vote's ballots."""
    vote = await session.get(Vote, int(payload["vote_id"]))
    if vote is None or vote.status not in officers.RUNNING:
        return None
    where = await reading.where(session, vote, _.language)
    return Rendered("\n".join([
        _("🧑‍💼 You may enter the paper and on-site ballots of this vote:"),
        header(_, vote, where), "",
        _("Once voting is open, scan a printed ballot's QR code with your phone's camera, or "
          "press the button to pick the owner from the roll.")]),
        keyboard([(_("📝 Enter paper ballots"), EnterBallots(vote.id))]))


async def render_paper_unsigned(session: Session, payload: dict[str, Any],
                                _: Translator) -> Rendered | None:
    """To the owners of a home whose paper ballot was found unsigned: it does not count."""
    vote = await session.get(Vote, int(payload["vote_id"]))
    owner = await reading.roll_owner(session, int(payload["owner_id"]))
    if vote is None or owner is None or vote.status == VoteStatus.CANCELLED:
        return None
    homes = await reading.home_names(session, owner, _.language)
    return Rendered(_("✗ In «{title}», the paper ballot for {homes} was not signed, so it is "
                      "invalid and does not count (entered by {name}). You can still vote, "
                      "with a signed ballot or here in the chat, until voting closes.",
                      title=title(_, vote), homes=escape("、".join(homes)),
                      name=escape(await reading.person_name(session, int(payload["by"])))),
                    keyboard([(_("🗳 Vote"), OpenVote(vote.id))]))


RENDERERS = {paper.PAPER_ENTERED: render_paper_entered,
             paper.PAPER_UNSIGNED: render_paper_unsigned,
             officers.OFFICER_GRANTED: render_officer_granted}
