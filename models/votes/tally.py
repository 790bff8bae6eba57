"""The tally (计票) of a vote's matters, exactly as Civil Code art. 278 counts: pure Python, no
database, so the bot's result and a recount from files are one computation.

Counting unit: the owner (业主) as the Supreme People's Court's interpretation on building
ownership (art. 9) counts them — the roll lists one `RollOwner` per owner with all their
households and their total exclusive area, and each `Ballot` is one owner's, weighted by that
area. Areas are integers of hundredths of a square metre; every share is a `Fraction`, never a
float, so "以上" (at least: the bound is enough) and "过半数" (more than half: exactly half is
not) are decided exactly.

- Participation (quorum): owners holding at least 2/3 of the total area AND at least 2/3 of
  all owners voted (abstentions participate, and so do a paper ballot's invalid answers).
- A decision on items 6–8 (`SPECIAL_ITEMS`) passes with at least 3/4 of the participating area
  AND of the participating owners agreeing; any other item with more than half of both.
- An election (item 3): a candidate needs more than half of the participating owners and of
  the participating area; of those who have both, the `seats` with the most owners (then area)
  are elected; candidates tied at the last seat are reported and none of them is elected.
- A poll: owners (a resident poll: people or households, of no area) and area per option; no
  quorum unless it sets a minimum turnout (`Matter.turnout`, at least: 以上); no pass or fail.
A matter whose vote lacks the quorum is not decided (`passed` False, nobody elected).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from models.errors import N_, Invalid

SPECIAL_ITEMS = frozenset({6, 7, 8})  # raising maintenance funds, rebuilding, changing use
ITEMS = range(1, 10)  # art. 278's items (1)–(9)
ELECTION_ITEM = 3  # electing or replacing the owners' committee
QUORUM = Fraction(2, 3)
SPECIAL_MAJORITY = Fraction(3, 4)
MAJORITY = Fraction(1, 2)
_AREA = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?", re.ASCII)


class BadArea(Invalid, ValueError):
    message = N_("“{text}” is not a floor area: write square metres with at most two "
                 "decimals, such as 89.50.")


class BadBallot(Invalid, ValueError):
    """A ballot the matter cannot take (the verbs refuse these before writing one)."""


class BadMatter(Invalid, ValueError):
    """A matter that cannot be tallied (the verbs that create matters refuse it first)."""


# why a selection does not fit its matter (`selection_problem`) → the tally's message
BALLOT_PROBLEMS = {
    "missing": N_("Ballot {ballot} has no choice for matter {matter}."),
    "not_a_choice": N_("Ballot {ballot}: matter {matter} is a decision; choose agree, "
                       "disagree or abstain."),
    "not_options": N_("Ballot {ballot}: matter {matter} takes option numbers."),
    "unknown_option": N_("Ballot {ballot} chooses an option matter {matter} does not have."),
    "option_twice": N_("Ballot {ballot} chooses one option of matter {matter} twice."),
    "too_many": N_("Ballot {ballot} chooses more options of matter {matter} than allowed."),
}
MATTER_PROBLEMS = {
    "number": N_("Matter {matter}: matters are numbered from 1."),
    "item": N_("Matter {matter}: its art. 278 item must be 1 to 9."),
    "seats": N_("Matter {matter}: an election needs its number of seats."),
    "options": N_("Matter {matter}: an election or a poll needs its options."),
    "seats_range": N_("Matter {matter}: the seats must be from 1 to the number of options."),
    "turnout": N_("Matter {matter}: only a poll has a minimum turnout, from 1% to 100%."),
}


def area_from_text(text: str) -> int:
    """"89.50" (or "89.5", "89") → 8950 hundredths of a m²; anything else is refused."""
    found = _AREA.fullmatch(text)
    if found is None:
        raise BadArea(text=text)
    whole, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def area_text(area: int) -> str:
    """8950 → "89.50": the area as a decimal string with two decimals exactly."""
    if area < 0:
        raise ValueError(f"negative area {area}")
    return f"{area // 100}.{area % 100:02d}"


class Choice(StrEnum):
    AGREE = "agree"  # 同意
    DISAGREE = "disagree"  # 反对
    ABSTAIN = "abstain"  # 弃权
    INVALID = "invalid"  # 无效 (paper, any matter): takes part as abstaining does (README)


class MatterKind(StrEnum):
    DECISION = "decision"  # an owners' decision (表决事项) on one art. 278 item
    ELECTION = "election"  # electing the owners' committee: up to `seats` of the candidates
    POLL = "poll"  # a question with options, no quorum


@dataclass(frozen=True)
class Matter:
    """One matter of a vote (表决事项), numbered from 1, tallied on its own. `item`: art. 278's
    item 1–9 (an election's is 3; a poll has none). `seats`: how many an election elects, or a
    poll's ballot may choose (None: one). `turnout`: a poll's minimum, % of the roll (or None)."""

    number: int
    kind: MatterKind
    item: int | None
    seats: int | None = None
    options: tuple[str, ...] = ()  # candidates or options, numbered from 1
    turnout: int | None = None

    @property
    def choosable(self) -> int:
        """How many options one ballot may choose."""
        return self.seats if self.seats is not None else 1


@dataclass(frozen=True)
class RollOwner:
    """One owner as counted for headcount: one exclusive unit, or one buyer's several, or the
    developer's unsold and undelivered units together; `area` is their total, in 0.01 m²."""

    key: str
    households: tuple[str, ...]
    area: int
    voted: bool


Selection = Choice | tuple[int, ...]


@dataclass(frozen=True)
class Ballot:
    """One owner's ballot (co-owners of a household cast one), weighted by the owner's area.
    `choices`: matter number → a decision's choice, or an election's or poll's chosen option
    numbers (1-based; an empty tuple abstains)."""

    key: str
    area: int
    channel: str  # online / assisted / paper / on-site
    choices: Mapping[int, Selection]


@dataclass(frozen=True)
class Bar:
    """A figure against its threshold: `part` of `whole` must be at least (以上, `inclusive`)
    or more than (过半数) `needed` of it. Nothing of nothing never meets a bar."""

    part: int
    whole: int
    needed: Fraction
    inclusive: bool

    @property
    def share(self) -> Fraction:
        return Fraction(self.part, self.whole) if self.whole else Fraction(0)

    @property
    def met(self) -> bool:
        if not self.whole:
            return False
        return self.share >= self.needed if self.inclusive else self.share > self.needed

    @property
    def of_needed(self) -> Fraction:
        """How far along the figure is: 1 is exactly the threshold (61% of the 2/3 needed)."""
        return self.share / self.needed


@dataclass(frozen=True)
class Count:
    """Owners and their area behind one choice or option."""
    owners: int = 0
    area: int = 0

    def plus(self, area: int) -> Count:
        return Count(self.owners + 1, self.area + area)


@dataclass(frozen=True)
class OptionResult:
    """A candidate's or a poll option's count. `elected`: None for a poll."""
    option: int  # 1-based
    name: str
    count: Count
    owners_bar: Bar  # more than half of the participating owners (elections)
    area_bar: Bar
    elected: bool | None

    @property
    def owners(self) -> int:
        return self.count.owners

    @property
    def area(self) -> int:
        return self.count.area


@dataclass(frozen=True)
class MatterResult:
    """One matter's result: participation against the quorum and, for a decision, the choices
    against the majority it needs; for an election or a poll, each option's count."""

    matter: Matter
    owners_total: int
    area_total: int
    owners_voted: int
    area_voted: int
    quorum_owners: Bar  # owners voted of all owners, at least 2/3 (a poll: its turnout)
    quorum_area: Bar
    agree: Count
    disagree: Count
    abstain: Count  # abstentions participate; an election's or poll's empty ballots
    majority_owners: Bar  # agreeing of the participating owners (decisions)
    majority_area: Bar
    options: tuple[OptionResult, ...] = ()
    tie_at_last_seat: tuple[int, ...] = ()  # options tied for the last seat, none elected
    invalid: Count = Count()  # a paper ballot's invalid answers (taking part)

    @property
    def number(self) -> int:
        return self.matter.number

    @property
    def quorum(self) -> bool | None:
        """Both 2/3 bars met; a poll: its minimum turnout met (None: it has none)."""
        if self.matter.kind is MatterKind.POLL:
            return None if self.matter.turnout is None else self.quorum_owners.met
        return self.quorum_owners.met and self.quorum_area.met

    @property
    def passed(self) -> bool | None:
        """A decision passed (quorum and both majorities); None for an election or a poll."""
        if self.matter.kind is not MatterKind.DECISION:
            return None
        return bool(self.quorum) and self.majority_owners.met and self.majority_area.met

    @property
    def quorum_needed(self) -> Fraction:
        return QUORUM

    @property
    def majority_needed(self) -> Fraction:
        return self.majority_owners.needed

    @property
    def owners_share_of_needed(self) -> Fraction:
        """Owners voted as a share of the 2/3 needed (1 = exactly enough)."""
        return self.quorum_owners.of_needed

    @property
    def area_share_of_needed(self) -> Fraction:
        return self.quorum_area.of_needed

    @property
    def agree_owners_share_of_needed(self) -> Fraction:
        return self.majority_owners.of_needed

    @property
    def agree_area_share_of_needed(self) -> Fraction:
        return self.majority_area.of_needed

    @property
    def elected(self) -> tuple[int, ...]:
        return tuple(o.option for o in self.options if o.elected)


def majority_of(matter: Matter) -> tuple[Fraction, bool]:
    """What a decision on this matter needs of the participants: (share, inclusive)."""
    if matter.item in SPECIAL_ITEMS:
        return SPECIAL_MAJORITY, True  # 四分之三以上
    return MAJORITY, False  # 过半数


def matter_problem(matter: Matter) -> str | None:
    """Why a matter cannot be tallied (a key of MATTER_PROBLEMS), or None."""
    if matter.number < 1:
        return "number"
    if matter.kind is not MatterKind.POLL and matter.item not in ITEMS:
        return "item"
    if matter.kind is MatterKind.ELECTION and not matter.seats:
        return "seats"
    if matter.kind is not MatterKind.DECISION and not matter.options:
        return "options"
    if matter.seats is not None and not 1 <= matter.seats <= max(len(matter.options), 1):
        return "seats_range"
    if matter.turnout is not None and not (matter.kind is MatterKind.POLL
                                           and 1 <= matter.turnout <= 100):
        return "turnout"
    return None


def selection_problem(matter: Matter, selection: object) -> str | None:
    """Why one ballot's selection does not fit the matter (a key of BALLOT_PROBLEMS), or None."""
    if matter.kind is MatterKind.DECISION or selection is Choice.INVALID:
        return None if isinstance(selection, Choice) else "not_a_choice"
    if not isinstance(selection, tuple) or not all(type(o) is int for o in selection):
        return "not_options"
    if any(not 1 <= o <= len(matter.options) for o in selection):
        return "unknown_option"
    if len(set(selection)) != len(selection):
        return "option_twice"
    if len(selection) > matter.choosable:
        return "too_many"
    return None


def tally(matters: Sequence[Matter], roll: Sequence[RollOwner],
          ballots: Sequence[Ballot]) -> list[MatterResult]:
    """Every matter's result over the roll (the totals) and the ballots (who took part)."""
    for matter in matters:
        problem = matter_problem(matter)
        if problem is not None:
            raise BadMatter(MATTER_PROBLEMS[problem], matter=matter.number)
        for ballot in ballots:
            problem = (selection_problem(matter, ballot.choices[matter.number])
                       if matter.number in ballot.choices else "missing")
            if problem is not None:
                raise BadBallot(BALLOT_PROBLEMS[problem], ballot=ballot.key,
                                matter=matter.number)
    counts: dict[int, dict[str, Count]] = {m.number: {} for m in matters}
    for ballot in ballots:
        for number, selection in ballot.choices.items():
            if number not in counts:
                continue
            chosen = counts[number]
            for value in _values(selection):
                chosen[value] = chosen.get(value, Count()).plus(ballot.area)
    return tally_counts(matters, owners_total=len(roll),
                        area_total=sum(owner.area for owner in roll),
                        owners_voted=len(ballots),
                        area_voted=sum(ballot.area for ballot in ballots), counts=counts)


def _values(selection: Selection) -> tuple[str, ...]:
    """How a selection is counted: a decision's choice, each chosen option's number, or an
    empty election or poll ballot as an abstention."""
    if isinstance(selection, Choice):
        return (selection.value,)
    return tuple(str(option) for option in selection) or (Choice.ABSTAIN.value,)


def tally_counts(matters: Sequence[Matter], *, owners_total: int, area_total: int,
                 owners_voted: int, area_voted: int,
                 counts: Mapping[int, Mapping[str, Count]]) -> list[MatterResult]:
    """Every matter's result from counts already made — per matter, per value ("agree",
    "disagree", "abstain", or an option's number) the owners and area behind it — as the
    database's GROUP BY gives them (models/votes/closing.py). `tally` counts ballots into the
    same form, so both paths decide alike."""
    return [_matter_result(matter, owners_total, area_total, owners_voted, area_voted,
                           counts.get(matter.number, {})) for matter in matters]


def _matter_result(matter: Matter, owners_total: int, area_total: int, owners_voted: int,
                   area_voted: int, counted: Mapping[str, Count]) -> MatterResult:
    counts = {choice: counted.get(choice.value, Count()) for choice in Choice}
    per_option = [counted.get(str(n), Count()) for n in range(1, len(matter.options) + 1)]
    needed, inclusive = majority_of(matter)
    needs = QUORUM if matter.turnout is None else Fraction(matter.turnout, 100)  # (a poll's)
    agree = counts[Choice.AGREE]
    result = MatterResult(
        matter=matter, owners_total=owners_total, area_total=area_total, owners_voted=owners_voted,
        area_voted=area_voted, quorum_owners=Bar(owners_voted, owners_total, needs, True),
        quorum_area=Bar(area_voted, area_total, needs, True),
        agree=agree, disagree=counts[Choice.DISAGREE], abstain=counts[Choice.ABSTAIN],
        invalid=counts[Choice.INVALID],
        majority_owners=Bar(agree.owners, owners_voted, needed, inclusive),
        majority_area=Bar(agree.area, area_voted, needed, inclusive))
    if matter.kind is MatterKind.DECISION:
        return result
    options = [OptionResult(number, name, count, Bar(count.owners, owners_voted, MAJORITY, False),
                            Bar(count.area, area_voted, MAJORITY, False), None)
               for number, (name, count) in enumerate(zip(matter.options, per_option,
                                                          strict=True), start=1)]
    if matter.kind is MatterKind.POLL:
        return replace(result, options=tuple(options))
    elected, tied = _elect(options, matter.choosable) if result.quorum else (set(), ())
    return replace(result, tie_at_last_seat=tied, options=tuple(
        OptionResult(o.option, o.name, o.count, o.owners_bar, o.area_bar, o.option in elected)
        for o in options))


def _elect(options: Sequence[OptionResult], seats: int) -> tuple[set[int], tuple[int, ...]]:
    """The options elected (more than half of both; the most owners, then area, fill the
    seats) and those tied at the last seat, who are not elected."""
    qualified = sorted((o for o in options if o.owners_bar.met and o.area_bar.met),
                       key=lambda o: (-o.owners, -o.area, o.option))
    if len(qualified) <= seats:
        return {o.option for o in qualified}, ()
    last = (qualified[seats - 1].owners, qualified[seats - 1].area)
    if (qualified[seats].owners, qualified[seats].area) != last:
        return {o.option for o in qualified[:seats]}, ()
    tied = tuple(sorted(o.option for o in qualified if (o.owners, o.area) == last))
    return {o.option for o in qualified[:seats] if o.option not in tied}, tied

