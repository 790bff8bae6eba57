"""How a ballot reads and what its buttons are: each matter with its item and what it needs,
a decision's three choices, an election's candidates to tick (✓, "2 of 3 chosen"), the
summary to confirm, and the owner's own record of what was cast."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import ButtonData, rows
from bot.i18n import N_, Translator
from handlers.votes import ballot_state as bs
from handlers.votes.buttons import Ballot, Candidates, Review
from handlers.votes.rendering import CHOICE_LABELS, header, matter_lines
from models.votes.fixed import BallotMatter
from models.votes.reading import BallotView
from models.votes.standing import OwnerBrief
from models.votes.tally import area_text

# a paper ballot's invalid answers (as an officer enters them, and as cast)
INVALID_LABELS = {"n": N_("🚫 Invalid: no box ticked"),
                  "t": N_("🚫 Invalid: two or more boxes ticked"),
                  bs.MANY: N_("🚫 Invalid: more candidates ticked than it elects")}


def owner_line(_: Translator, owner: OwnerBrief) -> str:
    return _("Ballot for: {homes} ({area} m²)", homes=escape("、".join(owner.homes)),
             area=area_text(owner.area))


def chosen_text(_: Translator, matter: BallotMatter, pick: bs.Pick) -> str:
    """One matter's pick in words: a decision's choice, or the chosen candidates."""
    if isinstance(pick, str):
        return (_(CHOICE_LABELS[bs.CHOICES[pick]]) if pick in bs.CHOICES
                else _(INVALID_LABELS[pick]) if pick in INVALID_LABELS
                else _("not chosen yet"))
    if not pick:
        return _("no candidate (abstain)")
    if len(pick) > (matter.seats or 1):  # (as an officer enters a paper ballot)
        return _(INVALID_LABELS[bs.MANY])
    return escape("、".join(matter.options[n - 1] for n in sorted(pick)))


def _candidates(_: Translator, view: BallotView, matter: BallotMatter,
                pick: frozenset[int]) -> list[str]:
    about = {c.number: c.about for c in view.candidates.get(matter.number, ())}
    lines = [f"   {'✅' if n in pick else '▫️'} {n}. {escape(name)}"
             + (f" — {escape(about[n])}" if about.get(n) else "")
             for n, name in enumerate(matter.options or (), start=1)]
    lines.append("   " + _("Your choice: {count} of {seats} chosen", count=len(pick),
                              seats=matter.seats or 1)
                 + ("" if pick else " " + _("(none chosen: you abstain in this election)")))
    return lines


def ballot_text(_: Translator, view: BallotView, picks: Sequence[bs.Pick]) -> str:
    lines = [header(_, view.vote, view.where), owner_line(_, view.owner), ""]
    shown = matter_lines(_, view.matters, with_needs=True, candidates=False)
    for line, matter, pick in zip(shown, view.matters, picks, strict=True):
        lines.append(line)
        if isinstance(pick, frozenset):
            lines += _candidates(_, view, matter, pick)
        else:
            lines.append("   " + _("Your choice: {choice}", choice=chosen_text(_, matter, pick)))
        lines.append("")
    lines.append(_("Press one button for each matter. The decision is valid when owners "
                   "holding at least two thirds of all owners and of the area take part."))
    return "\n".join(lines)


def choice_rows(_: Translator, matters: Sequence[BallotMatter], picks: Sequence[bs.Pick],
                press: Callable[[str], ButtonData],
                letters: dict[str, str] | None = None,
                after: Callable[[BallotMatter], list[list[InlineKeyboardButton]]] | None = None
                ) -> list[list[InlineKeyboardButton]]:
    """A row of buttons per decision (its choices, 👉 the one picked) and a button per
    candidate of an election (✓ ticked), then `after(election)`'s rows; `press(state)` is
    the button for the ballot with that choice made. `letters`: a decision's choices by
    letter, with their labels (N_ ids; the owner's three, unless given)."""
    shown = letters or {letter: CHOICE_LABELS[choice] for letter, choice in bs.CHOICES.items()}
    keys: list[list[InlineKeyboardButton]] = []
    for i, (matter, pick) in enumerate(zip(matters, picks, strict=True)):
        if isinstance(pick, frozenset):
            keys += rows([press(bs.encode(bs.toggled(picks, i, n), matters))
                          .button(("✓ " if n in pick else "") + f"{n}. {name}")
                          for n, name in enumerate(matter.options or (), start=1)], 2)
            keys += after(matter) if after is not None else []
            continue
        buttons = []
        for letter, name in shown.items():
            label = f"{matter.number}. {_(name)}"
            buttons.append(press(bs.encode(bs.with_pick(picks, i, letter), matters)).button(
                f"👉 {label}" if pick == letter else label))
        keys += rows(buttons, 3)
    return keys


def ballot_keyboard(_: Translator, view: BallotView,
                    picks: Sequence[bs.Pick]) -> InlineKeyboardMarkup:
    vote_id, owner_id, matters = view.vote.id, view.owner.id, view.matters

    def photos(matter: BallotMatter) -> list[list[InlineKeyboardButton]]:
        if not any(c.photo_id for c in view.candidates.get(matter.number, ())):
            return []
        return [[Candidates(vote_id, matter.number).button(
            _("🖼 About the candidates of {number}", number=matter.number))]]

    keys = choice_rows(_, matters, picks, lambda state: Ballot(vote_id, owner_id, state),
                       after=photos)
    if bs.complete(picks):
        keys.append([Review(vote_id, owner_id, bs.encode(picks, matters))
                     .button(_("Review ▶"))])
    return InlineKeyboardMarkup(keys)


def summary_lines(_: Translator, matters: Sequence[BallotMatter],
                  picks: Sequence[bs.Pick]) -> list[str]:
    return [_("{number}. {title} — {choice}", number=m.number,
              title=escape(m.title_for(_.language)), choice=chosen_text(_, m, pick))
            for m, pick in zip(matters, picks, strict=True)]


def cast_summary(_: Translator, matters: Sequence[BallotMatter], cast: dict[str, str]
                 ) -> list[str]:
    """A ballot as cast (matter → "agree", "1;3" …), one line per matter it answers."""
    shown = [m for m in matters if str(m.number) in cast]
    return summary_lines(_, shown, bs.from_cast(cast, shown))

