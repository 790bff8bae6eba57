"""The votes' buttons: `vo:` for owners, `vc:` for convenors (the owners' committee, its
preparatory group and community staff). The data is only a hint: every verb re-checks the
vote, the owner and the person's right on the server.

A half-filled ballot lives in its buttons, not in a table: `state` has one letter per decision
in order (`a` agree, `d` disagree, `s` abstain, `-` not chosen yet) and an election's ticked
candidates in base 32 (handlers/votes/ballot_state.py), so "vo:b:12:34:ad-" is the ballot of
roll owner 34 in vote 12 with matter 1 agreed, 2 disagreed and 3 still open. A state of at
most models/votes/elections.BALLOT_WIDTH characters keeps every button within 64 bytes.
"""

from __future__ import annotations

from typing import Literal

from bot.buttons import ButtonData
from models.votes.core import RemindSchedule

# --- owners -----------------------------------------------------------------------------------


class MyVotes(ButtonData, prefix="vo:list"):
    """The owners' votes of my homes (and, for a convenor, the votes I run)."""


class OpenVote(ButtonData, prefix="vo:o"):
    """A vote as an owner sees it: when it opens, or the ballot (after choosing whom for)."""

    vote_id: int


class OpenOwner(ButtonData, prefix="vo:w"):
    """The ballot of this roll owner (for someone who may vote for several)."""

    vote_id: int
    owner_id: int


class Ballot(ButtonData, prefix="vo:b"):
    """The ballot of one roll owner with the choices made so far (shown in place)."""

    vote_id: int
    owner_id: int
    state: str


class Review(ButtonData, prefix="vo:r"):
    """Every matter chosen: the summary, with Confirm."""

    vote_id: int
    owner_id: int
    state: str


class Cast(ButtonData, prefix="vo:c"):
    vote_id: int
    owner_id: int
    state: str


class Candidates(ButtonData, prefix="vo:cv"):
    """An election's candidates, each with their photo and description."""

    vote_id: int
    matter: int


class Chart(ButtonData, prefix="vo:ch"):
    """The result as a chart (PNG)."""

    vote_id: int


class Receipts(ButtonData, prefix="vo:rl"):
    """A secret vote's published receipt codes and their choices, as a file (CSV)."""

    vote_id: int


class CheckReceipt(ButtonData, prefix="vo:rk"):
    """Check a receipt code of a secret vote: the code is asked for, typed."""

    vote_id: int


# --- convenors: the list and a draft --------------------------------------------------------


class Convene(ButtonData, prefix="vc:list"):
    """The votes I may run, and "New vote"."""


class NewVote(ButtonData, prefix="vc:new"):
    zero: int  # (always 0)


class PickEstate(ButtonData, prefix="vc:e"):
    """The estate chosen: now the whole of it or one building."""

    estate_id: int


class PickScope(ButtonData, prefix="vc:s"):
    """Create the draft over the estate (building 0) or one building of it."""

    estate_id: int
    building_id: int


class AddMatter(ButtonData, prefix="vc:am"):
    """Add a matter: first its art. 278 item."""

    vote_id: int


class PickItem(ButtonData, prefix="vc:i"):
    """The matter's item chosen: now its title is asked for."""

    vote_id: int
    item: int


class PickElection(ButtonData, prefix="vc:el"):
    """Add an election of the owners' committee (item 3): its title is asked for."""

    vote_id: int


class ElectionPage(ButtonData, prefix="vc:ep"):
    """An election of the draft: its candidates, seats, and adding more."""

    vote_id: int
    matter: int


class AddCandidate(ButtonData, prefix="vc:ac"):
    vote_id: int
    matter: int


class DropCandidate(ButtonData, prefix="vc:dc"):
    vote_id: int
    matter: int
    number: int


class Seats(ButtonData, prefix="vc:se"):
    vote_id: int
    matter: int
    seats: int


class DropMatter(ButtonData, prefix="vc:dm"):
    vote_id: int
    number: int


class Dates(ButtonData, prefix="vc:dt"):
    """Choose the opening day (the earliest allowed one and a few later)."""

    vote_id: int


class Opens(ButtonData, prefix="vc:op"):
    vote_id: int
    day: int  # date.toordinal()


class Closes(ButtonData, prefix="vc:cl"):
    vote_id: int
    day: int


