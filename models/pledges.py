"""Pledges (承诺书): staff write one step by step, publish it to the residents of a place, and
edit, extend or close it; residents sign it (see `pledge_signing`), staff follow who has not
(see `pledge_progress`).

A draft is a `pledge` row with status `draft` whose `step` says which input it waits for, so the
multi-step dialog survives a restart and any process can serve the next message. Every service
re-checks the author's role over the pledge's place, whatever the button said. The text signed is
identified by a version number and a SHA-256 hash of title and body; each published text is kept
in `pledge_version`, so a signature always points at the words the person agreed to.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audience import Audience, count, enqueue_all
from models.base import ID, Base, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.outbox import enqueue
from models.people import Person, Relation
from models.permissions import MANAGERS, places_with_role, require_role
from models.places import Place, PlaceKind, get_place
from models.schedule import DueItem, DueStatus, schedule
from models.telegram_limits import check_file_size, utf16_len

SCOPE_KINDS = (PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING,
               PlaceKind.UNIT)
AUTO_REMIND = "pledge.auto_remind"
# Automatic reminders before closing (the "three days and one day before").
AUTO_REMIND_BEFORE = (dt.timedelta(days=3), dt.timedelta(days=1))
CLOSING_REPORT = "pledge.closing_report"  # due item: the final tally to the author at closing
# in UTF-16 units, as every text limit (see telegram_limits); 200 units fit the column
MAX_TITLE = 200
MAX_BODY = 30_000


class PledgeStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"  # closed early by staff; an open pledge past closes_at is closed too
    CANCELLED = "cancelled"  # a draft thrown away


class Signers(enum.StrEnum):
    """Who signs: each signing unit is a person, or a household (户) signed by one member."""

    RESIDENT = "resident"  # every registered resident
    HOUSEHOLD = "household"  # one per household
    OWNER = "owner"  # owners (业主) only
    LANDLORD = "landlord"  # owners of households with a tenant, one per rented household

    @property
    def per_household(self) -> bool:
        return self in (Signers.HOUSEHOLD, Signers.LANDLORD)


class Step(enum.StrEnum):
    """What a draft (or an open pledge being edited) waits for next."""

    TITLE = "title"
    BODY = "body"
    ATTACHMENT = "attachment"
    SCOPE = "scope"
    SIGNERS = "signers"
    DATES = "dates"
    PREVIEW = "preview"
    EDIT = "edit"  # new text for a published pledge, collected in `pending_body`


TEXT_STEPS = (Step.TITLE, Step.BODY, Step.DATES, Step.EDIT)


class Pledge(Base):
    """A pledge (承诺书) over a place, with who must sign it and until when."""

    __tablename__ = "pledge"
    __table_args__ = (Index("ix_pledge_status_closes_at", "status", "closes_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"),
                                                 index=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[str | None] = mapped_column(String(255))  # a Telegram file id
    attachment_kind: Mapped[str | None] = mapped_column(String(16))  # "photo" or "document"
    signers: Mapped[Signers] = mapped_column(String(16), default=Signers.HOUSEHOLD)
    status: Mapped[PledgeStatus] = mapped_column(String(16), default=PledgeStatus.DRAFT)
    step: Mapped[Step | None] = mapped_column(String(16))
    pending_body: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=0)
    text_hash: Mapped[str] = mapped_column(String(64), default="")
    opens_at: Mapped[dt.datetime | None]
    closes_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # whose next typed message goes to `step` (the author of a draft, or the editor)
    step_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]

    def is_open(self, now: dt.datetime) -> bool:
        return (self.status == PledgeStatus.OPEN and self.closes_at is not None
                and now < self.closes_at)

    def ended_at(self) -> dt.datetime | None:
        """When signing ended: closed early, or the planned closing time."""
        return self.closed_at or self.closes_at


class PledgeVersion(Base):
    """One published text of a pledge; signatures name the version and its hash."""

    __tablename__ = "pledge_version"
    __table_args__ = (UniqueConstraint("pledge_id", "number"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    body: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


def text_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def audience_of(pledge: Pledge, path: str) -> Audience:
    """Who is told about the pledge under `path`: everyone who may sign for a signing unit.

    For one-per-household pledges every member hears of it (any of them may sign for the
    household; the first signature counts), so reminders can reach the same people.
    """
    signers = Signers(pledge.signers)
    if signers == Signers.OWNER:
        return Audience(path, relations=(Relation.OWNER,))
    if signers == Signers.LANDLORD:
        return Audience(path, landlords=True)
    return Audience(path)


# --- loading and authorisation ----------------------------------------------------------------


async def get_pledge(session: AsyncSession, pledge_id: int) -> Pledge:
    pledge = await session.get(Pledge, pledge_id)
    if pledge is None or pledge.status == PledgeStatus.CANCELLED:
        raise NotFound(N_("This pledge no longer exists."))
    return pledge


async def place_of(session: AsyncSession, pledge: Pledge) -> Place:
    if pledge.place_id is None:
        raise Invalid(N_("Choose where the pledge applies first."))
    return await get_place(session, pledge.place_id)


async def require_manager(session: AsyncSession, person: Person, pledge: Pledge) -> Place:
    """Staff or a grid worker over the pledge's place (a draft: its author)."""
    if pledge.status == PledgeStatus.DRAFT and pledge.place_id is None:
        if pledge.created_by_id != person.id:
            raise NotAllowed()
        raise Invalid(N_("Choose where the pledge applies first."))
    place = await place_of(session, pledge)
    await require_role(session, person_id=person.id, place=place, roles=MANAGERS)
    return place


