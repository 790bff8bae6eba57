"""The buttons of door-knocking and assisted voting (`vk:`), for the community office: the
open votes I may knock for, a vote's buildings in my part, a building's not-voted list, one
home's door (its state, assisting its owner), and the list's export. Only hints: every verb
re-checks the vote, the home and the person's role over it (models/votes/knocks.py)."""

from __future__ import annotations

from typing import Literal

from bot.buttons import ButtonData

KnockState = Literal["none", "not-reached", "refused", "online", "paper"]


class KnockVotes(ButtonData, prefix="vk:l"):
    """The open votes with homes I may knock on."""


class Knocking(ButtonData, prefix="vk:v"):
    """A vote's buildings in my part, with how many have voted."""

    vote_id: int


class KnockIn(ButtonData, prefix="vk:b"):
    """A building's owners who have not voted, a button each (building 0: all my part)."""

    vote_id: int
    building_id: int
    page: int


class KnockDoor(ButtonData, prefix="vk:d"):
    """One home's door: what knocking found, and assisting its owner."""

    vote_id: int
    household_id: int


class KnockSet(ButtonData, prefix="vk:s"):
    vote_id: int
    household_id: int
    state: KnockState


class KnockExport(ButtonData, prefix="vk:x"):
    """The not-voted list with its door-knock states (building 0: all my part)."""

    vote_id: int
    building_id: int
    file_format: Literal["csv", "xlsx"]


class Assist(ButtonData, prefix="vk:a"):
    """Begin an assisted ballot for the home's owner: the proxy's photo is asked for."""

    vote_id: int
    household_id: int
