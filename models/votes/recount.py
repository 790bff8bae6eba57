"""The recount files: a vote as three CSV files anyone can recount from without the database
(`linli votes recount DIR`), written by `linli votes export` and readable when made by hand
(an estate that counted paper ballots). The README documents the format; in short (UTF-8, a
BOM is fine, a header row with exactly these columns in this order):

    matters.csv  matter, kind, item, seats, candidates[, turnout]
    roll.csv     owner, households, area_m2, voted
    ballots.csv  ballot, area_m2, channel, m1, m2, …   (one column per matter)

Reading checks each file against itself and the three against each other and refuses, with
the file and line, anything it would otherwise have to guess at: a count is only ever made of
files that agree. The ballots are not joined to owners (a secret ballot has nothing to join
by), so the weights are checked as a multiset: the ballots' areas must be exactly the areas of
the owners marked voted. A resident poll's roll counts people or households, each of no area
(0.00): in files of polls only, several people may list the same household, and a poll's
minimum turnout is the optional last column of matters.csv ("30%"; written only when a poll
has one). The JSON and the table of a result are in `models/votes/report.py`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from models.errors import N_, DomainError
from models.votes.report import result_json, result_table
from models.votes.tally import (
    ELECTION_ITEM,
    ITEMS,
    BadArea,
    Ballot,
    Choice,
    Matter,
    MatterKind,
    RollOwner,
    Selection,
    area_from_text,
    area_text,
    selection_problem,
)

__all__ = ["RecountRefused", "read_files", "result_json", "result_table", "write_files"]

MATTERS, ROLL, BALLOTS = "matters.csv", "roll.csv", "ballots.csv"
MATTER_COLUMNS = ("matter", "kind", "item", "seats", "candidates")
TURNOUT = "turnout"  # matters.csv's optional last column: a poll's minimum turnout, "30%"
ROLL_COLUMNS = ("owner", "households", "area_m2", "voted")
BALLOT_COLUMNS = ("ballot", "area_m2", "channel")  # then m1, m2, … one per matter
CHANNELS = ("online", "assisted", "paper", "on-site")
YES_NO = {"yes": True, "no": False}
SEPARATOR = ";"

# a ballot's cell that does not fit its matter (tally.selection_problem) → the refusal
CELL_PROBLEMS = {
    "not_a_choice": N_("{file}, line {line}: “{cell}” in {column} is not a choice; matter "
                       "{matter} is a decision: write agree, disagree or abstain."),
    "not_options": N_("{file}, line {line}: “{cell}” in {column} is not a list of option "
                      "numbers separated by “;” (empty to abstain)."),
    "unknown_option": N_("{file}, line {line}: {column} chooses an option matter {matter} "
                         "does not have (it has {count})."),
    "option_twice": N_("{file}, line {line}: {column} chooses one option twice."),
    "too_many": N_("{file}, line {line}: {column} chooses more options than matter {matter} "
                   "allows ({allowed})."),
}


class RecountRefused(DomainError):
    """The files cannot be recounted as they are; `file` and `line` say where (line 0: the
    file as a whole)."""

    message = N_("{file}, line {line}: the recount files do not agree; nothing was counted.")

    def __init__(self, message: str | None = None, *, file: str, line: int,
                 **params: object) -> None:
        super().__init__(message, file=file, line=line, **params)
        self.file, self.line = file, line


# --- writing ---------------------------------------------------------------------------------

def write_files(directory: Path | str, matters: Sequence[Matter], roll: Sequence[RollOwner],
                ballots: Sequence[Ballot]) -> None:
    """Write the three files into `directory` (created if need be)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    turnout = any(m.turnout is not None for m in matters)
    _write(folder / MATTERS, (*MATTER_COLUMNS, *((TURNOUT,) if turnout else ())), (
        (m.number, m.kind.value, "" if m.item is None else m.item,
         "" if m.seats is None else m.seats, _joined(m.options),
         *(("" if m.turnout is None else f"{m.turnout}%",) if turnout else ()))
        for m in matters))
    _write(folder / ROLL, ROLL_COLUMNS, (
        (_key(o.key), _joined(o.households), area_text(o.area), "yes" if o.voted else "no")
        for o in roll))
    columns = (*BALLOT_COLUMNS, *(f"m{m.number}" for m in matters))
    _write(folder / BALLOTS, columns, (
        (_key(b.key), area_text(b.area), b.channel,
         *(_cell(b.choices[m.number]) for m in matters)) for b in ballots))


