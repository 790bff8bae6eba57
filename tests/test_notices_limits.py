"""A notice that passes the length check can always be sent, as Telegram counts length: one right
at the limit reaches every resident (and its reminder, under the longest heading, too) through
the emulator; one of 2,040 emoji is refused, saying the limit; a 10 GB photo is refused and
nothing is kept. Also each renderer, in each language, at the limit."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.i18n import tr
from handlers.notices.rendering import RENDERERS
from models import notices as svc
from models.notices import MAX_CAPTION, MAX_TEXT, Notice
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Person, Role
from models.telegram_limits import CAPTION, MESSAGE, utf16_len, visible
from tests.conftest import COMMUNITY, person, place
from tests.test_notices_e2e import community

AT_LIMIT = "😀" * (MAX_TEXT // 2)  # 3,996 UTF-16 units, 1,998 characters


async def compose_for_building_1(env, staff: int, text: str) -> dict:
    await env.say(staff, "/notice", "Send me its text")
    area = await env.say(staff, text, "Who should get it? Choose the area.")
    return await choose_building_1(env, staff, area)


async def choose_building_1(env, staff: int, area: dict) -> dict:
    """From the message asking for the area to the preview (returned), each press on the
    message that showed the button."""
    area = await env.tap_on(staff, "第一网格", on=area, expect="第一网格")
    area = await env.tap_on(staff, "1栋", on=area, expect="阳光社区 第一网格 1栋")
    who = await env.tap_on(staff, "✅ All of 1栋", on=area, expect="Who in that area?")
    return await env.tap_on(staff, "All residents", on=who, expect="Recipients: 3 people")


async def draft_of(env, staff: int) -> Notice | None:
    async with env.db.session() as s:
        return await s.scalar(select(Notice).join(Person, Person.id == Notice.author_id)
                              .where(Person.telegram_id == staff))


async def test_a_notice_right_at_the_limit_reaches_everyone_and_so_does_its_reminder(env):
    staff = await community(env)
    assert utf16_len(AT_LIMIT) == MESSAGE - svc.HEADING_ROOM
    # the preview shows as much as fits, and Telegram takes it
    preview = await compose_for_building_1(env, staff, AT_LIMIT)
    assert "Recipients: 3 people" in preview["text"] and utf16_len(preview["text"]) <= MESSAGE
    since = env.mark()
    await env.tap(staff, "📤 Send now", message_id=preview["message_id"])
    # the progress job soon edits these words into "sent 1, …": they may be gone already
    await env.wait_said(staff, "Sending to 3 people", since=since)

    english = await env.wait(2, "📢 Notice", since=since)
    assert english["text"] == "📢 Notice\n" + AT_LIMIT  # all of it, nothing cut
    for resident in (1, 3):
        got = await env.wait(resident, "📢 公告", since=since)
        assert got["text"].endswith(AT_LIMIT)
    done = await env.wait(staff, "delivered: sent 3", since=since)
    assert "failed 0" in done["text"]

    listed = await env.say(staff, "/notices", "Notices in your area")
    status = await env.tap_on(staff, "📊 #1", on=listed, expect="Got it: 0 of 3")
    since = env.mark()
    await env.tap(staff, "⏰ Remind those who have not confirmed",
                  message_id=status["message_id"])
    reminder = await env.wait(2, "Reminder", since=since)  # the longest heading, still whole
    assert reminder["text"].endswith("\n" + AT_LIMIT)
    await env.wait(1, "提醒", since=since)
    await env.outbox_settled()  # the reminder to 3 too: every outcome is written
    async with env.db.session() as s:
        statuses = set(await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.kind.in_(("notice", "notice.reminder")))))
    assert statuses <= {OutboxStatus.SENT, OutboxStatus.SENDING}  # none failed at Telegram


async def test_a_notice_of_2040_emoji_is_refused_saying_the_limit(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    refused = await env.say(staff, "😀" * 2040, "the most is 3996")
    assert refused["text"] == ("The notice is 4080 characters long (an emoji counts as two); "
                               "the most is 3996. Please shorten it and send it again.")
    draft = await draft_of(env, staff)
    assert draft is not None and draft.texts == {} and draft.step == "text"
    await env.say(staff, "😀" * 1998, "Who should get it?")  # shortened, it is taken


async def test_a_photo_notice_with_the_longest_caption_is_delivered(env):
    staff = await community(env)
    caption = "😀" * (MAX_CAPTION // 2)
    await env.say(staff, "/notice", "Send me its text")
    since = env.mark()
    await env.client.send_photo(staff, b"\xff\xd8\xff photo", caption=caption + "!")
    await env.wait(staff, "most is 924", since=since)  # one unit too many
    since = env.mark()
    await env.client.send_photo(staff, b"\xff\xd8\xff photo", caption=caption)
    area = await env.wait(staff, "Who should get it?", since=since)
    preview = await choose_building_1(env, staff, area)
    since = env.mark()
    await env.tap(staff, "📤 Send now", message_id=preview["message_id"])
    await env.wait_said(staff, "Sending to 3 people", since=since)  # (edited away soon)
    got = await env.wait(2, "📢 Notice", since=since)
    assert got["photo"] and got["caption"] == "📢 Notice\n" + caption
    await env.wait(staff, "delivered: sent 3", since=since)


async def test_a_10_gb_photo_is_refused_and_nothing_is_kept(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    since = env.mark()
    user = {"id": staff, "is_bot": False, "first_name": "Wang", "language_code": "en"}
    await env.client.inject({"message": {
        "message_id": 999_999, "date": int(time.time()), "from": user,
        "chat": {"id": staff, "type": "private", "first_name": "Wang"},
        "photo": [{"file_id": "huge-small", "file_unique_id": "h1", "width": 90, "height": 90,
                   "file_size": 1_000},
                  {"file_id": "huge", "file_unique_id": "h2", "width": 100_000,
                   "height": 100_000, "file_size": 10_000_000_000}],
        "caption": "The new parking rules, see the photo.",
    }})
    refused = await env.wait(staff, "too large", since=since)
    assert "9536.7 MB" in refused["text"] and "the most is 20 MB" in refused["text"]
    assert "make it smaller" in refused["text"]
    draft = await draft_of(env, staff)
    assert draft is not None and draft.texts == {} and draft.media_file_id is None
    assert draft.step == "text"


@pytest.mark.usefixtures("places")
@pytest.mark.parametrize("media", [None, "photo", "document"])
async def test_every_renderer_in_every_language_fits_a_notice_at_the_limit(session, media):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    text = "😀" * ((MAX_CAPTION if media else MAX_TEXT) // 2)
    draft = await svc.start_draft(session, author=staff)
    await svc.set_text(session, draft=draft, text=text, media_kind=media,
                       media_file_id="f" if media else None, media_size=1000)
    await svc.set_place(session, draft=draft, place_id=(await place(session, COMMUNITY)).id,
                        author=staff)
    limit = CAPTION if media else MESSAGE
    for language in ("zh_CN", "en"):
        for kind, render in RENDERERS.items():
            rendered = await render(session, {"notice_id": draft.id}, tr(language))
            assert rendered is not None
            shown = visible(rendered.text)
            assert shown.endswith("\n" + text), (kind, language)  # the heading left it whole
            assert utf16_len(shown) <= limit, (kind, language)
