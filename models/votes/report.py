"""A vote's result as people and programs read it: `result_json` (the recount's `--json`, the
format the README documents) and `result_table` (the table the bot shows and `linli votes
recount` prints, in the reader's language through the translator it is given: models never
import the translation machinery). Areas are written as decimal strings with two decimals,
shares as percentages rounded from the exact fractions, and every bar says whether it was met.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Protocol

from models.votes.tally import Bar, Count, MatterKind, MatterResult, OptionResult, area_text


class Translate(Protocol):
    """gettext with named parameters, as bot.i18n.Translator is."""

    def __call__(self, message: str, /, **params: object) -> str: ...


# --- JSON ------------------------------------------------------------------------------------

def result_json(results: Sequence[MatterResult]) -> dict[str, Any]:
    """{"matters": [...]}: per matter the totals, participation, quorum and, for a decision,
    each choice's owners and area and whether it passed; for an election or a poll its kind,
    the abstentions and per option owners, area and elected (null for a poll); a poll with a
    minimum turnout says it (`turnout_min`, percent) and whether it was met (`quorum`)."""
    return {"matters": [_matter_json(result) for result in results]}


def _matter_json(r: MatterResult) -> dict[str, Any]:
    head: dict[str, Any] = {"matter": r.number}
    if r.matter.kind is not MatterKind.DECISION:
        head["kind"] = r.matter.kind.value
    head |= {"owners_total": r.owners_total, "area_total": area_text(r.area_total),
             "owners_voted": r.owners_voted, "area_voted": area_text(r.area_voted),
             "quorum": r.quorum}
    if r.matter.turnout is not None:  # a poll's minimum turnout, in percent
        head["turnout_min"] = r.matter.turnout
    # a paper ballot's invalid answers, where there are any (they take part, like abstaining)
    invalid = _count_json("invalid", r.invalid) if r.invalid.owners else {}
    if r.matter.kind is MatterKind.DECISION:
        return head | _count_json("agree", r.agree) | _count_json("disagree", r.disagree) | \
            _count_json("abstain", r.abstain) | invalid | {"passed": r.passed}
    head |= _count_json("abstain", r.abstain) | invalid
    head["options"] = [{"option": o.option, "name": o.name, "owners": o.owners,
                        "area": area_text(o.area), "elected": o.elected} for o in r.options]
    if r.matter.kind is MatterKind.ELECTION:
        head["tie_at_last_seat"] = list(r.tie_at_last_seat)
    return head


def _count_json(name: str, count: Count) -> dict[str, Any]:
    return {f"{name}_owners": count.owners, f"{name}_area": area_text(count.area)}


# --- the table -------------------------------------------------------------------------------

def result_table(results: Sequence[MatterResult], _: Translate) -> str:
    """Every matter: its outcome, then owners and area (m²) with their shares per line, each
    share held against its bar (✓ met, ✗ not) and the bar itself (≥ 2/3, > 1/2, ≥ 3/4)."""
    return "\n\n".join(_matter_table(result, _) for result in results)


def _matter_table(r: MatterResult, _: Translate) -> str:
    poll = r.matter.kind is MatterKind.POLL
    rows: list[tuple[str, ...]] = [
        ("", _("Voters") if poll else _("Owners"), "", "", _("Area (m²)"), "", "",
         _("Needs")),
        _row(_("On the roll"), Count(r.owners_total, r.area_total)),
        _row(_("Voted"), Count(r.owners_voted, r.area_voted), r.quorum_owners, r.quorum_area,
             shown=not poll or r.matter.turnout is not None)]
    if r.matter.kind is MatterKind.DECISION:
        rows.append(_row(_("Agree"), r.agree, r.majority_owners, r.majority_area))
        rows += [_row(label, count, _part(count.owners, r.owners_voted),
                      _part(count.area, r.area_voted), shown=False)
                 for label, count in ((_("Disagree"), r.disagree), (_("Abstain"), r.abstain))]
    else:
        rows += [_option_row(r, option, _) for option in r.options]
        rows.append(_row(_("Abstain"), r.abstain, _part(r.abstain.owners, r.owners_voted),
                         _part(r.abstain.area, r.area_voted), shown=False))
    if r.invalid.owners:
        rows.append(_row(_("Invalid"), r.invalid, _part(r.invalid.owners, r.owners_voted),
                         _part(r.invalid.area, r.area_voted), shown=False))
    numbers = {1, 2, 4, 5}  # right-aligned: counts, areas, shares
    if poll and not r.area_total:  # a resident poll counts people or households, no area
        rows, numbers = [(*row[:4], row[7]) for row in rows], {1, 2}
    lines = [matter_heading(r, _), *_aligned(rows, numbers)]
    if r.tie_at_last_seat:
        names = ", ".join(r.matter.options[o - 1] for o in r.tie_at_last_seat)
        lines.append(_("Tied for the last seat, so none of them is elected (a run-off is "
                       "needed): {names}", names=names))
    return "\n".join(lines)


def matter_heading(r: MatterResult, _: Translate) -> str:
    kind = r.matter.kind
    what = (_("Matter {number}: art. 278 item {item}", number=r.number, item=r.matter.item)
            if kind is MatterKind.DECISION else
            _("Matter {number}: election (art. 278 item {item}), {seats} to elect",
              number=r.number, item=r.matter.item, seats=r.matter.choosable)
            if kind is MatterKind.ELECTION else _("Matter {number}: poll", number=r.number))
    if kind is MatterKind.POLL:
        if r.quorum is None:
            return what
        outcome = (_("minimum turnout reached") if r.quorum
                   else _("not valid: turnout below the minimum"))
        return _("{matter} — {outcome}", matter=what, outcome=outcome)
    if not r.quorum:
        outcome = _("not decided: quorum not met")
    elif kind is MatterKind.DECISION:
        outcome = _("passed") if r.passed else _("not passed")
    else:
        names = ", ".join(r.matter.options[o - 1] for o in r.elected)
        outcome = _("elected: {names}", names=names) if names else _("nobody elected")
    return _("{matter} — {outcome}", matter=what, outcome=outcome)


def _option_row(r: MatterResult, o: OptionResult, _: Translate) -> tuple[str, ...]:
    election = r.matter.kind is MatterKind.ELECTION
    row = _row(f"{o.option}. {o.name}", o.count, o.owners_bar, o.area_bar, shown=election)
    if election:
        state = (_("elected") if o.elected else
                 _("tied") if o.option in r.tie_at_last_seat else "")
        row = (*row[:-1], f"{row[-1]}  {state}".strip())
    return row


def _part(part: int, whole: int) -> Bar:
    return Bar(part, whole, Fraction(0), True)


def _row(label: str, count: Count, owners: Bar | None = None, area: Bar | None = None, *,
         shown: bool = True) -> tuple[str, ...]:
    """A line: owners, their share, its mark; area, its share, its mark; the bar."""
    if owners is None or area is None:
        return (label, str(count.owners), "", "", area_text(count.area), "", "", "")
    marks = [("✓" if bar.met else "✗") if shown else "" for bar in (owners, area)]
    needs = (f"{'≥' if owners.inclusive else '>'} {_fraction(owners.needed)}"
             if shown else "")
    return (label, str(count.owners), percent(owners.share), marks[0],
            area_text(count.area), percent(area.share), marks[1], needs)


def percent(share: Fraction) -> str:
    """A share as a percentage with two decimals, rounded exactly ("66.67%")."""
    hundredths = round(share * 10000)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _width(text: str) -> int:
    """Columns a text takes in a fixed-width font (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _aligned(rows: Sequence[tuple[str, ...]], numbers: set[int]) -> list[str]:
    """The rows as columns, those in `numbers` right-aligned."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [" " * (w - _width(c)) + c if i in numbers else c + " " * (w - _width(c))
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return lines