def _write(path: Path, header: Sequence[str], rows: Iterator[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _key(key: str) -> str:
    if not key or key != key.strip() or SEPARATOR in key:
        raise ValueError(f"{key!r} cannot be written as a key: it must be non-empty, without "
                         f"“{SEPARATOR}” or surrounding spaces")
    return key


def _joined(keys: Sequence[str]) -> str:
    return SEPARATOR.join(_key(key) for key in keys)


def _cell(selection: Selection) -> str:
    if isinstance(selection, Choice):
        return selection.value
    return SEPARATOR.join(str(option) for option in selection)


# --- reading ---------------------------------------------------------------------------------

def read_files(directory: Path | str) -> tuple[list[Matter], list[RollOwner], list[Ballot]]:
    """The matters, roll and ballots of a recount folder, or RecountRefused saying where the
    files disagree with themselves or each other."""
    folder = Path(directory)
    matters = _matters(_rows(folder, MATTERS, MATTER_COLUMNS, optional=TURNOUT))
    polls = all(m.kind is MatterKind.POLL for m in matters)
    roll, voted_lines = _roll(_rows(folder, ROLL, ROLL_COLUMNS), shared_homes=polls)
    ballot_columns = (*BALLOT_COLUMNS, *(f"m{m.number}" for m in matters))
    ballots, lines = _ballots(_rows(folder, BALLOTS, ballot_columns), matters)
    _agree(roll, voted_lines, ballots, lines)
    return matters, roll, ballots


Rows = list[tuple[int, dict[str, str]]]  # (line number, column → stripped cell)


def _rows(folder: Path, name: str, columns: Sequence[str], optional: str | None = None
          ) -> Rows:
    """The file's rows by line, after checking its header is exactly `columns` (and the
    `optional` column after them, or not; a row without it reads it as empty)."""
    try:
        raw = (folder / name).read_bytes()
    except FileNotFoundError:
        raise RecountRefused(N_("{file} is missing: a recount needs matters.csv, roll.csv and "
                                "ballots.csv in one folder."), file=name, line=0) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise RecountRefused(N_("{file}, line {line}: the file is not UTF-8 text; save it as "
                                "CSV UTF-8 and try again."), file=name,
                             line=raw[:error.start].count(b"\n") + 1) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _checked(reader, name, columns, optional)
    except csv.Error:  # a cell over the csv module's size limit
        raise RecountRefused(N_("{file}, line {line}: this line is not readable CSV."),
                             file=name, line=reader.line_num) from None


def _checked(reader: Iterator[list[str]], name: str, columns: Sequence[str],
             optional: str | None) -> Rows:
    header = [cell.strip() for cell in next(reader, [])]
    if optional is not None and header == [*columns, optional]:
        columns = (*columns, optional)
    if header != list(columns):
        _refuse_header(name, header, columns)
    rows: Rows = []
    start = reader.line_num + 1  # type: ignore[attr-defined]
    for cells in reader:
        line, start = start, reader.line_num + 1  # type: ignore[attr-defined]
        if not cells:
            continue  # a blank line
        if len(cells) != len(columns):
            raise RecountRefused(N_("{file}, line {line}: {count} cells, but the header has "
                                    "{expected} columns."), file=name, line=line,
                                 count=len(cells), expected=len(columns))
        row = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
        rows.append((line, {optional: "", **row} if optional is not None else row))
    return rows


def _refuse_header(name: str, header: list[str], columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in header]
    expected = ", ".join(columns)
    if name == BALLOTS and missing and missing[0].startswith("m"):
        raise RecountRefused(N_("{file}, line 1: the column {column} for matter {matter} is "
                                "missing (one column per matter of matters.csv)."),
                             file=name, line=1, column=missing[0], matter=missing[0][1:])
    if missing:
        raise RecountRefused(N_("{file}, line 1: the column {column} is missing; the columns "
                                "are {expected}."), file=name, line=1, column=missing[0],
                             expected=expected)
    extra = [c for c in header if c not in columns]
    misplaced = [h for h, c in zip(header, columns, strict=False) if h != c]
    column = (extra or misplaced or header[len(columns):])[0]
    raise RecountRefused(N_("{file}, line 1: the header must be exactly {expected}, in this "
                            "order (found “{column}” too many or out of place)."),
                         file=name, line=1, expected=expected, column=column)


def _whole(text: str, name: str, line: int, column: str, low: int) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < low:
        raise RecountRefused(N_("{file}, line {line}: {column} must be a whole number from "
                                "{low} up, not “{cell}”."), file=name, line=line, column=column,
                             low=low, cell=text)
    return int(text)


def _area(text: str, name: str, line: int) -> int:
    try:
        return area_from_text(text)
    except BadArea:
        raise RecountRefused(N_("{file}, line {line}: area_m2 “{cell}” is not an area: write "
                                "square metres with at most two decimals, such as 89.50."),
                             file=name, line=line, cell=text) from None


def _keys(text: str, name: str, line: int, column: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in text.split(SEPARATOR))
    if not all(keys):
        raise RecountRefused(N_("{file}, line {line}: {column} has an empty entry; separate "
                                "entries with “;”."), file=name, line=line, column=column)
    return keys


def _matters(rows: Rows) -> list[Matter]:
    matters: list[Matter] = []
    for line, row in rows:
        number = _whole(row["matter"], MATTERS, line, "matter", 1)
        if number != len(matters) + 1:
            raise RecountRefused(N_("{file}, line {line}: matters are numbered 1, 2, … in "
                                    "order; this one should be {expected}, not {number}."),
                                 file=MATTERS, line=line, expected=len(matters) + 1,
                                 number=number)
        matters.append(_matter(number, row, line))
    if not matters:
        raise RecountRefused(N_("{file}, line {line}: there are no matters."), file=MATTERS,
                             line=2)
    return matters


def _matter(number: int, row: dict[str, str], line: int) -> Matter:
    kinds = {kind.value: kind for kind in MatterKind}
    if row["kind"] not in kinds:
        raise RecountRefused(N_("{file}, line {line}: kind must be decision, election or "
                                "poll, not “{cell}”."), file=MATTERS, line=line,
                             cell=row["kind"])
    kind = kinds[row["kind"]]
    item = None
    if kind is MatterKind.POLL and row["item"]:
        raise RecountRefused(N_("{file}, line {line}: a poll has no art. 278 item; leave item "
                                "empty."), file=MATTERS, line=line)
    if kind is not MatterKind.POLL:
        item = _whole(row["item"], MATTERS, line, "item", 1)
        if item not in ITEMS or (kind is MatterKind.ELECTION and item != ELECTION_ITEM):
            raise RecountRefused(N_("{file}, line {line}: item must be an art. 278 item from 1 "
                                    "to 9 (3 for an election), not {item}."), file=MATTERS,
                                 line=line, item=item)
    options = _keys(row["candidates"], MATTERS, line, "candidates") if row["candidates"] else ()
    if (kind is MatterKind.DECISION) != (not options):
        raise RecountRefused(N_("{file}, line {line}: a decision has no candidates, an election "
                                "or a poll lists its options in candidates."), file=MATTERS,
                             line=line)
    seats = _whole(row["seats"], MATTERS, line, "seats", 1) if row["seats"] else None
    if (kind is MatterKind.ELECTION and seats is None) or (
            kind is MatterKind.DECISION and seats is not None) or (
            seats is not None and seats > len(options)):
        raise RecountRefused(N_("{file}, line {line}: seats is how many an election elects "
                                "(or a poll's ballot may choose), at most the {count} "
                                "candidates; a decision has none."), file=MATTERS, line=line,
                             count=len(options))
    return Matter(number, kind, item, seats, options, _turnout(kind, row[TURNOUT], line))


def _turnout(kind: MatterKind, cell: str, line: int) -> int | None:
    """A poll's minimum turnout, "30%" (or "30"), 1 to 100; empty: none."""
    if not cell:
        return None
    number = cell.removesuffix("%").strip()
    if kind is not MatterKind.POLL or not (number.isascii() and number.isdigit()) \
            or not 1 <= int(number) <= 100:
        raise RecountRefused(N_("{file}, line {line}: turnout is a poll's minimum turnout, a "
                                "percentage from 1% to 100% such as 30%, not “{cell}”; leave "
                                "it empty for none."), file=MATTERS, line=line, cell=cell)
    return int(number)


def _roll(rows: Rows, *, shared_homes: bool = False) -> tuple[list[RollOwner], list[int]]:
    """The roll's owners and the lines of those marked voted. `shared_homes`: the files hold
    only polls, whose roll may count people, several of them of one household."""
    owners: list[RollOwner] = []
    first: dict[str, int] = {}  # owner key → line
    holder: dict[str, int] = {}  # household key → the line of its owner
    voted_lines = []
    for line, row in rows:
        key = row["owner"]
        if not key:
            raise RecountRefused(N_("{file}, line {line}: the owner's key is empty."),
                                 file=ROLL, line=line)
        if key in first:
            raise RecountRefused(N_("{file}, line {line}: the owner {key} is listed twice "
                                    "(first on line {first})."), file=ROLL, line=line, key=key,
                                 first=first[key])
        first[key] = line
        households = _keys(row["households"], ROLL, line, "households")
        for household in households:
            if household in holder and not shared_homes:
                raise RecountRefused(N_("{file}, line {line}: the household {key} is also on "
                                        "line {first}: each household belongs to one owner."),
                                     file=ROLL, line=line, key=household,
                                     first=holder[household])
            holder[household] = line
        if row["voted"] not in YES_NO:
            raise RecountRefused(N_("{file}, line {line}: voted must be yes or no, not "
                                    "“{cell}”."), file=ROLL, line=line, cell=row["voted"])
        owners.append(RollOwner(key, households, _area(row["area_m2"], ROLL, line),
                                YES_NO[row["voted"]]))
        if owners[-1].voted:
            voted_lines.append(line)
    return owners, voted_lines


def _ballots(rows: Rows, matters: Sequence[Matter]) -> tuple[list[Ballot], list[int]]:
    ballots: list[Ballot] = []
    first: dict[str, int] = {}
    for line, row in rows:
        key = row["ballot"]
        if not key:
            raise RecountRefused(N_("{file}, line {line}: the ballot's key is empty."),
                                 file=BALLOTS, line=line)
        if key in first:
            raise RecountRefused(N_("{file}, line {line}: the ballot {key} is listed twice "
                                    "(first on line {first})."), file=BALLOTS, line=line,
                                 key=key, first=first[key])
        first[key] = line
        if row["channel"] not in CHANNELS:
            raise RecountRefused(N_("{file}, line {line}: channel must be online, assisted, "
                                    "paper or on-site, not “{cell}”."), file=BALLOTS,
                                 line=line, cell=row["channel"])
        choices = {m.number: _selection(m, row[f"m{m.number}"], line) for m in matters}
        ballots.append(Ballot(key, _area(row["area_m2"], BALLOTS, line), row["channel"],
                              choices))
    return ballots, [line for line, _ in rows]


def _selection(matter: Matter, cell: str, line: int) -> Selection:
    selection: object = cell
    if cell == Choice.INVALID.value:  # a paper ballot's invalid answer, on any matter
        selection = Choice.INVALID
    elif matter.kind is MatterKind.DECISION:
        selection = Choice(cell) if cell in tuple(Choice) else cell
    elif not cell:
        selection = ()
    elif all(part.strip().isascii() and part.strip().isdigit() for part in cell.split(";")):
        selection = tuple(int(part) for part in cell.split(SEPARATOR))
    problem = selection_problem(matter, selection)
    if problem is not None:
        raise RecountRefused(CELL_PROBLEMS[problem], file=BALLOTS, line=line,
                             column=f"m{matter.number}", matter=matter.number, cell=cell,
                             count=len(matter.options), allowed=matter.choosable)
    return selection  # type: ignore[return-value]  # checked by selection_problem


def _agree(roll: Sequence[RollOwner], voted_lines: Sequence[int], ballots: Sequence[Ballot],
           lines: Sequence[int]) -> None:
    """The ballots are the voted owners': as many, and weighing exactly their areas."""
    voted = len(voted_lines)
    if len(ballots) > voted:
        raise RecountRefused(N_("{file}, line {line}: ballot number {count}, but roll.csv "
                                "marks only {voted} owners as voted."), file=BALLOTS,
                             line=lines[voted], count=voted + 1, voted=voted)
    if len(ballots) < voted:
        raise RecountRefused(N_("{file}, line {line}: voted owner number {count}, but "
                                "ballots.csv has only {ballots} ballots."), file=ROLL,
                             line=voted_lines[len(ballots)], count=len(ballots) + 1,
                             ballots=len(ballots))
    unmatched = Counter(owner.area for owner in roll if owner.voted)
    for ballot, line in zip(ballots, lines, strict=True):
        if not unmatched[ballot.area]:
            raise RecountRefused(N_("{file}, line {line}: the ballot weighs {area} m², but no "
                                    "owner marked voted in roll.csv is left with that area "
                                    "(the weights must be the voted owners' areas)."),
                                 file=BALLOTS, line=line, area=area_text(ballot.area))
        unmatched[ballot.area] -= 1
