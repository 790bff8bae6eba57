"""The reports' buttons: `rp:` for reporters, `rd:` for dispatchers and assignees. The data
is only a hint: every verb re-checks the report, the person and their scope."""

from __future__ import annotations

from typing import Literal

from bot.buttons import ButtonData

# --- reporters ------------------------------------------------------------------------------


class NewReport(ButtonData, prefix="rp:new"):
    """Begin a report (or continue my unfinished one)."""


class MyReports(ButtonData, prefix="rp:list"):
    """The reports I sent."""


class PhotosDone(ButtonData, prefix="rp:pd"):
    report_id: int


class Where(ButtonData, prefix="rp:b"):
    """The place tree of a draft, opened at a place (0: my places) and page."""

    report_id: int
    place_id: int
    page: int


class Here(ButtonData, prefix="rp:pl"):
    report_id: int
    place_id: int


class Category(ButtonData, prefix="rp:c"):
    report_id: int
    category_id: int


class NoDescription(ButtonData, prefix="rp:nd"):
    report_id: int


class Back(ButtonData, prefix="rp:e"):
    """From the confirmation back to a step."""

    report_id: int
    step: Literal["photos", "place", "category", "description"]


class Submit(ButtonData, prefix="rp:s"):
    report_id: int


class Cancel(ButtonData, prefix="rp:x"):
    report_id: int


class Show(ButtonData, prefix="rp:o"):
    """A report with its history (for whoever may see it)."""

    report_id: int


class Rate(ButtonData, prefix="rp:r"):
    """Accept the fix with this rating (1–5)."""

    report_id: int
    rating: int


class NotFixed(ButtonData, prefix="rp:nf"):
    """Reject the fix: asks what is still wrong, then reopens."""

    report_id: int


# --- dispatchers and assignees ----------------------------------------------------------------


class Card(ButtonData, prefix="rd:c"):
    """A report's dispatch buttons."""

    report_id: int


class AssignMenu(ButtonData, prefix="rd:am"):
    report_id: int


class ToDepartment(ButtonData, prefix="rd:ad"):
    report_id: int
    department_id: int


class ToPerson(ButtonData, prefix="rd:ap"):
    report_id: int
    person_id: int


class DeadlineMenu(ButtonData, prefix="rd:dm"):
    report_id: int


class Deadline(ButtonData, prefix="rd:d"):
    report_id: int
    days: int


class RejectMenu(ButtonData, prefix="rd:rm"):
    report_id: int


class Reject(ButtonData, prefix="rd:r"):
    report_id: int
    reason: Literal["duplicate", "not_ours", "not_enough"]


class Start(ButtonData, prefix="rd:st"):
    report_id: int


class MarkFixed(ButtonData, prefix="rd:f"):
    """Asks for the "after" photo, then marks the report fixed."""

    report_id: int
