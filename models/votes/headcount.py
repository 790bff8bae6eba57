"""Headcount (业主人数): the roll's owners from its households, as art. 9 of the Supreme People's
Court's interpretation on building ownership counts them. Pure Python, like the tally."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.votes.tally import RollOwner

DEVELOPER = "developer"  # the key of the developer's households, together one owner


@dataclass(frozen=True)
class Household:
    """A household (户) as the roll sees it: its exclusive area, the owner reference from the
    property register (households with the same one belong to one buyer), and whether it is
    the developer's (unsold, or sold and not delivered)."""

    key: str
    area: int
    owner_ref: str | None = None
    developer: bool = False
    voted: bool = False
    # its approved owners in linli as one sorted key ("3,17"): without an owner reference,
    # households with the same owners are one buyer's
    owners: str | None = None


def owners_of(households: Sequence[Household]) -> list[RollOwner]:
    """The roll's owners by art. 9 of the building-ownership interpretation: each household is
    one owner (its co-owners too), a buyer's households (the same owner reference, or without
    one the same approved owners) are one owner with the areas added,
    and the developer's households are together one. An owner voted if any household did."""
    groups: dict[str, list[Household]] = {}
    for household in households:
        key = (DEVELOPER if household.developer else
               f"owner:{household.owner_ref}" if household.owner_ref else
               f"owners:{household.owners}" if household.owners else
               f"household:{household.key}")
        groups.setdefault(key, []).append(household)
    return [RollOwner(key, tuple(h.key for h in group), sum(h.area for h in group),
                      any(h.voted for h in group)) for key, group in groups.items()]
