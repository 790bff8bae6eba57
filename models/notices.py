"""Notices (公告 / 通知): staff and grid workers publish to everyone under a place, to a role,
to owners or tenants only, or to a tag group; every recipient gets it once, through the outbox.

A notice is composed as a draft row (so a restart mid-dialog resumes), previewed with its exact
recipient count, then sent now or scheduled. Recipients are expanded into outbox rows in the
same transaction that confirms it (or when its due item fires). Residents acknowledge with
"Got it"; staff see acknowledgements per building and can remind those who have not.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    String,
    UniqueConstraint,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audience import Audience, count, enqueue_all
from models.base import ID, Base, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.groups import GroupPurpose, groups_under
from models.outbox import OutboxMessage, OutboxStatus, cancel_topic, enqueue, topic_counts
from models.people import Person, PersonTag, Relation, Role, Tag
from models.permissions import MANAGERS, places_with_role, require_role, require_scope_over_person
from models.places import Place, ancestor_ids, get_place
from models.schedule import DueItem, DueStatus, schedule
from models.telegram_limits import CAPTION, MESSAGE, check_file_size, utf16_len

# Telegram's limits less room for the heading the notice is sent under ("📢 Notice", or a
# reminder's longer line) and the line break after it, in every language: a text that passes
# here can always be sent (tests/test_telegram_limits.py holds every heading to this room).
HEADING_ROOM = 100
MAX_TEXT = MESSAGE - HEADING_ROOM
MAX_CAPTION = CAPTION - HEADING_ROOM
NOTICE_SEND = "notice.send"


class NoticeStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Target(enum.StrEnum):
    """Who under the place receives it."""

    ALL = "all"  # every registered resident
    OWNERS = "owners"
    TENANTS = "tenants"
    VOLUNTEERS = "volunteers"
    TAG = "tag"  # residents with a tag (elderly living alone, unemployed …)


class Notice(Base):
    """A notice (通知), from draft to delivered."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"))
    target: Mapped[Target] = mapped_column(String(16), default=Target.ALL)
    tag: Mapped[Tag | None] = mapped_column(String(32))
    # text per language; "*" is the text for everyone without their own
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    media_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    media_file_id: Mapped[str | None] = mapped_column(String(255))
    pin_groups: Mapped[bool] = mapped_column(default=False)
    step: Mapped[str] = mapped_column(String(16), default="text")
    status: Mapped[NoticeStatus] = mapped_column(String(16), default=NoticeStatus.DRAFT,
                                                 index=True)
    scheduled_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    progress_chat_id: Mapped[int | None]
    progress_message_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def topic(self) -> str:
        return f"notice:{self.id}"

    def text_for(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get("*", "")


class NoticeAck(Base):
    """A recipient's "Got it" (收到)."""

    __tablename__ = "notice_ack"
    __table_args__ = (UniqueConstraint("notice_id", "person_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    acked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- composing ------------------------------------------------------------------------------


async def open_draft(session: AsyncSession, author: Person) -> Notice | None:
    return await session.scalar(
        select(Notice).where(Notice.author_id == author.id,
                             Notice.status == NoticeStatus.DRAFT)
        .order_by(Notice.id.desc()).limit(1)
    )


async def start_draft(session: AsyncSession, *, author: Person) -> Notice:
    """Begin a notice (dropping an unfinished draft); only staff and grid workers may."""
    if not await author_scopes(session, author):
        raise NotAllowed(N_("Only staff and grid workers can publish notices."))
    old = await open_draft(session, author)
    if old is not None:
        await session.delete(old)
    draft = Notice(author_id=author.id, texts={}, step="text", status=NoticeStatus.DRAFT,
                   target=Target.ALL, pin_groups=False, recipients=0)
    session.add(draft)
    await session.commit()
    return draft


async def author_scopes(session: AsyncSession, author: Person) -> list[Place]:
    """The places where this person may publish (their grants as staff or grid worker)."""
    return await places_with_role(session, person_id=author.id, roles=MANAGERS)


def check_text(text: str, *, media: bool) -> str:
    text = text.strip()
    if not text:
        raise Invalid(N_("The notice is empty. Please send the text of the notice."))
    limit = MAX_CAPTION if media else MAX_TEXT
    length = utf16_len(text)  # as Telegram counts: an emoji is two
    if length > limit:
        if media:
            raise Invalid(N_("The text under a photo or document is {length} characters long "
                             "(an emoji counts as two); the most is {limit}. Please shorten "
                             "it, or send the notice as text only, without the file."),
                          length=length, limit=limit)
        raise Invalid(N_("The notice is {length} characters long (an emoji counts as two); "
                         "the most is {limit}. Please shorten it and send it again."),
                      length=length, limit=limit)
    return text


async def set_text(
    session: AsyncSession, *, draft: Notice, text: str, language: str = "*",
    media_kind: str | None = None, media_file_id: str | None = None,
    media_size: int | None = None,
) -> Notice:
    """The draft's text (with an optional photo or document of `media_size` bytes); then
    choose where. Nothing is stored when the text or the file is refused."""
    if media_kind is not None:
        check_file_size(media_size)
    media = bool(media_kind or draft.media_kind)
    texts = {**draft.texts, language: text}
    # adding a photo shortens the limit for every language's text, not only this one
    draft.texts = {lang: check_text(t, media=media) for lang, t in texts.items()}
    if media_kind is not None:
        draft.media_kind, draft.media_file_id = media_kind, media_file_id
    draft.step = "place" if draft.place_id is None else "confirm"
    await session.commit()
    return draft


async def set_place(session: AsyncSession, *, draft: Notice, place_id: int,
                    author: Person) -> Notice:
    place = await get_place(session, place_id)
    await require_role(session, person_id=author.id, place=place, roles=MANAGERS)
    draft.place_id = place.id
    draft.step = "target"
    await session.commit()
    return draft


async def set_target(session: AsyncSession, *, draft: Notice, target: Target,
                     tag: Tag | None = None) -> Notice:
    if target == Target.TAG and tag is None:
        raise Invalid()
    draft.target, draft.tag = target, tag if target == Target.TAG else None
    draft.step = "confirm"
    await session.commit()
    return draft


async def toggle_pin(session: AsyncSession, *, draft: Notice) -> Notice:
    draft.pin_groups = not draft.pin_groups
    await session.commit()
    return draft


def audience_of(notice: Notice, place: Place) -> Audience:
    if notice.target == Target.VOLUNTEERS:
        return Audience(place.path, residents=False, roles=(Role.VOLUNTEER,))
    relations = {Target.OWNERS: (Relation.OWNER,), Target.TENANTS: (Relation.TENANT,)}
    return Audience(place.path, relations=relations.get(notice.target),
                    tag=notice.tag if notice.target == Target.TAG else None)


@dataclass(frozen=True)
class Preview:
    notice: Notice
    place: Place
    recipients: int
    groups: int


async def preview(session: AsyncSession, *, notice: Notice) -> Preview:
    if notice.place_id is None or not notice.texts:
        raise Invalid(N_("The notice is not complete yet."))
    place = await get_place(session, notice.place_id)
    groups = len(await groups_under(session, place, GroupPurpose.PLACE)) if \
        notice.pin_groups else 0
    return Preview(notice, place, await count(session, audience_of(notice, place)), groups)


async def confirm(
    session: AsyncSession, *, notice_id: int, author: Person, at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Notice:
    """Send now (expand recipients into the outbox, same transaction) or schedule for `at`."""
    now = now or utcnow()
    notice = await _get(session, notice_id)
    if notice.author_id != author.id or notice.status != NoticeStatus.DRAFT:
        raise Conflict(N_("This notice was already sent or cancelled."))
    place = await get_place(session, notice.place_id or 0)
    await require_role(session, person_id=author.id, place=place, roles=MANAGERS)
    if at is not None and at > now:
        notice.status = NoticeStatus.SCHEDULED
        notice.scheduled_at = at
        schedule(session, kind=NOTICE_SEND, due_at=at, ref_id=notice.id)
        await session.commit()
        return notice
    await _dispatch(session, notice, place, now)
    await session.commit()
    return notice


async def _dispatch(session: AsyncSession, notice: Notice, place: Place,
                    now: dt.datetime) -> None:
    notice.recipients = await enqueue_all(session, audience_of(notice, place), kind="notice",
                                          payload={"notice_id": notice.id}, topic=notice.topic)
    if notice.pin_groups:
        for group in await groups_under(session, place, GroupPurpose.PLACE):
            enqueue(session, chat_id=group.chat_id, kind="notice.group", topic=notice.topic,
                    payload={"notice_id": notice.id})
    notice.status = NoticeStatus.SENDING
    notice.sent_at = now


async def send_scheduled(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect: a scheduled notice's time has come (fires once, even after downtime)."""
    notice = await session.get(Notice, item.ref_id or 0)
    if notice is None or notice.status != NoticeStatus.SCHEDULED:
        return
    await _dispatch(session, notice, await get_place(session, notice.place_id or 0), now)


async def cancel(session: AsyncSession, *, notice_id: int, by: Person) -> int:
    """Cancel a scheduled or running notice; what was sent stays sent. Returns how many of
    its messages will not go out."""
    notice = await _get(session, notice_id)
    await _require_manager(session, notice, by)
    if notice.status not in (NoticeStatus.SCHEDULED, NoticeStatus.SENDING, NoticeStatus.DRAFT):
        raise Conflict(N_("This notice has already finished; it cannot be cancelled."))
    await session.execute(
        update(DueItem).where(DueItem.kind == NOTICE_SEND, DueItem.ref_id == notice.id,
                              DueItem.status == DueStatus.PENDING)
        .values(status=DueStatus.CANCELLED)
    )
    stopped = await cancel_topic(session, notice.topic)
    notice.status = NoticeStatus.CANCELLED
    notice.finished_at = utcnow()
    await session.commit()
    return stopped


async def _get(session: AsyncSession, notice_id: int) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(N_("This notice no longer exists."))
    return notice


async def _require_manager(session: AsyncSession, notice: Notice, person: Person) -> Place:
    place = await get_place(session, notice.place_id) if notice.place_id else None
    if notice.author_id == person.id and place is None:
        return place  # type: ignore[return-value]
    if place is None:
        raise NotAllowed()
    await require_role(session, person_id=person.id, place=place, roles=MANAGERS)
    return place


async def get_notice(session: AsyncSession, notice_id: int) -> Notice:
    return await _get(session, notice_id)


# --- delivery progress ----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    sent: int
    failed: int
    blocked: int
    remaining: int
    cancelled: int

    @property
    def done(self) -> bool:
        return self.remaining == 0


async def progress(session: AsyncSession, notice: Notice) -> Progress:
    counts = await topic_counts(session, notice.topic)
    return Progress(
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0) + counts.get(OutboxStatus.SKIPPED, 0),
        blocked=counts.get(OutboxStatus.BLOCKED, 0),
        remaining=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        cancelled=counts.get(OutboxStatus.CANCELLED, 0),
    )


async def sending(session: AsyncSession) -> list[Notice]:
    return list(await session.scalars(select(Notice).where(
        Notice.status == NoticeStatus.SENDING).order_by(Notice.id)))


async def finish(session: AsyncSession, notice: Notice) -> None:
    notice.status = NoticeStatus.DONE
    notice.finished_at = utcnow()
    await session.commit()


async def set_progress_message(session: AsyncSession, *, notice_id: int, chat_id: int,
                               message_id: int) -> None:
    await session.execute(update(Notice).where(Notice.id == notice_id).values(
        progress_chat_id=chat_id, progress_message_id=message_id))
    await session.commit()


# --- acknowledgements -----------------------------------------------------------------------


async def acknowledge(session: AsyncSession, *, notice_id: int, person: Person) -> bool:
    """Record "Got it"; only someone the notice was sent to may. False if already done."""
    await _get(session, notice_id)
    received = await session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.topic == f"notice:{notice_id}", OutboxMessage.person_id == person.id
    ).limit(1))
    if received is None:
        raise NotAllowed(N_("This notice was not sent to you."))
    if await session.scalar(select(NoticeAck.id).where(NoticeAck.notice_id == notice_id,
                                                       NoticeAck.person_id == person.id)):
        return False
    session.add(NoticeAck(notice_id=notice_id, person_id=person.id))
    try:
        await session.commit()
    except Exception:  # the same tap twice at once: the constraint keeps one
        await session.rollback()
        return False
    return True


@dataclass(frozen=True)
class AckLine:
    name: str  # a building's name (or "other" for people not living under one)
    acked: int
    total: int


async def acknowledgements(session: AsyncSession, *, notice_id: int,
                           viewer: Person) -> tuple[AckLine, list[AckLine]]:
    """Acknowledged / delivered, overall and per building, for someone who manages it."""
    notice = await _get(session, notice_id)
    area = await _require_manager(session, notice, viewer)
    from models.people import Membership, MembershipStatus
    from models.places import subtree_filter

    rows = await session.execute(
        select(OutboxMessage.person_id, Place.path, NoticeAck.id)
        .outerjoin(Membership, (Membership.person_id == OutboxMessage.person_id)
                   & (Membership.status == MembershipStatus.APPROVED))
        # only homes inside the notice's area: a recipient's flat elsewhere is not shown
        .outerjoin(Place, (Place.id == Membership.household_id)
                   & subtree_filter(area.path if area else "/", Place.path))
        .outerjoin(NoticeAck, (NoticeAck.notice_id == notice.id)
                   & (NoticeAck.person_id == OutboxMessage.person_id))
        .where(OutboxMessage.topic == notice.topic, OutboxMessage.kind == "notice",
               OutboxMessage.status == OutboxStatus.SENT)
    )
    homes: dict[int, set[int | None]] = {}  # person → buildings of their homes in the area
    acked_all: set[int] = set()
    for person_id, path, ack in rows:
        ids = ancestor_ids(path) if path else []
        buildings = homes.setdefault(person_id, set())
        if len(ids) > 3:  # street/community/grid/building/…
            buildings.add(ids[3])
        if ack is not None:
            acked_all.add(person_id)
    per_building: dict[int | None, tuple[set[int], set[int]]] = {}
    for person_id, buildings in homes.items():
        for building in buildings or {None}:  # volunteers and others without a home there
            total, acked = per_building.setdefault(building, (set(), set()))
            total.add(person_id)
            if person_id in acked_all:
                acked.add(person_id)
    everyone = set(homes)
    names = {p.id: p.name for p in await session.scalars(
        select(Place).where(Place.id.in_([b for b in per_building if b is not None])))}
    lines = [AckLine(names.get(b, "—") if b else "—", len(a), len(t))
             for b, (t, a) in sorted(per_building.items(), key=lambda kv: names.get(kv[0] or 0,
                                                                                     "~"))]
    return AckLine("", len(acked_all), len(everyone)), lines


async def remind_unacknowledged(session: AsyncSession, *, notice_id: int, by: Person,
                                now: dt.datetime | None = None) -> int:
    """Remind recipients who have not pressed "Got it" (at most once a day per notice)."""
    now = now or utcnow()
    notice = await _get(session, notice_id)
    await _require_manager(session, notice, by)
    if notice.reminded_at is not None and now - notice.reminded_at < dt.timedelta(days=1):
        raise Conflict(N_("A reminder for this notice was already sent today."))
    waiting = await session.execute(
        select(OutboxMessage.person_id, OutboxMessage.chat_id)
        .where(OutboxMessage.topic == notice.topic, OutboxMessage.kind == "notice",
               OutboxMessage.status == OutboxStatus.SENT,
               ~OutboxMessage.person_id.in_(select(NoticeAck.person_id).where(
                   NoticeAck.notice_id == notice.id)))
    )
    n = 0
    for person_id, chat_id in waiting:
        enqueue(session, chat_id=chat_id, person_id=person_id, kind="notice.reminder",
                payload={"notice_id": notice.id}, topic=f"notice-reminder:{notice.id}")
        n += 1
    notice.reminded_at = now
    await session.commit()
    return n


# --- lists ----------------------------------------------------------------------------------


async def received_by(session: AsyncSession, person: Person, limit: int = 10) -> list[Notice]:
    """Recent notices this person was sent (newest first)."""
    ids = select(cast(func.substr(OutboxMessage.topic, 8), BigInteger)).where(
        OutboxMessage.person_id == person.id, OutboxMessage.kind == "notice",
        OutboxMessage.status == OutboxStatus.SENT)
    return list(await session.scalars(
        select(Notice).where(Notice.id.in_(ids)).order_by(Notice.id.desc()).limit(limit)))


async def managed_by(session: AsyncSession, person: Person, limit: int = 10) -> list[Notice]:
    """Recent notices under the places where this person may publish (newest first)."""
    from models.places import subtree_filter

    scopes = await author_scopes(session, person)
    if not scopes:
        raise NotAllowed(N_("Only staff and grid workers can publish notices."))
    condition = subtree_filter(scopes[0].path)
    for scope in scopes[1:]:
        condition = condition | subtree_filter(scope.path)
    return list(await session.scalars(
        select(Notice).join(Place, Place.id == Notice.place_id)
        .where(condition, Notice.status != NoticeStatus.DRAFT)
        .order_by(Notice.id.desc()).limit(limit)))


async def tag_person_check(session: AsyncSession, *, person_id: int, by: Person) -> None:
    """Raise NotAllowed unless `by` is staff or grid worker over one of the person's homes."""
    await require_scope_over_person(session, person_id=person_id, by=by, roles=MANAGERS)


async def tag_person(session: AsyncSession, *, person_id: int, tag: Tag, by: Person,
                     on: bool) -> bool:
    """Add or remove a tag (same scope rule as `tag_person_check`). Returns the new state."""
    await tag_person_check(session, person_id=person_id, by=by)
    existing = await session.scalar(select(PersonTag).where(PersonTag.person_id == person_id,
                                                           PersonTag.tag == tag))
    if on and existing is None:
        session.add(PersonTag(person_id=person_id, tag=tag, tagged_by_id=by.id))
    elif not on and existing is not None:
        await session.delete(existing)
    await session.commit()
    return on

