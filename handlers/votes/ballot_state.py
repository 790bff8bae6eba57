"""A half-filled ballot as its buttons carry it (`buttons.Ballot.state`): the matters in order,
a decision as one letter (`a` agree, `d` disagree, `s` abstain, `-` not chosen yet), an
election as its chosen candidates in base 32, five candidates a character
(models/votes/elections.width): "a-05" is matter 1 agreed, 2 not chosen yet, and in the
election of matter 3 (up to ten candidates) candidates 1 and 3 chosen. Whatever a press
carries is decoded against the vote's own matters: a forged or stale state is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.errors import StaleButton
from models.votes import selections, tally
from models.votes.elections import BITS, width
from models.votes.fixed import BallotMatter

CHOICES = {"a": tally.Choice.AGREE, "d": tally.Choice.DISAGREE, "s": tally.Choice.ABSTAIN}
LETTERS = {choice.value: letter for letter, choice in CHOICES.items()}
UNCHOSEN = "-"
# a paper ballot's invalid decision, as an officer enters it: no box ticked, two or more
# (an election's is more candidates ticked than its seats); as kept: selections.invalid_text
INVALID = {"n": "none", "t": "two"}
MANY = "x"  # (shown only: an election's invalid answer of a ballot as cast)
REASONS = {**INVALID, MANY: "many"}
DIGITS = "0123456789abcdefghijklmnopqrstuv"  # base 32: BITS candidates a character
Pick = str | frozenset[int]  # a decision's letter, or an election's chosen candidates


def is_election(matter: BallotMatter) -> bool:
    return matter.kind == tally.MatterKind.ELECTION


def _width(matter: BallotMatter) -> int:
    return width(matter.kind, len(matter.options or ()))


def blank(matters: Sequence[BallotMatter]) -> str:
    return "".join("0" * _width(m) if is_election(m) else UNCHOSEN for m in matters)


def decode(state: str, matters: Sequence[BallotMatter], *, paper: bool = False) -> list[Pick]:
    """The picks a state holds (StaleButton: it does not fit these matters); `paper`: an
    officer's entry, whose decisions may be invalid (INVALID)."""
    if len(state) != sum(_width(m) for m in matters):
        raise StaleButton()
    picks: list[Pick] = []
    at = 0
    for matter in matters:
        part, at = state[at:at + _width(matter)], at + _width(matter)
        if not is_election(matter):
            if part not in (*CHOICES, UNCHOSEN, *(INVALID if paper else ())):
                raise StaleButton()
            picks.append(part)
            continue
        if set(part) - set(DIGITS):
            raise StaleButton()
        bits = int(part, 32)
        if bits >> len(matter.options or ()):
            raise StaleButton()  # a candidate the election does not have
        picks.append(frozenset(n + 1 for n in range(bits.bit_length()) if bits >> n & 1))
    return picks


def encode(picks: Sequence[Pick], matters: Sequence[BallotMatter]) -> str:
    out = []
    for pick, matter in zip(picks, matters, strict=True):
        if isinstance(pick, str):
            out.append(pick)
            continue
        bits = sum(1 << (n - 1) for n in pick)
        digits = ""
        for _ in range(_width(matter)):
            digits, bits = DIGITS[bits % 32] + digits, bits >> BITS
        out.append(digits)
    return "".join(out)


def with_pick(picks: Sequence[Pick], index: int, pick: Pick) -> list[Pick]:
    return [pick if i == index else p for i, p in enumerate(picks)]


def toggled(picks: Sequence[Pick], index: int, candidate: int) -> list[Pick]:
    """The picks with `candidate` of the election at `index` chosen or unchosen."""
    chosen = picks[index]
    assert isinstance(chosen, frozenset)
    return with_pick(picks, index, chosen ^ {candidate})


def over_limit(picks: Sequence[Pick], matters: Sequence[BallotMatter]) -> BallotMatter | None:
    """An election with more candidates chosen than it elects, if any."""
    return next((m for p, m in zip(picks, matters, strict=True)
                 if isinstance(p, frozenset) and len(p) > (m.seats or 1)), None)


def as_entered(picks: Sequence[Pick], matters: Sequence[BallotMatter]) -> dict[int, object]:
    """An officer's entry as `paper.record` takes it: as `as_choices`, and an invalid answer
    as its reason ("invalid:two"), an election with more candidates than seats included."""
    out = as_choices([p if isinstance(p, frozenset) or p in CHOICES else "s" for p in picks],
                     matters)
    for pick, matter in zip(picks, matters, strict=True):
        if isinstance(pick, str) and pick in INVALID:
            out[matter.number] = selections.invalid_text(INVALID[pick])
        elif isinstance(pick, frozenset) and len(pick) > (matter.seats or 1):
            out[matter.number] = selections.invalid_text(REASONS[MANY])
    return out


def complete(picks: Sequence[Pick]) -> bool:
    """Every decision chosen (an election may be left empty: abstaining)."""
    return UNCHOSEN not in picks


def as_choices(picks: Sequence[Pick], matters: Sequence[BallotMatter]) -> dict[int, object]:
    """What `ballots.cast` takes: matter number → a decision's choice or the chosen numbers."""
    return {m.number: CHOICES[p].value if isinstance(p, str) else tuple(sorted(p))
            for p, m in zip(picks, matters, strict=True)}


def from_cast(cast: dict[str, str], matters: Sequence[BallotMatter]) -> list[Pick]:
    """The picks of a ballot as cast (matter → "agree", "1;3" …)."""
    picks: list[Pick] = []
    for matter in matters:
        text = cast.get(str(matter.number), "")
        if selections.is_invalid(text):  # (a paper ballot's)
            reason = text.partition(":")[2]
            picks.append(next((k for k, r in REASONS.items() if r == reason), "n"))
        elif is_election(matter):
            picks.append(frozenset(int(n) for n in text.split(";") if n))
        else:
            picks.append(LETTERS.get(text, UNCHOSEN))
    return picks