class Changeable(ButtonData, prefix="vc:ch"):
    vote_id: int
    allowed: Literal["y", "n"]


class Reminders(ButtonData, prefix="vc:rd"):
    """Choose the draft's automatic reminders to those who have not voted."""

    vote_id: int


class RemindOn(ButtonData, prefix="vc:rs"):
    """The automatic reminders chosen: one of the schedules offered (days before closing)."""

    vote_id: int
    schedule: RemindSchedule


class Secret(ButtonData, prefix="vc:sb"):
    """A secret ballot (elections only), or a named one again."""

    vote_id: int
    secret: Literal["y", "n"]


class Preview(ButtonData, prefix="vc:pv"):
    vote_id: int


class Announce(ButtonData, prefix="vc:an"):
    vote_id: int


# --- convenors: following a vote ------------------------------------------------------------


class Manage(ButtonData, prefix="vc:m"):
    vote_id: int


class Progress(ButtonData, prefix="vc:pg"):
    vote_id: int


class ProgressIn(ButtonData, prefix="vc:pu"):
    """Progress in one building of the vote: per unit, and who has not voted."""

    vote_id: int
    building_id: int


class Remind(ButtonData, prefix="vc:rm"):
    vote_id: int


class ExtendAsk(ButtonData, prefix="vc:xa"):
    vote_id: int


class ExtendTo(ButtonData, prefix="vc:xt"):
    vote_id: int
    day: int


class ConfirmCount(ButtonData, prefix="vc:cc"):
    vote_id: int


class CancelAsk(ButtonData, prefix="vc:ca"):
    """Cancel the vote: the reason is asked for."""

    vote_id: int


class Printable(ButtonData, prefix="vc:pdf"):
    """The printable announcement (A4 PDF, Chinese and English) to post in the estate."""

    vote_id: int


class PrintBallots(ButtonData, prefix="vc:pb"):
    """The printable ballots (A4 PDF, a page per roll owner): the whole roll (building 0), or
    one building's owners."""

    vote_id: int
    building_id: int


class ResultPoster(ButtonData, prefix="vc:rp"):
    """The results poster (A4 PDF, Chinese and English) to put up once published."""

    vote_id: int


class Officers(ButtonData, prefix="vc:of"):
    """Who may enter the vote's paper and on-site ballots: the candidates, a page at a time."""

    vote_id: int
    page: int


class ToggleOfficer(ButtonData, prefix="vc:ot"):
    """Authorise this person to enter ballots, or take it back."""

    vote_id: int
    person_id: int
    page: int


class Export(ButtonData, prefix="vc:x"):
    vote_id: int
    file_format: Literal["csv", "xlsx"]


# --- officers: entering paper and on-site ballots ---------------------------------------------
# `how`: "p" a paper ballot, "o" one cast on site, "a" assisted (handlers/votes/assisting.py);
# `state` as the owner's ballot carries it


class OfficerVotes(ButtonData, prefix="vp:l"):
    """The votes whose paper ballots I am authorised to enter."""


class EnterBallots(ButtonData, prefix="vp:s"):
    """Begin entering the vote's ballots: scan, type a code, or pick from the roll."""

    vote_id: int


class RollPick(ButtonData, prefix="vp:p"):
    """The roll by place: a building's units, a unit's homes (place 0: the buildings)."""

    vote_id: int
    place_id: int
    page: int


class PickHome(ButtonData, prefix="vp:h"):
    """The ballot of the owner of this home."""

    vote_id: int
    household_id: int


class Entry(ButtonData, prefix="vp:e"):
    """A paper or on-site ballot being entered, with the answers so far."""

    vote_id: int
    owner_id: int
    how: Literal["p", "o", "a"]
    state: str


class EntryReview(ButtonData, prefix="vp:r"):
    vote_id: int
    owner_id: int
    how: Literal["p", "o", "a"]
    state: str


class EntryCast(ButtonData, prefix="vp:c"):
    vote_id: int
    owner_id: int
    how: Literal["p", "o", "a"]
    state: str


class Unsigned(ButtonData, prefix="vp:u"):
    """The ballot is not signed: to confirm recording it as invalid."""

    vote_id: int
    owner_id: int
    how: Literal["p", "o", "a"]


class UnsignedCast(ButtonData, prefix="vp:uc"):
    vote_id: int
    owner_id: int
    how: Literal["p", "o", "a"]
