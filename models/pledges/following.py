"""Following a pledge: progress per building and unit, who has not signed, reminders to exactly
them, and the rows of an export — each within what the viewer may see (a grid worker sees their
grid of a community-wide pledge; staff over the pledge's place see all of it).

Built from the shared participation parts (models/participation/): the pledge's `Duty` says
who must sign, its signatures are who has acted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import audit, participation
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed
from models.outbox_owed import by_object, declare_done_check
from models.participation import Tally, UnitProgress, tally_by_child, under
from models.people import Membership, MembershipStatus, Person
from models.places import (
    Place,
    PlaceKind,
    ancestors,
    get_place,
    join_names,
    label,
    label_of,
)
from models.pledges.core import (
    REMINDER,
    Pledge,
    Signers,
    duty_of,
    get_pledge,
    place_of,
    viewer_paths,
    where,
)
from models.pledges.signatures import Signature
from models.pledges.signing import signatures_of
from models.schedule import DueItem

__all__ = ["Tally", "UnitProgress", "tally_by_child"]
NOT_SIGNED_SHOWN = 40  # names listed under a building's or unit's progress


async def non_signers(
    session: AsyncSession, *, pledge: Pledge, paths: Sequence[str], limit: int | None = None,
    language: str = "zh_CN",
) -> Sequence[Row[Any]]:
    """Who has not signed under `paths`: rows of (person_id, name, chat_id, household_id, room,
    unit, building; places named for a reader of `language`). Rows, not ORM objects or
    dataclasses: at district scale this is 60,000."""
    return await participation.not_acted(session, duty_of(pledge, paths), signatures_of(pledge),
                                         limit=limit, language=language)


async def progress(
    session: AsyncSession, *, pledge: Pledge, paths: Sequence[str], language: str = "zh_CN",
) -> list[UnitProgress]:
    """Per unit: how many signing units there are and how many have signed."""
    return await participation.progress(session, duty_of(pledge, paths), signatures_of(pledge),
                                        language=language)


async def totals(
    session: AsyncSession, *, pledge: Pledge, paths: Sequence[str]
) -> tuple[int, int]:
    """(should sign, have signed) under `paths`, each signer counted once."""
    return await participation.totals(session, duty_of(pledge, paths), signatures_of(pledge))


@dataclass(frozen=True)
class Summary:
    pledge: Pledge
    where: str
    expected: int
    signed: int


async def summary(session: AsyncSession, *, pledge: Pledge, by: Person | None,
                  language: str | None = None) -> Summary:
    """The pledge's tally in the viewer's part of it (None: all of it, for its author's final
    report), its place named for a reader of `language` (default: the viewer's)."""
    paths = (await viewer_paths(session, by, pledge) if by is not None
             else [(await place_of(session, pledge)).path])
    expected, signed = await totals(session, pledge=pledge, paths=paths)
    language = language or (by.language if by is not None else "zh_CN")
    return Summary(pledge, await where(session, pledge, language=language), expected, signed)


@dataclass(frozen=True)
class ProgressReport:
    pledge: Pledge
    node: Place
    where: str
    tallies: list[Tally]
    missing: Sequence[Row[Any]]  # at building or unit level, up to NOT_SIGNED_SHOWN + 1
    expected: int
    signed: int
    households: int  # what the tallies add up to
    households_done: int
    up: int | None = None  # the node one level up within the viewer's part (None: at its top)


def _up(node: Place, viewed: Sequence[str]) -> int | None:
    """The node's parent when the viewer may see it too: Back goes up one level, a building's
    to its grid, until the top of what the viewer follows."""
    if node.path in viewed or node.parent_id is None:
        return None
    parent_path = node.path[:node.path.rstrip("/").rfind("/") + 1]
    return node.parent_id if any(parent_path.startswith(p) for p in viewed) else None


async def progress_report(session: AsyncSession, *, pledge_id: int, by: Person,
                          node_id: int) -> ProgressReport:
    """Progress under a node (0: my part of the pledge), per child place, and at building or
    unit level the first of those who have not signed."""
    pledge = await get_pledge(session, pledge_id)
    paths = viewed = await viewer_paths(session, by, pledge)
    if node_id:
        node = await get_place(session, node_id)
        if not any(node.path.startswith(p) for p in paths):
            raise NotAllowed()
        paths = [node.path]
    else:
        node = await get_place(session, int(paths[0].strip("/").split("/")[-1]))
    language = by.language
    units = await progress(session, pledge=pledge, paths=paths, language=language)
    tallies = await tally_by_child(session, units, node, language=language)
    missing: Sequence[Row[Any]] = []
    if node.kind in (PlaceKind.BUILDING, PlaceKind.UNIT):
        missing = await non_signers(session, pledge=pledge, paths=paths,
                                    limit=NOT_SIGNED_SHOWN + 1, language=language)
    # each signer once (a person with homes in two buildings is one), and their households:
    # what the tallies (households) add up to
    count = await participation.headcount(session, duty_of(pledge, paths),
                                          signatures_of(pledge))
    where_ = await label_of(session, node, language=language)
    return ProgressReport(pledge, node, where_, tallies, missing, count.expected, count.acted,
                          count.households, count.households_done, up=_up(node, viewed))


async def assist_choices(session: AsyncSession, *, pledge_id: int, by: Person,
                         limit: int = 240) -> tuple[Pledge, Sequence[Row[Any]]]:
    """Whom `by` may sign for: those in their part of the pledge who have not signed."""
    pledge = await get_pledge(session, pledge_id)
    paths = await viewer_paths(session, by, pledge)
    return pledge, await non_signers(session, pledge=pledge, paths=paths, limit=limit,
                                     language=by.language)


async def poster_target(session: AsyncSession, *, pledge_id: int, by: Person,
                        building_id: int) -> tuple[Pledge, str, str]:
    """(pledge, where, deep-link payload) of a QR poster, for one building if given."""
    pledge = await get_pledge(session, pledge_id)
    paths = await viewer_paths(session, by, pledge)
    place = await where(session, pledge, language=by.language)
    start = f"pledge_{pledge.id}"
    if building_id:
        building = await get_place(session, building_id)
        if not any(building.path.startswith(p) for p in paths):
            raise NotAllowed()
        place = label(await ancestors(session, building), language=by.language)
        start += f"_{building_id}"
    return pledge, place, start


# --- reminders --------------------------------------------------------------------------------


async def remind_non_signers(
    session: AsyncSession, *, pledge_id: int, by: Person | None, now: dt.datetime | None = None,
) -> int:
    """Remind everyone in the viewer's part of the pledge who has not signed (None: all of
    it, for the automatic reminders), skipping those reminded in the last day. Returns count."""
    now = now or utcnow()
    pledge = await get_pledge(session, pledge_id)
    if by is not None:
        paths = await viewer_paths(session, by, pledge)
    else:
        paths = [(await place_of(session, pledge)).path]
    if not pledge.is_open(now):
        raise Conflict(N_("This pledge is closed."))
    sent = await _remind(session, pledge, paths, now, by)
    if by is not None:
        audit.record(session, actor_id=by.id, action="pledge.remind", subject="pledge",
                     subject_id=pledge.id, place_id=pledge.place_id, reminded=sent)
    await session.commit()
    return sent


remind = remind_non_signers  # (the name tests know)


async def _remind(session: AsyncSession, pledge: Pledge, paths: Sequence[str],
                  now: dt.datetime, by: Person | None) -> int:
    return await participation.remind(
        session, duty_of(pledge, paths), signatures_of(pledge), subject="pledge",
        subject_id=pledge.id, kind=REMINDER, payload={"pledge_id": pledge.id},
        topic=f"pledge:{pledge.id}", by_id=by.id if by else None, now=now)


async def auto_remind(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect: the scheduled reminder before closing, unless the pledge changed."""
    pledge = await session.get(Pledge, item.ref_id or 0)
    if pledge is None or not pledge.is_open(now) or pledge.closes_at is None:
        return
    if item.payload.get("closes_at") != pledge.closes_at.isoformat():
        return  # extended or shortened since: a fresh item was scheduled for the new date
    # written in run_due's transaction: the item is done exactly when its reminders exist
    await _remind(session, pledge, [(await place_of(session, pledge)).path], now, None)


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRow:
    name: str
    household: str
    version: int
    language: str
    text_hash: str
    signed_at: dt.datetime
    how: str
    assisted_by: str | None
    code: str


async def signature_rows(
    session: AsyncSession, *, pledge_id: int, by: Person
) -> tuple[Pledge, list[SignatureRow]]:
    """Every signature in the viewer's part of the pledge, oldest first, for CSV/XLSX."""
    pledge = await get_pledge(session, pledge_id)
    paths = await viewer_paths(session, by, pledge)
    household, unit, building, grid, community = (aliased(Place) for _ in range(5))
    assister = aliased(Person)
    stmt = (
        select(Person.name, community.name, community.name_en, building.name, building.name_en,
               unit.name, unit.name_en, household.name, household.name_en,
               Signature.version, Signature.language, Signature.text_hash,
               Signature.signed_at, Signature.how, assister.name, Signature.code)
        .select_from(Signature)
        .join(Person, Person.id == Signature.person_id)
        .join(household, household.id == Signature.household_id)
        .join(unit, unit.id == household.parent_id)
        .join(building, building.id == unit.parent_id)
        .join(grid, grid.id == building.parent_id)
        .join(community, community.id == grid.parent_id)
        .outerjoin(assister, assister.id == Signature.assisted_by_id)
        .where(Signature.pledge_id == pledge.id, under(paths, household.path))
        .order_by(Signature.signed_at, Signature.id)
    )
    rows = [SignatureRow(name, join_names([(c, c_en), (b, b_en), (u, u_en), (h, h_en)],
                                          by.language), version, language, digest, at, how,
                         helper, code)
            for name, c, c_en, b, b_en, u, u_en, h, h_en, version, language, digest, at, how,
            helper, code
            in (await session.execute(stmt)).all()]
    return pledge, rows


async def export_signatures(
    session: AsyncSession, *, pledge_id: int, by: Person, file_format: str
) -> tuple[Pledge, list[SignatureRow]]:
    """The signatures for a download: personal data leaving the system, so audited."""
    pledge, rows = await signature_rows(session, pledge_id=pledge_id, by=by)
    audit.record(session, actor_id=by.id, action="pledge.export", subject="pledge",
                 subject_id=pledge.id, place_id=pledge.place_id, rows=len(rows),
                 format=file_format)
    await session.commit()
    return pledge, rows


async def _signed(session: AsyncSession,
                  rows: Sequence[tuple[int, dict[str, Any]]]) -> set[int]:
    """Of the people a batch of reminders is for, those covered by a signature made since
    they were queued: their own, or for one-per-household pledges their household's."""
    done: set[int] = set()
    for pledge_id, people in by_object(rows, "pledge_id").items():
        pledge = await session.get(Pledge, pledge_id)
        if pledge is None:
            continue
        if Signers(pledge.signers).per_household:
            signed = select(Signature.household_id).where(Signature.pledge_id == pledge_id)
            stmt = select(Membership.person_id).where(
                Membership.person_id.in_(people), Membership.household_id.in_(signed),
                Membership.status == MembershipStatus.APPROVED)
        else:
            stmt = select(Signature.person_id).where(Signature.pledge_id == pledge_id,
                                                     Signature.person_id.in_(people))
        done |= set(await session.scalars(stmt))
    return done


declare_done_check(REMINDER, _signed)
