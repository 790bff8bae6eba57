"""Writing a pledge, step by step: title → text → attachment → place → who signs → closing
date → preview. Each step's verb checks the author, moves the draft on and, when the next step
wants a message (a title, more text, a file, a date), records the question so the author's next
free message goes to this draft and nowhere else (models/asks.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import end_of_day, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound, StaleButton
from models.participation import reachable_count
from models.people import Person
from models.permissions import MANAGERS, require_role
from models.places import Place, children, get_place
from models.pledges.core import (
    MAX_BODY,
    MAX_TITLE,
    ONLY_MANAGERS,
    OTHER_LANGUAGES,
    PENDING,
    SCOPE_KINDS,
    TEXT_STEPS,
    Pledge,
    PledgeStatus,
    PledgeVersion,
    Signers,
    Step,
    done_asking,
    draft_of,
    duty_of,
    get_pledge,
    manager_places,
    move_to,
    pending_text,
    place_of,
    require_manager,
    text_hash,
    without_pending,
)
from models.telegram_limits import check_file_size, utf16_len

HAS_TRANSLATION = N_("This version already has its English text. To change it, write a new "
                     "version of the text.")


async def start_draft(session: AsyncSession, *, author: Person) -> tuple[Pledge, bool]:
    """Begin a pledge, or resume the author's unfinished draft. Returns (draft, resumed)."""
    if not await manager_places(session, author.id):
        raise NotAllowed(ONLY_MANAGERS)
    existing = await session.scalar(
        select(Pledge).where(Pledge.created_by_id == author.id,
                             Pledge.status == PledgeStatus.DRAFT).order_by(Pledge.id.desc()))
    if existing is not None:
        await move_to(session, existing, _step(existing), author.id)  # asked again
        await session.commit()
        return existing, True
    pledge = Pledge(created_by_id=author.id, step_by_id=author.id, status=PledgeStatus.DRAFT,
                    title="", body="", signers=Signers.HOUSEHOLD, version=0, text_hash="")
    session.add(pledge)
    await session.flush()
    await move_to(session, pledge, Step.TITLE, author.id)
    audit.record(session, actor_id=author.id, action="pledge.draft", subject="pledge",
                 subject_id=pledge.id)
    await session.commit()
    return pledge, False


def _step(pledge: Pledge) -> Step | None:
    return Step(pledge.step) if pledge.step else None


async def resume_draft(session: AsyncSession, *, pledge_id: int, author: Person) -> Pledge:
    """Open my draft where it stopped, asking again for what its step wants."""
    pledge = await get_pledge(session, pledge_id)
    if pledge.created_by_id != author.id:
        raise NotAllowed()
    await move_to(session, pledge, _step(pledge), author.id)
    await session.commit()
    return pledge


async def waiting_for_text(session: AsyncSession, person_id: int,
                           pledge_id: int | None = None) -> Pledge | None:
    """The person's pledge whose current step takes typed text (this one, if given)."""
    stmt = (select(Pledge).where(Pledge.step_by_id == person_id, Pledge.step.in_(TEXT_STEPS),
                                 Pledge.status.in_((PledgeStatus.DRAFT, PledgeStatus.OPEN)))
            .order_by(Pledge.id.desc()))
    if pledge_id is not None:
        stmt = stmt.where(Pledge.id == pledge_id)
    return await session.scalar(stmt)


def parse_date(text: str, tz: dt.tzinfo) -> dt.datetime:
    """YYYY-MM-DD → the end of that day in the community's time zone."""
    try:
        return end_of_day(dt.date.fromisoformat(text.strip()), tz)
    except (ValueError, OverflowError):  # not a date, or one at the calendar's very edge
        raise Invalid(N_("Please send a date as YYYY-MM-DD, e.g. 2026-12-31.")) from None


