"""The notice's buttons, one codec each, with the callback data they have always carried."""

from __future__ import annotations

from typing import Literal

from bot.buttons import ButtonData
from models.notices import Target
from models.people import Tag


class NewNotice(ButtonData, prefix="nt:new"):
    """Start a notice (from the menu or the list)."""


class ListNotices(ButtonData, prefix="nl"):
    """Recent notices: mine to follow (staff) or those I was sent."""


# --- the composer: each carries the draft's id ----------------------------------------------


class Discard(ButtonData, prefix="nt:x"):
    notice_id: int


class Area(ButtonData, prefix="nt:d"):
    """Open a place in the area picker (at a page of its parts)."""

    notice_id: int
    place_id: int
    page: int


class PlaceChosen(ButtonData, prefix="nt:p"):
    notice_id: int
    place_id: int


class ChangeWho(ButtonData, prefix="nt:who"):
    notice_id: int


class TagGroups(ButtonData, prefix="nt:tags"):
    notice_id: int


class TargetChosen(ButtonData, prefix="nt:t"):
    notice_id: int
    target: Target


class TagChosen(ButtonData, prefix="nt:g"):
    notice_id: int
    tag: Tag


class Pin(ButtonData, prefix="nt:pin"):
    notice_id: int


class Urgent(ButtonData, prefix="nt:urg"):
    """Mark the draft urgent, or not (it goes in quiet hours too)."""

    notice_id: int


class OwnText(ButtonData, prefix="nt:l"):
    """Add the text for readers of one language."""

    notice_id: int
    language: Literal["zh_CN", "en"]


class ScheduleMenu(ButtonData, prefix="nt:s"):
    notice_id: int


class TypeTime(ButtonData, prefix="nt:type"):
    notice_id: int


class SendAt(ButtonData, prefix="nt:at"):
    notice_id: int
    at: int  # a Unix timestamp


class BackToPreview(ButtonData, prefix="nt:pv"):
    notice_id: int


class SendNow(ButtonData, prefix="nt:go"):
    notice_id: int


# --- after it is sent -----------------------------------------------------------------------


class Cancel(ButtonData, prefix="nt:c"):
    """Cancel a scheduled or running notice."""

    notice_id: int


class GotIt(ButtonData, prefix="na"):
    """A recipient's "Got it"."""

    notice_id: int


class Status(ButtonData, prefix="ns"):
    """Delivery and acknowledgements per building."""

    notice_id: int


class Remind(ButtonData, prefix="ns"):
    """Remind those who have not pressed "Got it" (`ns:{id}:remind`)."""

    notice_id: int
    action: Literal["remind"]


# --- until when it is current (#13) ---------------------------------------------------------


class ValidMenu(ButtonData, prefix="nt:v"):
    """Offer until when the draft stays current."""

    notice_id: int


class ValidUntil(ButtonData, prefix="nt:vu"):
    notice_id: int
    at: int  # a Unix timestamp; 0: until it is cancelled


class OpenNotice(ButtonData, prefix="no"):
    """Show a notice I was sent, or one current for my places (sent before I joined)."""

    notice_id: int
