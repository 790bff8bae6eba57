"""The polls' buttons: `pr:` for residents, `pw:` for those who run polls (staff and grid
workers). The data is only a hint: every verb re-checks the poll, the person and their scope.

An answer being chosen lives in its buttons, not in a table: `chosen` is a bit mask of the
options ticked so far (option n is bit n-1), so "pr:p:12:0:5" is poll 12 with options 1 and 3
ticked; `home` is the household the answer counts for (0: the only one, or the person's own
vote). A mask naming an option the poll does not have is refused as stale.
"""

from __future__ import annotations

from typing import Literal

from bot.buttons import ButtonData
from models.participation import Unit

# --- residents ------------------------------------------------------------------------------


class MyPolls(ButtonData, prefix="pr:list"):
    """The polls of my homes (and, for staff and grid workers, the way to the polls I run)."""


class OpenPoll(ButtonData, prefix="pr:o"):
    """A poll as a resident meets it: the question to answer, my answer, or the result."""

    poll_id: int


class ForHome(ButtonData, prefix="pr:h"):
    """Answer for this household (someone with several homes under a household poll)."""

    poll_id: int
    home: int


class Pick(ButtonData, prefix="pr:p"):
    """The answer with these options ticked (shown in place)."""

    poll_id: int
    home: int
    chosen: int


class Send(ButtonData, prefix="pr:s"):
    poll_id: int
    home: int
    chosen: int


class Result(ButtonData, prefix="pr:r"):
    poll_id: int


class Chart(ButtonData, prefix="pr:ch"):
    """The result as a chart (PNG): a bar per option."""

    poll_id: int


# --- running polls: the list and a draft ----------------------------------------------------


class Polls(ButtonData, prefix="pw:list"):
    """The polls I run, and "New poll"."""


class NewPoll(ButtonData, prefix="pw:new"):
    zero: int  # (always 0)


class Browse(ButtonData, prefix="pw:b"):
    """The place picker of a draft, opened at a place (0: my places) and page."""

    poll_id: int
    place_id: int
    page: int


class ChoosePlace(ButtonData, prefix="pw:c"):
    poll_id: int
    place_id: int


class DropOption(ButtonData, prefix="pw:do"):
    poll_id: int
    number: int


class OptionsDone(ButtonData, prefix="pw:od"):
    poll_id: int


class Edit(ButtonData, prefix="pw:e"):
    """Back from the preview to a step: whom it asks, the question, the options."""

    poll_id: int
    step: Literal["place", "question", "options"]


class Counting(ButtonData, prefix="pw:u"):
    poll_id: int
    unit: Unit


class Named(ButtonData, prefix="pw:n"):
    poll_id: int
    anonymous: Literal["y", "n"]


class Several(ButtonData, prefix="pw:m"):
    poll_id: int
    multiple: Literal["y", "n"]


class CloseIn(ButtonData, prefix="pw:ci"):
    poll_id: int
    days: int  # 0: no closing day


class Turnout(ButtonData, prefix="pw:t"):
    poll_id: int
    percent: int  # 0: no minimum


class Publish(ButtonData, prefix="pw:pub"):
    poll_id: int


class Discard(ButtonData, prefix="pw:x"):
    poll_id: int


# --- running polls: following one -----------------------------------------------------------


class Manage(ButtonData, prefix="pw:mg"):
    poll_id: int


class Progress(ButtonData, prefix="pw:pg"):
    poll_id: int


class Remind(ButtonData, prefix="pw:rm"):
    poll_id: int


class CloseAsk(ButtonData, prefix="pw:ca"):
    poll_id: int


class CloseNow(ButtonData, prefix="pw:cn"):
    poll_id: int


class PublishResult(ButtonData, prefix="pw:pr"):
    poll_id: int


class Export(ButtonData, prefix="pw:ex"):
    """Who answered what (a named poll, once closed) or who has not answered, as a file."""

    poll_id: int
    what: Literal["answers", "missing"]
    file_format: Literal["csv", "xlsx"]