async def manager_places(session: AsyncSession, person_id: int) -> list[Place]:
    """The places where the person may write pledges (their staff and grid worker grants)."""
    return await places_with_role(session, person_id=person_id, roles=MANAGERS)


async def _draft(session: AsyncSession, pledge_id: int, author: Person) -> Pledge:
    pledge = await get_pledge(session, pledge_id)
    if pledge.status != PledgeStatus.DRAFT:
        raise Conflict(N_("This pledge is already published."))
    if pledge.created_by_id != author.id:
        raise NotAllowed()
    if not await manager_places(session, author.id):
        raise NotAllowed(N_("Only staff and grid workers can write pledges."))
    return pledge


# --- writing a draft --------------------------------------------------------------------------


async def start_draft(session: AsyncSession, *, author: Person) -> tuple[Pledge, bool]:
    """Begin a pledge, or resume the author's unfinished draft. Returns (draft, resumed)."""
    if not await manager_places(session, author.id):
        raise NotAllowed(N_("Only staff and grid workers can write pledges."))
    existing = await session.scalar(
        select(Pledge).where(Pledge.created_by_id == author.id,
                             Pledge.status == PledgeStatus.DRAFT).order_by(Pledge.id.desc()))
    if existing is not None:
        return existing, True
    pledge = Pledge(created_by_id=author.id, step_by_id=author.id, status=PledgeStatus.DRAFT,
                    step=Step.TITLE, title="", body="", signers=Signers.HOUSEHOLD, version=0,
                    text_hash="")
    session.add(pledge)
    await session.commit()
    return pledge, False


async def waiting_for_text(session: AsyncSession, person_id: int) -> Pledge | None:
    """The author's pledge whose current step takes typed text, if any."""
    return await session.scalar(
        select(Pledge).where(Pledge.step_by_id == person_id, Pledge.step.in_(TEXT_STEPS),
                             Pledge.status.in_((PledgeStatus.DRAFT, PledgeStatus.OPEN)))
        .order_by(Pledge.id.desc()))


def parse_date(text: str, tz: dt.tzinfo) -> dt.datetime:
    """YYYY-MM-DD → the end of that day in the community's time zone."""
    try:
        day = dt.date.fromisoformat(text.strip())
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # not a date, or one at the calendar's very edge
        raise Invalid(N_("Please send a date as YYYY-MM-DD, e.g. 2026-12-31.")) from None


async def add_text(
    session: AsyncSession, *, author: Person, text: str, tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
) -> Pledge:
    """Apply a typed message to the step that waits for it (title, body, date, new text)."""
    pledge = await waiting_for_text(session, author.id)
    if pledge is None:
        raise NotFound(N_("No pledge is waiting for text."))
    text = text.strip()
    if not text:
        raise Invalid()
    if pledge.step == Step.TITLE:
        if utf16_len(text) > MAX_TITLE:
            raise Invalid(N_("The title is too long (at most {limit} characters)."),
                          limit=MAX_TITLE)
        pledge.title = text
        pledge.step = Step.BODY if not pledge.body else Step.PREVIEW
    elif pledge.step == Step.BODY:
        pledge.body = _append(pledge.body, text)
    elif pledge.step == Step.EDIT:
        pledge.pending_body = _append(pledge.pending_body or "", text)
    elif pledge.step == Step.DATES:
        await _set_closing(pledge, parse_date(text, tz), now or utcnow())
    await session.commit()
    return pledge


