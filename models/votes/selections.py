"""What one ballot chose on one matter, in the forms it takes: as the tally counts it (a
`tally.Selection`: a decision's `Choice`, or an election's chosen candidates' numbers), as
text (the recount files' cell: "agree", or "1;3", empty for an empty election ballot) and as
the database's `vote_ballot_choice` rows (a decision's choice; an election's chosen numbers,
one row each, or one empty value for abstaining). Pure Python: the ballots, the export and
the screens all convert through here, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from models.errors import N_, Invalid
from models.votes import tally

SEPARATOR = ";"
# a paper ballot's invalid answer (tally.Choice.INVALID) is kept with its reason, as text and
# as its one `vote_ballot_choice` value: "invalid:none" (no box ticked on a decision),
# "invalid:two" (two or more), "invalid:many" (more candidates ticked than the seats); the
# recount files write "invalid"
INVALID_REASONS = {"none": tally.MatterKind.DECISION, "two": tally.MatterKind.DECISION,
                   "many": tally.MatterKind.ELECTION}


def invalid_text(reason: str) -> str:
    return f"{tally.Choice.INVALID.value}:{reason}"


def is_invalid(text: str) -> bool:
    return text.split(":")[0] == tally.Choice.INVALID.value


def invalid_answer(matter: tally.Matter, text: str) -> str | None:
    """An officer's invalid answer for the matter as kept ("invalid:two"), or None when the
    text is not one; a reason the matter cannot have (two boxes on an election) is refused."""
    if not is_invalid(text):
        return None
    reason = text.partition(":")[2]
    if INVALID_REASONS.get(reason) is not matter.kind:
        raise Invalid(NOT_CANDIDATES if matter.kind is not tally.MatterKind.DECISION
                      else NOT_ALL, matter=matter.number)
    return invalid_text(reason)
NOT_ALL = N_("Choose agree, disagree or abstain for every matter first.")
TOO_MANY = N_("Matter {matter}: choose at most {seats} candidates.")
NOT_CANDIDATES = N_("Matter {matter}: choose among its candidates.")


def text_of(selection: tally.Selection) -> str:
    """The selection as the recount files write it: "agree", "1;3", "" (no candidate)."""
    if isinstance(selection, tally.Choice):
        return selection.value
    return SEPARATOR.join(str(option) for option in sorted(selection))


def parse(matter: tally.Matter, given: object) -> tally.Selection:
    """A ballot's answer for the matter — a choice's text, or option numbers — checked
    against it (Invalid with the reason)."""
    if matter.kind is tally.MatterKind.DECISION:
        try:
            choice = tally.Choice(str(given))
        except ValueError:
            raise Invalid(NOT_ALL) from None
        if choice is tally.Choice.INVALID:  # (only an officer enters one: `invalid_answer`)
            raise Invalid(NOT_ALL)
        return choice
    if isinstance(given, str):
        given = [part for part in given.split(SEPARATOR) if part]
    try:
        selection = tuple(sorted(int(option) for option in given))  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise Invalid(NOT_CANDIDATES, matter=matter.number) from None
    problem = tally.selection_problem(matter, selection)
    if problem == "too_many":
        raise Invalid(TOO_MANY, matter=matter.number, seats=matter.choosable)
    if problem is not None:
        raise Invalid(NOT_CANDIDATES, matter=matter.number)
    return selection


def ballot(matters: Sequence[tally.Matter], given: Mapping[int, object]
           ) -> dict[int, tally.Selection]:
    """A whole ballot's answers, every matter answered (Invalid otherwise)."""
    if sorted(given) != sorted(m.number for m in matters):
        raise Invalid(NOT_ALL)
    return {m.number: parse(m, given[m.number]) for m in matters}


def row_values(text: str) -> list[str]:
    """A matter's answer as text (`text_of`) → its `vote_ballot_choice` values: a decision's
    word; an election's chosen numbers, or one empty value for an empty ballot."""
    if text in tuple(tally.Choice) or is_invalid(text):
        return [text]
    return text.split(SEPARATOR) if text else [""]


def from_rows(kind: tally.MatterKind, values: Iterable[str]) -> tally.Selection:
    """One matter's selection back from its `vote_ballot_choice` values."""
    values = list(values)
    if values and is_invalid(values[0]):
        return tally.Choice.INVALID
    if kind is tally.MatterKind.DECISION:
        return tally.Choice(values[0])
    return tuple(sorted(int(v) for v in values if v))


def texts_from_rows(rows: Iterable[tuple[int, str]]) -> dict[str, str]:
    """A ballot's rows (matter, value) as matter number (text) → its text ("agree", "1;3",
    ""): a decision has one word, an election option numbers or the empty value."""
    grouped: dict[int, list[str]] = {}
    for matter, value in rows:
        grouped.setdefault(int(matter), []).append(value)
    out = {}
    for matter, values in grouped.items():
        if any(v.isdigit() for v in values):
            out[str(matter)] = SEPARATOR.join(sorted((v for v in values if v), key=int))
        else:
            out[str(matter)] = values[0]
    return out


def counted_value(value: str) -> str:
    """A `vote_ballot_choice` value as the tally's counts key it: an empty election ballot
    counts as an abstention (tally._values), an invalid answer as invalid, whatever its
    reason."""
    if is_invalid(value):
        return tally.Choice.INVALID.value
    return value or tally.Choice.ABSTAIN.value
