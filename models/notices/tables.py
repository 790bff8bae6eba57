"""The notice's tables and words: a notice from draft to delivered, a recipient's "Got it",
what it is sent as (its outbox kinds) and when (its due-item kind)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audience import Audience
from models.base import ID, Base, utcnow
from models.errors import N_, NotFound
from models.outbox import declare_kind
from models.people import Relation, Role, Tag
from models.places import Place
from models.schedule import declare_due_kind
from models.telegram_limits import CAPTION, MESSAGE

# Telegram's limits less room for the heading the notice is sent under ("📢 Notice", or a
# reminder's longer line) and the line break after it, in every language: a text that passes
# here can always be sent (tests/test_telegram_limits.py holds every heading to this room).
HEADING_ROOM = 100
MAX_TEXT = MESSAGE - HEADING_ROOM
MAX_CAPTION = CAPTION - HEADING_ROOM
NOTICE_SEND = "notice.send"
# to each recipient (with "Got it"), to each bound group (pinned), and the reminder
NOTICE, NOTICE_GROUP, NOTICE_REMINDER = "notice", "notice.group", "notice.reminder"
declare_kind(NOTICE, NOTICE_GROUP, NOTICE_REMINDER)
declare_due_kind(NOTICE_SEND)
FEATURE = "notices"  # what its questions are filed under (models/asks.py)
# the draft's steps that wait for a typed message: the text (per language) and a time
INPUT_STEPS = ("text", "text_en", "text_zh_CN", "when")


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
    urgent: Mapped[bool] = mapped_column(default=False)  # goes in quiet hours too (a flood)
    step: Mapped[str] = mapped_column(String(16), default="text")
    status: Mapped[NoticeStatus] = mapped_column(String(16), default=NoticeStatus.DRAFT,
                                                 index=True)
    scheduled_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    # current until then (None: until cancelled): whoever joins meanwhile is shown it too
    valid_until: Mapped[dt.datetime | None]
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


def audience_of(notice: Notice, place: Place) -> Audience:
    """Who under `place` the notice is for (everyone who must see it, reachable or not)."""
    if notice.target == Target.VOLUNTEERS:
        return Audience(place.path, residents=False, roles=(Role.VOLUNTEER,))
    relations = {Target.OWNERS: (Relation.OWNER,), Target.TENANTS: (Relation.TENANT,)}
    return Audience(place.path, relations=relations.get(notice.target),
                    tag=notice.tag if notice.target == Target.TAG else None)


async def get_notice(session: AsyncSession, notice_id: int) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(N_("This notice no longer exists."))
    return notice


async def sendable(session: AsyncSession, notice_id: int) -> Notice | None:
    """The notice, unless it is gone or was cancelled (then its messages are not sent)."""
    notice = await session.get(Notice, notice_id)
    if notice is None or notice.status == NoticeStatus.CANCELLED:
        return None
    return notice