def _append(body: str, text: str) -> str:
    # A long pledge arrives in several messages (Telegram caps one at 4,096 UTF-16 units).
    joined = f"{body}\n\n{text}" if body else text
    if utf16_len(joined) > MAX_BODY:
        raise Invalid(N_("The text is too long (at most {limit} characters)."), limit=MAX_BODY)
    return joined


async def finish_body(session: AsyncSession, *, pledge_id: int, author: Person) -> Pledge:
    pledge = await _draft(session, pledge_id, author)
    if not pledge.body.strip():
        raise Invalid(N_("Send the text of the pledge first."))
    pledge.step = Step.ATTACHMENT if pledge.place_id is None else Step.PREVIEW
    await session.commit()
    return pledge


async def set_attachment(
    session: AsyncSession, *, pledge_id: int, author: Person, file_id: str | None,
    kind: str | None, size: int | None = None,
) -> Pledge:
    """Attach a document or image of `size` bytes (None: no attachment), then ask for the
    scope."""
    pledge = await _draft(session, pledge_id, author)
    if kind not in (None, "photo", "document"):
        raise Invalid()
    check_file_size(size)
    pledge.attachment_id, pledge.attachment_kind = file_id, kind
    pledge.step = Step.SCOPE if pledge.place_id is None else Step.PREVIEW
    await session.commit()
    return pledge


async def attachment_step(session: AsyncSession, person_id: int) -> Pledge | None:
    return await session.scalar(
        select(Pledge).where(Pledge.created_by_id == person_id, Pledge.step == Step.ATTACHMENT,
                             Pledge.status == PledgeStatus.DRAFT))


async def set_scope(
    session: AsyncSession, *, pledge_id: int, author: Person, place_id: int
) -> Pledge:
    pledge = await _draft(session, pledge_id, author)
    place = await get_place(session, place_id)
    if place.kind not in SCOPE_KINDS:
        raise Invalid(N_("A pledge applies to a community, grid, building or unit."))
    await require_role(session, person_id=author.id, place=place, roles=MANAGERS)
    pledge.place_id = place.id
    pledge.step = Step.SIGNERS if pledge.closes_at is None else Step.PREVIEW
    await session.commit()
    return pledge


async def set_signers(
    session: AsyncSession, *, pledge_id: int, author: Person, signers: Signers
) -> Pledge:
    pledge = await _draft(session, pledge_id, author)
    pledge.signers = signers
    pledge.step = Step.DATES if pledge.closes_at is None else Step.PREVIEW
    await session.commit()
    return pledge


async def _set_closing(pledge: Pledge, closes_at: dt.datetime, now: dt.datetime) -> None:
    if closes_at <= now + dt.timedelta(hours=1):
        raise Invalid(N_("The closing date must be in the future."))
    pledge.closes_at = closes_at
    pledge.step = Step.PREVIEW


async def set_closing(
    session: AsyncSession, *, pledge_id: int, author: Person, closes_at: dt.datetime,
    now: dt.datetime | None = None,
) -> Pledge:
    pledge = await _draft(session, pledge_id, author)
    await _set_closing(pledge, closes_at, now or utcnow())
    await session.commit()
    return pledge


async def go_to_step(
    session: AsyncSession, *, pledge_id: int, author: Person, step: Step
) -> Pledge:
    """Go back to a step from the preview (change the title, the text, the scope…)."""
    pledge = await _draft(session, pledge_id, author)
    if step in (Step.EDIT,):
        raise Invalid()
    if step == Step.BODY:
        pledge.body = ""  # the text is sent again from the start
    pledge.step = step
    await session.commit()
    return pledge


async def cancel_draft(session: AsyncSession, *, pledge_id: int, author: Person) -> None:
    pledge = await _draft(session, pledge_id, author)
    pledge.status = PledgeStatus.CANCELLED
    pledge.step = None
    await session.commit()


