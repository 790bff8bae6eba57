"""Pledges (承诺书): the tables, the words they are made of, and what every verb starts with —
loading a pledge, checking who may manage it, and who must sign it (a participation `Duty`).

A draft is a `pledge` row with status `draft` whose `step` says which input it waits for, so the
multi-step dialog survives a restart and any process can serve the next message. Every service
re-checks the author's role over the pledge's place, whatever the button said. The text signed is
identified by a version number and a SHA-256 hash of title and body; each published text is kept
in `pledge_version`, so a signature always points at the words the person agreed to.

A pledge's own text (`title`, `body`) is in the community's language (`PRIMARY`); `texts` may
add the same pledge in other languages (`{"en": {"title", "body", "hash"}}`), so a foreign
tenant reads what they sign. A reader without a text of their own reads the primary one. A
signature records which language's text it agreed to, and that text's hash.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import asks, permissions
from models.base import ID, Base, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.outbox import declare_kind
from models.participation import Duty, Unit
from models.people import Person, Relation
from models.permissions import MANAGERS, places_with_role, require_role
from models.places import Place, PlaceKind, get_place, label_of
from models.schedule import declare_due_kind

FEATURE = "pledges"  # the feature's name, as its questions (models/asks.py) record it
SCOPE_KINDS = (PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING,
               PlaceKind.UNIT)
AUTO_REMIND = "pledge.auto_remind"
# Automatic reminders before closing (the "three days and one day before").
AUTO_REMIND_BEFORE = (dt.timedelta(days=3), dt.timedelta(days=1))
CLOSING_REPORT = "pledge.closing_report"  # due item: the final tally to the author at closing
# in UTF-16 units, as every text limit (see telegram_limits); 200 units fit the column
MAX_TITLE = 200
MAX_BODY = 30_000
ONLY_MANAGERS = N_("Only staff and grid workers can write pledges.")
PRIMARY = "zh_CN"  # the language of a pledge's own title and body
OTHER_LANGUAGES = ("en",)  # the languages a pledge may add its text in
PENDING = "~"  # texts["en~"]: an English text still being written (nobody reads it yet)

PUBLISHED, REMINDER, RESIGN, ASSISTED, CLOSED = (
    "pledge.published", "pledge.reminder", "pledge.resign", "pledge.assisted", "pledge.closed")
declare_kind(PUBLISHED, REMINDER, RESIGN, ASSISTED, CLOSED)
declare_due_kind(AUTO_REMIND, CLOSING_REPORT)


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
    TITLE_EN = "title_en"  # the English title, then the English text, into texts["en~"]
    BODY_EN = "body_en"

    @property
    def language(self) -> str | None:
        """The language of a translated text this step collects (None: the pledge's own)."""
        return self.value.rsplit("_", 1)[1] if self in (Step.TITLE_EN, Step.BODY_EN) else None


TEXT_STEPS = (Step.TITLE, Step.BODY, Step.DATES, Step.EDIT, Step.TITLE_EN, Step.BODY_EN)
INPUT_STEPS = (*TEXT_STEPS, Step.ATTACHMENT)  # steps that ask for a message (models/asks.py)


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
    # the text in other languages: {"en": {"title": …, "body": …, "hash": …}} (see PENDING)
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
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
    # this version in other languages, as `Pledge.texts` (added later for the current version)
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


def text_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class PledgeText:
    """The words of a pledge one reader reads: in `language`, which is theirs or the primary."""

    language: str
    title: str
    body: str
    hash: str

    def __bool__(self) -> bool:
        return bool(self.title or self.body)


def text_in(pledge: Pledge, language: str) -> PledgeText:
    """The pledge's text for a reader of `language`: their own if it has one, else its own."""
    own = (pledge.texts or {}).get(language) if language != PRIMARY else None
    if own:
        return PledgeText(language, own.get("title", ""), own.get("body", ""),
                          own.get("hash", ""))
    return PledgeText(PRIMARY, pledge.title, pledge.body, pledge.text_hash)


def pending_text(pledge: Pledge, language: str) -> dict[str, str]:
    """The title and text in `language` still being written ({} if none)."""
    return dict((pledge.texts or {}).get(f"{language}{PENDING}", {}))


def without_pending(pledge: Pledge, language: str) -> dict[str, dict[str, str]]:
    """The pledge's texts, less the one still being written in `language`."""
    return {k: v for k, v in (pledge.texts or {}).items() if k != f"{language}{PENDING}"}


def languages_of(pledge: Pledge) -> tuple[str, ...]:
    """The languages the pledge can be read in: the primary, then any added."""
    return (PRIMARY, *(lang for lang in OTHER_LANGUAGES if lang in (pledge.texts or {})))


def translated(pledge: Pledge) -> dict[str, dict[str, str]]:
    """The finished texts in other languages (nothing still being written)."""
    return {k: v for k, v in (pledge.texts or {}).items() if k in OTHER_LANGUAGES}


def duty_of(pledge: Pledge, paths: Sequence[str]) -> Duty:
    """Who must sign the pledge under `paths`: every resident, one per household, owners, or
    the owners of rented households (one per household).

    For one-per-household pledges every member may sign for the household (the first
    signature counts), so every member hears of it and is reminded."""
    signers = Signers(pledge.signers)
    return Duty(paths=tuple(paths),
                unit=Unit.HOUSEHOLD if signers.per_household else Unit.PERSON,
                relations=(Relation.OWNER,) if signers in (Signers.OWNER, Signers.LANDLORD)
                else None,
                rented=signers == Signers.LANDLORD)


# --- loading and authorisation ----------------------------------------------------------------


async def get_pledge(session: AsyncSession, pledge_id: int) -> Pledge:
    pledge = await session.get(Pledge, pledge_id)
    if pledge is None or pledge.status == PledgeStatus.CANCELLED:
        raise NotFound(N_("This pledge no longer exists."))
    return pledge


async def find_pledge(session: AsyncSession, pledge_id: int) -> Pledge | None:
    """The pledge, if it exists (drafts and cancelled ones too)."""
    return await session.get(Pledge, pledge_id)


async def place_of(session: AsyncSession, pledge: Pledge) -> Place:
    if pledge.place_id is None:
        raise Invalid(N_("Choose where the pledge applies first."))
    return await get_place(session, pledge.place_id)


async def where(session: AsyncSession, pledge: Pledge, *, language: str) -> str:
    """Where the pledge applies, as a reader of `language` reads it ("阳光社区 1栋"); "—"
    before it is chosen."""
    return "—" if pledge.place_id is None else await place_label(session, pledge.place_id,
                                                                 language=language)


async def place_label(session: AsyncSession, place_id: int, *, language: str) -> str:
    return await label_of(session, await get_place(session, place_id), language=language)


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


async def viewer_paths(session: AsyncSession, person: Person, pledge: Pledge) -> list[str]:
    """The parts of the pledge's place this person may follow, as paths (NotAllowed if none):
    a grid worker sees their grid of a community-wide pledge."""
    return await permissions.viewer_paths(session, person, await place_of(session, pledge))


async def staff_member(session: AsyncSession, person: Person | None) -> Person:
    """The person, if they may write and follow pledges somewhere (NotAllowed if not)."""
    if person is None or not await manager_places(session, person.id):
        raise NotAllowed(ONLY_MANAGERS)
    return person


async def draft_of(session: AsyncSession, pledge_id: int, author: Person) -> Pledge:
    pledge = await get_pledge(session, pledge_id)
    if pledge.status != PledgeStatus.DRAFT:
        raise Conflict(N_("This pledge is already published."))
    if pledge.created_by_id != author.id:
        raise NotAllowed()
    if not await manager_places(session, author.id):
        raise NotAllowed(ONLY_MANAGERS)
    return pledge




async def move_to(session: AsyncSession, pledge: Pledge, step: Step | None,
                  person_id: int) -> None:
    """Put the pledge at `step`; a step that wants a message asks `person_id` for it (their
    next free message goes there), any other step forgets the question. Commits with the
    caller."""
    pledge.step = step
    if step in INPUT_STEPS:
        await asks.ask(session, person_id=person_id, feature=FEATURE, step=str(step),
                       object_id=pledge.id)
    else:
        await asks.clear(session, person_id, feature=FEATURE, object_id=pledge.id)


async def done_asking(session: AsyncSession, pledge: Pledge) -> None:
    """The pledge wants no more input from anyone (published, discarded, closed, saved)."""
    pledge.step = None
    await asks.clear_object(session, feature=FEATURE, object_id=pledge.id)