def end_of_day_in(days: int, tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    """The end of the day `days` from today, in the community's time zone."""
    return end_of_day((now or utcnow()).astimezone(tz).date() + dt.timedelta(days=days), tz)


async def add_text(
    session: AsyncSession, *, author: Person, text: str, tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None, pledge_id: int | None = None,
) -> Pledge:
    """Apply a typed message to the step that waits for it (title, body, date, new text) —
    of the pledge `pledge_id` (the one that asked), or of the author's latest one waiting."""
    pledge = await waiting_for_text(session, author.id, pledge_id)
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
        await move_to(session, pledge, Step.BODY if not pledge.body else Step.PREVIEW,
                      author.id)
    elif pledge.step == Step.BODY:
        pledge.body = _append(pledge.body, text)
    elif pledge.step == Step.EDIT:
        pledge.pending_body = _append(pledge.pending_body or "", text)
    elif pledge.step == Step.DATES:
        await _set_closing(session, pledge, parse_date(text, tz), now or utcnow(),
                           author)
    elif pledge.step in (Step.TITLE_EN, Step.BODY_EN):
        await _add_translated(session, pledge, Step(pledge.step), text, author)
    await session.commit()
    return pledge


async def _add_translated(session: AsyncSession, pledge: Pledge, step: Step, text: str,
                          author: Person) -> None:
    """The title, then the text, in another language, kept aside until it is finished."""
    language = step.language or ""
    pending = pending_text(pledge, language)
    if step == Step.TITLE_EN:
        if utf16_len(text) > MAX_TITLE:
            raise Invalid(N_("The title is too long (at most {limit} characters)."),
                          limit=MAX_TITLE)
        pending = {"title": text, "body": ""}
        await move_to(session, pledge, Step.BODY_EN, author.id)
    else:
        pending["body"] = _append(pending.get("body", ""), text)
    # (a new dict: JSON is not tracked)
    pledge.texts = {**without_pending(pledge, language), f"{language}{PENDING}": pending}


async def begin_translation(session: AsyncSession, *, pledge_id: int, author: Person,
                            language: str) -> Pledge:
    """Ask for the pledge's title and text in `language` (a draft's, or the current version's
    of an open pledge that has none in that language yet: the published words never change
    under a signature — a changed text is a new version)."""
    if language not in OTHER_LANGUAGES:
        raise Invalid()
    pledge = await get_pledge(session, pledge_id)
    if pledge.status == PledgeStatus.DRAFT:
        pledge = await draft_of(session, pledge_id, author)
    else:
        await require_manager(session, author, pledge)
        if not pledge.is_open(utcnow()):
            raise Conflict(N_("This pledge is closed."))
        if language in (pledge.texts or {}):
            raise Conflict(HAS_TRANSLATION)
        if pledge.step is not None and pledge.step_by_id != author.id:
            raise Conflict(N_("Someone else is changing this pledge's text just now. Try again "
                              "when they have saved it."))
        pledge.step_by_id = author.id
    pledge.texts = without_pending(pledge, language)
    await move_to(session, pledge, Step.TITLE_EN, author.id)
    await session.commit()
    return pledge


async def cancel_translation(session: AsyncSession, *, pledge_id: int,
                             author: Person) -> Pledge:
    """Stop writing the text in another language: what was sent of it is dropped, and the
    author's next message goes nowhere (a draft returns to its preview)."""
    pledge = await get_pledge(session, pledge_id)
    step = Step(pledge.step) if pledge.step else None
    if step not in (Step.TITLE_EN, Step.BODY_EN) or pledge.step_by_id != author.id:
        raise StaleButton()
    pledge.texts = without_pending(pledge, step.language or "")
    if pledge.status == PledgeStatus.DRAFT:
        await move_to(session, pledge, Step.PREVIEW, author.id)
    else:
        await done_asking(session, pledge)
    await session.commit()
    return pledge


async def finish_translation(session: AsyncSession, *, pledge_id: int,
                             author: Person) -> Pledge:
    """The text in another language is complete: readers of that language read it from now
    on (for an open pledge, the current version records it, audited)."""
    pledge = await get_pledge(session, pledge_id)
    step = Step(pledge.step) if pledge.step else None
    if step != Step.BODY_EN or pledge.step_by_id != author.id:
        raise StaleButton()
    language = step.language or ""
    pending = pending_text(pledge, language)
    if not pending.get("body", "").strip():
        raise Invalid(N_("Send the text of the pledge first."))
    done = {"title": pending["title"], "body": pending["body"],
            "hash": text_hash(pending["title"], pending["body"])}
    texts = without_pending(pledge, language)
    pledge.texts = {**texts, language: done}
    if pledge.status == PledgeStatus.DRAFT:
        await draft_of(session, pledge_id, author)
        await move_to(session, pledge, Step.PREVIEW, author.id)
    else:
        place = await require_manager(session, author, pledge)
        if language in texts:
            raise Conflict(HAS_TRANSLATION)
        version = await session.scalar(select(PledgeVersion).where(
            PledgeVersion.pledge_id == pledge.id, PledgeVersion.number == pledge.version))
        if version is not None:
            version.texts = {**(version.texts or {}), language: done}
        await done_asking(session, pledge)
        audit.record(session, actor_id=author.id, action="pledge.add_language",
                     subject="pledge", subject_id=pledge.id, place_id=place.id,
                     version=pledge.version, language=language, hash=done["hash"])
    await session.commit()
    return pledge


def _append(body: str, text: str) -> str:
    # A long pledge arrives in several messages (Telegram caps one at 4,096 UTF-16 units).
    joined = f"{body}\n\n{text}" if body else text
    if utf16_len(joined) > MAX_BODY:
        raise Invalid(N_("The text is too long (at most {limit} characters)."), limit=MAX_BODY)
    return joined


async def finish_body(session: AsyncSession, *, pledge_id: int, author: Person) -> Pledge:
    pledge = await draft_of(session, pledge_id, author)
    if not pledge.body.strip():
        raise Invalid(N_("Send the text of the pledge first."))
    await move_to(session, pledge, Step.ATTACHMENT if pledge.place_id is None else Step.PREVIEW,
                  author.id)
    await session.commit()
    return pledge


async def set_attachment(
    session: AsyncSession, *, pledge_id: int, author: Person, file_id: str | None,
    kind: str | None, size: int | None = None,
) -> Pledge:
    """Attach a document or image of `size` bytes (None: no attachment), then ask for the
    scope."""
    pledge = await draft_of(session, pledge_id, author)
    if kind not in (None, "photo", "document"):
        raise Invalid()
    check_file_size(size)
    pledge.attachment_id, pledge.attachment_kind = file_id, kind
    await move_to(session, pledge, Step.SCOPE if pledge.place_id is None else Step.PREVIEW,
                  author.id)
    await session.commit()
    return pledge


async def set_scope(
    session: AsyncSession, *, pledge_id: int, author: Person, place_id: int
) -> Pledge:
    pledge = await draft_of(session, pledge_id, author)
    place = await get_place(session, place_id)
    if place.kind not in SCOPE_KINDS:
        raise Invalid(N_("A pledge applies to a community, grid, building or unit."))
    await require_role(session, person_id=author.id, place=place, roles=MANAGERS)
    pledge.place_id = place.id
    await move_to(session, pledge, Step.SIGNERS if pledge.closes_at is None else Step.PREVIEW,
                  author.id)
    await session.commit()
    return pledge


async def draft_at_scope(session: AsyncSession, *, pledge_id: int, author: Person) -> Pledge:
    """My draft, waiting for its place (a button of the place picker; else it is stale)."""
    pledge = await get_pledge(session, pledge_id)
    if pledge.created_by_id != author.id or pledge.step != Step.SCOPE:
        raise StaleButton()
    return pledge


async def scope_choices(
    session: AsyncSession, *, pledge_id: int, author: Person, browse: int | None
) -> tuple[Pledge, Place | None, list[Place], list[Place]]:
    """For the place picker of my draft: (draft, the place opened or None, my places, the
    places under it a pledge may apply to). Opening a place outside my scope is refused."""
    pledge = await get_pledge(session, pledge_id)
    if pledge.created_by_id != author.id:
        raise NotAllowed()
    mine = await manager_places(session, author.id)
    if browse is None and len(mine) == 1:
        browse = mine[0].id
    if browse is None:
        return pledge, None, mine, []
    place = await get_place(session, browse)
    if not any(place.path.startswith(p.path) for p in mine):
        raise NotAllowed()
    under = [c for c in await children(session, place.id) if c.kind in SCOPE_KINDS]
    return pledge, place, mine, under


async def set_signers(
    session: AsyncSession, *, pledge_id: int, author: Person, signers: Signers
) -> Pledge:
    pledge = await draft_of(session, pledge_id, author)
    pledge.signers = signers
    await move_to(session, pledge, Step.DATES if pledge.closes_at is None else Step.PREVIEW,
                  author.id)
    await session.commit()
    return pledge


async def _set_closing(session: AsyncSession, pledge: Pledge, closes_at: dt.datetime,
                       now: dt.datetime, author: Person) -> None:
    if closes_at <= now + dt.timedelta(hours=1):
        raise Invalid(N_("The closing date must be in the future."))
    pledge.closes_at = closes_at
    await move_to(session, pledge, Step.PREVIEW, author.id)


async def set_closing(
    session: AsyncSession, *, pledge_id: int, author: Person, closes_at: dt.datetime,
    now: dt.datetime | None = None,
) -> Pledge:
    pledge = await draft_of(session, pledge_id, author)
    await _set_closing(session, pledge, closes_at, now or utcnow(), author)
    await session.commit()
    return pledge


async def go_to_step(
    session: AsyncSession, *, pledge_id: int, author: Person, step: Step
) -> Pledge:
    """Go back to a step from the preview (change the title, the text, the scope…)."""
    pledge = await draft_of(session, pledge_id, author)
    if step in (Step.EDIT,):
        raise Invalid()
    if step == Step.BODY:
        pledge.body = ""  # the text is sent again from the start
    await move_to(session, pledge, step, author.id)
    await session.commit()
    return pledge


async def cancel_draft(session: AsyncSession, *, pledge_id: int, author: Person) -> None:
    pledge = await draft_of(session, pledge_id, author)
    pledge.status = PledgeStatus.CANCELLED
    await done_asking(session, pledge)
    audit.record(session, actor_id=author.id, action="pledge.discard", subject="pledge",
                 subject_id=pledge.id)
    await session.commit()


async def audience_size(session: AsyncSession, pledge: Pledge) -> int:
    """How many people the published pledge would reach (the preview's number)."""
    place = await place_of(session, pledge)
    return await reachable_count(session, duty_of(pledge, [place.path]))