def _ready(pledge: Pledge) -> None:
    if not pledge.title or not pledge.body or pledge.place_id is None or not pledge.closes_at:
        raise Invalid(N_("The pledge is not complete yet: it needs a title, a text, a place and "
                         "a closing date."))


async def audience_size(session: AsyncSession, pledge: Pledge) -> int:
    """How many people the published notice would reach (the preview's number)."""
    place = await place_of(session, pledge)
    return await count(session, audience_of(pledge, place.path))


# --- publishing and changing ------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    pledge: Pledge
    notified: int


def schedule_reminders(session: AsyncSession, pledge: Pledge, now: dt.datetime) -> None:
    """The automatic reminders before closing, and the final tally to the author at closing."""
    assert pledge.closes_at is not None
    # the closing time rides along: an extension makes these items stale, not wrong
    payload = {"closes_at": pledge.closes_at.isoformat()}
    for before in AUTO_REMIND_BEFORE:
        due = pledge.closes_at - before
        if due > now:
            schedule(session, kind=AUTO_REMIND, due_at=due, ref_id=pledge.id, payload=payload)
    if pledge.closes_at > now:
        _schedule_report(session, pledge)


def _schedule_report(session: AsyncSession, pledge: Pledge) -> None:
    assert pledge.closes_at is not None
    schedule(session, kind=CLOSING_REPORT, due_at=pledge.closes_at, ref_id=pledge.id,
             payload={"closes_at": pledge.closes_at.isoformat()})


async def report_closing(session: AsyncSession, pledge: Pledge) -> None:
    """Tell the author that signing has ended, with the final tally (an outbox row in the
    caller's transaction). An author who has since left, or no longer manages the pledge's
    place, gets nothing."""
    author = await session.get(Person, pledge.created_by_id) if pledge.created_by_id else None
    if author is None:
        return
    try:
        await require_manager(session, author, pledge)
    except NotAllowed:
        return
    enqueue(session, chat_id=author.telegram_id, person_id=author.id, kind="pledge.closed",
            payload={"pledge_id": pledge.id})


async def schedule_missing_reports(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """At start-up: open pledges published before closing reports existed get theirs (once;
    the ones that have a pending report are left alone); commits. Returns how many."""
    now = now or utcnow()
    pending = select(DueItem.id).where(DueItem.kind == CLOSING_REPORT,
                                       DueItem.ref_id == Pledge.id,
                                       DueItem.status == DueStatus.PENDING)
    missing = list(await session.scalars(select(Pledge).where(
        Pledge.status == PledgeStatus.OPEN, Pledge.closes_at > now, ~pending.exists())))
    for pledge in missing:
        _schedule_report(session, pledge)
    await session.commit()
    return len(missing)


async def closing_report(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect at the closing time, unless the pledge was extended or closed early."""
    pledge = await session.get(Pledge, item.ref_id or 0)
    if pledge is None or pledge.status != PledgeStatus.OPEN or pledge.closes_at is None:
        return  # closed early: that sent the report already
    if item.payload.get("closes_at") != pledge.closes_at.isoformat():
        return  # moved since: a fresh item was scheduled for the new date
    await report_closing(session, pledge)


async def publish(
    session: AsyncSession, *, pledge_id: int, author: Person, now: dt.datetime | None = None
) -> Published:
    """Open the pledge and tell its audience through the outbox, in one transaction."""
    now = now or utcnow()
    pledge = await _draft(session, pledge_id, author)
    _ready(pledge)
    place = await require_manager(session, author, pledge)
    if pledge.closes_at is not None and pledge.closes_at <= now:
        raise Invalid(N_("The closing date must be in the future."))
    pledge.status = PledgeStatus.OPEN
    pledge.step = None
    pledge.opens_at = pledge.published_at = now
    pledge.version = 1
    pledge.text_hash = text_hash(pledge.title, pledge.body)
    session.add(PledgeVersion(pledge_id=pledge.id, number=1, title=pledge.title,
                              body=pledge.body, text_hash=pledge.text_hash, created_at=now,
                              created_by_id=author.id))
    notified = await enqueue_all(session, audience_of(pledge, place.path),
                                 kind="pledge.published", payload={"pledge_id": pledge.id},
                                 topic=f"pledge:{pledge.id}")
    schedule_reminders(session, pledge, now)
    await session.commit()
    return Published(pledge, notified)
