"""Pledges counted like Telegram: a long pledge of emoji reaches a resident in parts Telegram
accepts, its button labels stay short, and an attachment too large for a bot (a 10 GB photo,
a 30 MB document) is refused with what to do, and nothing is attached."""

from __future__ import annotations

import time

from sqlalchemy import select

from models.pledges import Pledge, Step
from models.telegram_limits import BUTTON, MESSAGE, utf16_len
from tests.test_pledges_e2e import STAFF, quick_pledge, setup_people

WANG = {"id": STAFF, "is_bot": False, "first_name": "Wang", "language_code": "en"}


async def at_attachment_step(env) -> None:
    menu = await env.say(STAFF, "/pledge", "No pledges yet")
    await env.tap_on(STAFF, "➕ New pledge", on=menu, expect="step 1 of 6")
    await env.say(STAFF, "Quiet hours", "Step 2 of 6")
    added = await env.say(STAFF, "No loud music after 22:00.", "Added")
    await env.tap_on(STAFF, "Done ▶", on=added, expect="Step 3 of 6")


async def inject(env, **content) -> None:
    await env.client.inject({"message": {
        "message_id": 999_999, "date": int(time.time()), "from": WANG,
        "chat": {"id": STAFF, "type": "private", "first_name": "Wang"}, **content}})


async def the_draft(env) -> Pledge:
    async with env.db.session() as s:
        return await s.scalar(select(Pledge).order_by(Pledge.id.desc()).limit(1))


async def test_a_10_gb_photo_or_a_30_mb_document_is_not_attached(env):
    await setup_people(env)
    await at_attachment_step(env)
    since = env.mark()
    await inject(env, photo=[{"file_id": "huge", "file_unique_id": "h", "width": 100_000,
                              "height": 100_000, "file_size": 10_000_000_000}])
    refused = await env.wait(STAFF, "too large", since=since)
    assert "9536.7 MB" in refused["text"] and "the most is 20 MB" in refused["text"]
    since = env.mark()
    await inject(env, document={"file_id": "scan", "file_unique_id": "s", "file_name": "a.pdf",
                                "mime_type": "application/pdf", "file_size": 30 * 1024 * 1024})
    refused = await env.wait(STAFF, "too large", since=since)
    assert "30.0 MB" in refused["text"]
    draft = await the_draft(env)
    assert draft.attachment_id is None and draft.step == Step.ATTACHMENT
    since = env.mark()
    await env.client.send_photo(STAFF, b"\xff\xd8\xff a small photo")  # a real one is taken
    await env.wait(STAFF, "Step 4 of 6", since=since)
    assert (await the_draft(env)).attachment_kind == "photo"


async def test_a_pledge_of_emoji_reaches_a_resident_in_parts_telegram_takes(env):
    await setup_people(env)
    title = "🎆" * 100  # the longest title: 200 UTF-16 units
    published = env.mark()
    pid = await quick_pledge(env, title=title)
    # the notice comes through the outbox, with a teaser of the body as it is when sent: let
    # it arrive before the body changes, so it is not taken for a part below
    await env.wait(1, "New pledge", since=published)
    body = "\n\n".join("🚫🎇" * 500 for _ in range(4))  # 8,006 UTF-16 units in 4,006 characters
    async with env.db.session() as s:
        pledge = await s.get(Pledge, pid)
        pledge.body = body
        await s.commit()
    since = env.mark()
    asked = await env.say(1, f"/start pledge_{pid}", "Have you read it?")
    # the parts: what the bot sent since, before the question, in that order
    parts = [m["text"] for m in await env.client.bot_messages(1) if m["seq"] > since
             and m["message_id"] < asked["message_id"] and "🚫" in m["text"]]
    assert len(parts) == 3 and all(utf16_len(p) <= MESSAGE for p in parts)
    assert sum(p.count("🚫") for p in parts) == 2000  # nothing lost between the parts
    assert parts[0].startswith("📜 " + title)
    listed = await env.say(1, "/pledges", "Open pledges")
    assert all(utf16_len(label) <= BUTTON for label in env.buttons(listed))
