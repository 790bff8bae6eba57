"""Translated names for the domain's enums, so every screen uses the same words (DOMAIN.md)."""

from __future__ import annotations

from bot.i18n import N_, Translator
from models.people import MembershipStatus, Relation, Role

RELATIONS = {
    Relation.OWNER: N_("Owner"),
    Relation.TENANT: N_("Tenant"),
    Relation.FAMILY: N_("Family member"),
}
ROLES = {
    Role.RESIDENT: N_("Resident"),
    Role.VOLUNTEER: N_("Volunteer"),
    Role.GRID_WORKER: N_("Grid worker"),
    Role.STAFF: N_("Staff"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.DEPARTMENT: N_("Department"),
}
STATUSES = {
    MembershipStatus.PENDING: N_("waiting for approval"),
    MembershipStatus.APPROVED: N_("approved"),
    MembershipStatus.REJECTED: N_("not approved"),
}


def relation(_: Translator, value: str) -> str:
    return _(RELATIONS[Relation(value)])


def role(_: Translator, value: str) -> str:
    return _(ROLES[Role(value)])


def status(_: Translator, value: str) -> str:
    return _(STATUSES[MembershipStatus(value)])
