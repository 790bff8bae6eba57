"""Translated names for the domain's enums, so every screen uses the same words (DOMAIN.md)."""

from __future__ import annotations

from bot.i18n import N_, Translator
from models.estates import Body
from models.notices import Target
from models.people import MembershipStatus, Relation, Role, Tag

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
BODIES = {
    Body.COMMITTEE: N_("Owners' committee"),
    Body.PREPARATORY: N_("Preparatory group"),
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


def body(_: Translator, value: str) -> str:
    """An estate's owners' committee (业主委员会) or preparatory group (筹备组)."""
    return _(BODIES[Body(value)])


def status(_: Translator, value: str) -> str:
    return _(STATUSES[MembershipStatus(value)])

TARGETS = {
    Target.ALL: N_("All residents"),
    Target.OWNERS: N_("Owners only"),
    Target.TENANTS: N_("Tenants only"),
    Target.VOLUNTEERS: N_("Volunteers"),
    Target.TAG: N_("A group of people"),
}
TAGS = {
    Tag.ELDERLY_ALONE: N_("Elderly living alone"),
    Tag.ELDERLY: N_("Elderly"),
    Tag.UNEMPLOYED: N_("Unemployed"),
    Tag.DISABLED: N_("People with disabilities"),
    Tag.PARTY_MEMBER: N_("Party members"),
    Tag.LANDLORD: N_("Landlords"),
}
