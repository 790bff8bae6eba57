"""The pledges' buttons: `pl:` for residents, `pa:` for staff and grid workers. The data is
only a hint (which pledge, which version was read); every verb re-checks on the server."""

from __future__ import annotations

from typing import Literal

from bot.buttons import ButtonData
from models.pledges import Step

# --- residents --------------------------------------------------------------------------------


class MyPledges(ButtonData, prefix="pl:list"):
    """The open pledges for my places."""


class Read(ButtonData, prefix="pl:r"):
    pledge_id: int


Language = Literal["zh_CN", "en"]  # the language of the text read (models.pledges.PRIMARY…)


class Sign(ButtonData, prefix="pl:s"):
    """"I agree and sign" under the text of `version` in `language`: asks to confirm."""

    pledge_id: int
    version: int
    language: Language = "zh_CN"


class Confirm(ButtonData, prefix="pl:c"):
    pledge_id: int
    version: int
    language: Language = "zh_CN"


class NotNow(ButtonData, prefix="pl:x"):
    pledge_id: int


# --- staff: the list and a draft ------------------------------------------------------------


class AllPledges(ButtonData, prefix="pa:list"):
    """The pledges I may follow, and "New pledge"."""


class NewDraft(ButtonData, prefix="pa:new"):
    zero: int  # (always 0: "pa:new:0")


class BodyDone(ButtonData, prefix="pa:bd"):
    pledge_id: int


class NoAttachment(ButtonData, prefix="pa:na"):
    pledge_id: int


class Translate(ButtonData, prefix="pa:tr"):
    """Write the pledge's text in another language (a draft's, or an open one's)."""

    pledge_id: int
    language: Literal["en"] = "en"


class TranslationDone(ButtonData, prefix="pa:td"):
    pledge_id: int


class TranslationCancel(ButtonData, prefix="pa:tc"):
    pledge_id: int


class OpenPlace(ButtonData, prefix="pa:sp"):
    """Open a place in the scope picker to choose something under it."""

    pledge_id: int
    place_id: int
    page: int = 0


class ChoosePlace(ButtonData, prefix="pa:sc"):
    pledge_id: int
    place_id: int


SignerCode = Literal["r", "h", "o", "l"]


class ChooseSigners(ButtonData, prefix="pa:sg"):
    pledge_id: int
    code: SignerCode


class CloseIn(ButtonData, prefix="pa:dt"):
    """Signing open for this many days (one of the presets)."""

    pledge_id: int
    days: int


class GoTo(ButtonData, prefix="pa:go"):
    """Back from the preview to a step."""

    pledge_id: int
    step: Step


class Discard(ButtonData, prefix="pa:cx"):
    pledge_id: int


class Publish(ButtonData, prefix="pa:pub"):
    pledge_id: int


# --- staff: following a published pledge ----------------------------------------------------


class Manage(ButtonData, prefix="pa:m"):
    pledge_id: int


class Progress(ButtonData, prefix="pa:pg"):
    """Progress under a place (0: my part of the pledge), its first page."""

    pledge_id: int
    node_id: int

    @property
    def page(self) -> int:
        return 0


class ProgressPage(ButtonData, prefix="pa:pg"):
    pledge_id: int
    node_id: int
    page: int


class Remind(ButtonData, prefix="pa:rm"):
    pledge_id: int


class AssistList(ButtonData, prefix="pa:as"):
    """Whom to sign for, a page at a time."""

    pledge_id: int
    page: int


class AssistPick(ButtonData, prefix="pa:ap"):
    pledge_id: int
    person_id: int


class AssistConfirm(ButtonData, prefix="pa:ac"):
    pledge_id: int
    person_id: int
    version: int


class Export(ButtonData, prefix="pa:x"):
    pledge_id: int
    file_format: Literal["csv", "xlsx"]


class Poster(ButtonData, prefix="pa:qr"):
    """A QR poster; for one building, or (0) the whole pledge."""

    pledge_id: int
    building_id: int


# --- staff: changing a published pledge -----------------------------------------------------


class NewText(ButtonData, prefix="pa:ed"):
    pledge_id: int


class SaveText(ButtonData, prefix="pa:sv"):
    pledge_id: int


class AskResign(ButtonData, prefix="pa:rs"):
    pledge_id: int


class Extend(ButtonData, prefix="pa:xt"):
    pledge_id: int
    days: int


class AskClose(ButtonData, prefix="pa:cl"):
    pledge_id: int


class CloseNow(ButtonData, prefix="pa:cc"):
    pledge_id: int
