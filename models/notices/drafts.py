"""Composing a notice: a draft row that asks for its text (or a photo or document), its area,
who in it, and shows a preview with the exact recipient count. Each step that wants a typed
message records the question (models/asks.py) in its own transaction, and the step after it
clears it, so the author's next free message goes to the draft only while it waits for one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks
from models.audience import count
from models.errors import N_, Invalid, NotAllowed, StaleButton
from models.groups import GroupPurpose, groups_under
from models.notices.tables import (
    FEATURE,
    MAX_CAPTION,
    MAX_TEXT,
    Notice,
    NoticeStatus,
    Target,
    audience_of,
    get_notice,
)
from models.people import Person, Tag
from models.permissions import MANAGERS, places_with_role, require_role
from models.places import Place, get_place
from models.telegram_limits import check_file_size, utf16_len

LANGUAGES = ("zh_CN", "en")  # a draft may carry its own text for each


async def author_scopes(session: AsyncSession, author: Person) -> list[Place]:
    """The places where this person may publish (their grants as staff or grid worker)."""
    return await places_with_role(session, person_id=author.id, roles=MANAGERS)


async def open_draft(session: AsyncSession, author: Person) -> Notice | None:
    return await session.scalar(
        select(Notice).where(Notice.author_id == author.id,
                             Notice.status == NoticeStatus.DRAFT)
        .order_by(Notice.id.desc()).limit(1)
    )


async def _ask(session: AsyncSession, draft: Notice, step: str) -> None:
    """The draft now waits for a typed message at `step`."""
    draft.step = step
    await asks.ask(session, person_id=draft.author_id, feature=FEATURE, step=step,
                   object_id=draft.id)


async def _answered(session: AsyncSession, draft: Notice) -> None:
    """The draft no longer waits for typed input: forget the question, if it was its own."""
    await asks.clear(session, draft.author_id, feature=FEATURE, object_id=draft.id)


async def start_draft(session: AsyncSession, *, author: Person) -> Notice:
    """Begin a notice (dropping an unfinished draft) and ask for its text; only staff and
    grid workers may."""
    if not await author_scopes(session, author):
        raise NotAllowed(N_("Only staff and grid workers can publish notices."))
    old = await open_draft(session, author)
    if old is not None:
        await asks.clear_object(session, feature=FEATURE, object_id=old.id)
        await session.delete(old)
    draft = Notice(author_id=author.id, texts={}, step="text", status=NoticeStatus.DRAFT,
                   target=Target.ALL, pin_groups=False, recipients=0)
    session.add(draft)
    await session.flush()
    await _ask(session, draft, "text")
    await session.commit()
    return draft


async def own_notice(session: AsyncSession, *, notice_id: int, author: Person) -> Notice:
    """The notice, if `author` wrote it (a forged button of someone else's does nothing)."""
    notice = await get_notice(session, notice_id)
    if notice.author_id != author.id:
        raise NotAllowed()
    return notice


async def own_draft(session: AsyncSession, *, notice_id: int, author: Person) -> Notice:
    """The author's notice while it is still a draft (a button of a sent one is stale)."""
    notice = await own_notice(session, notice_id=notice_id, author=author)
    if notice.status != NoticeStatus.DRAFT:
        raise StaleButton()
    return notice


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
    await _answered(session, draft)
    await session.commit()
    return draft


async def ask_language_text(session: AsyncSession, *, notice_id: int, author: Person,
                            language: str) -> Notice:
    """Ask for the draft's own text for readers of `language`."""
    if language not in LANGUAGES:
        raise StaleButton()
    draft = await own_draft(session, notice_id=notice_id, author=author)
    await _ask(session, draft, f"text_{language}")
    await session.commit()
    return draft


async def ask_time(session: AsyncSession, *, notice_id: int, author: Person) -> Notice:
    """Ask for the time to send the draft at, typed."""
    draft = await own_draft(session, notice_id=notice_id, author=author)
    await _ask(session, draft, "when")
    await session.commit()
    return draft


def parse_time(text: str, *, tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    """A typed time ("2026-12-01 08:30", in the community's zone), which must be ahead."""
    try:
        at = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    except ValueError:
        raise Invalid(N_("Please write the time like 2026-12-01 08:30.")) from None
    if at <= (now or dt.datetime.now(tz)):
        raise Invalid(N_("That time has already passed. Please choose a later time."))
    return at


async def set_place(session: AsyncSession, *, draft: Notice, place_id: int,
                    author: Person) -> Notice:
    place = await get_place(session, place_id)
    await require_role(session, person_id=author.id, place=place, roles=MANAGERS)
    draft.place_id = place.id
    draft.step = "target"
    await _answered(session, draft)
    await session.commit()
    return draft


async def set_target(session: AsyncSession, *, draft: Notice, target: Target,
                     tag: Tag | None = None) -> Notice:
    if target == Target.TAG and tag is None:
        raise Invalid()
    draft.target, draft.tag = target, tag if target == Target.TAG else None
    draft.step = "confirm"
    await _answered(session, draft)
    await session.commit()
    return draft


async def toggle_pin(session: AsyncSession, *, draft: Notice) -> Notice:
    draft.pin_groups = not draft.pin_groups
    await session.commit()
    return draft


async def toggle_urgent(session: AsyncSession, *, draft: Notice) -> Notice:
    """Urgent (a flood warning): it goes at once, in quiet hours too."""
    draft.urgent = not draft.urgent
    await session.commit()
    return draft


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
