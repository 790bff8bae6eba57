"""A free message goes to what the person was last asked for, and only there (#11).

Today's misrouting, reproduced: a staff member with a notice draft waiting for its text starts
a pledge, reaches its attachment step and sends a photo. The photo is for the pledge; the notice
draft, asked earlier, must not take it (nor the pledge's title before it).
"""

from __future__ import annotations

from sqlalchemy import select

from models.notices import Notice
from models.pledges import Pledge
from tests.test_notices_e2e import community


async def test_a_photo_for_the_pledge_is_not_taken_by_an_older_notice_draft(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")  # the notice now waits for its text

    menu = await env.say(staff, "/pledge", "No pledges yet")
    await env.tap_on(staff, "➕ New pledge", on=menu, expect="step 1 of 6")
    await env.say(staff, "Keep the stairwell free", "Step 2 of 6")
    added = await env.say(staff, "I will keep the stairwell free of bicycles.", "Added")
    await env.tap_on(staff, "Done ▶", on=added, expect="Step 3 of 6")

    since = env.mark()
    await env.client.send_photo(staff, b"\xff\xd8\xff the signed paper", caption=None)
    await env.wait(staff, "Step 4 of 6", since=since)  # the pledge took it

    async with env.db.session() as s:
        pledge = await s.scalar(select(Pledge))
        notice = await s.scalar(select(Notice))
    assert pledge.attachment_id and pledge.title == "Keep the stairwell free"
    assert notice.texts == {} and notice.media_file_id is None and notice.step == "text"
    said = [m.get("text") or "" for m in await env.client.bot_messages(staff)]
    assert not [t for t in said if "The notice is empty" in t or "Who should get it" in t]

    # the pledge now wants a button (its place), not a message: the notice's question, asked
    # before it and still open, is the one the next message answers
    await env.say(staff, "Lift maintenance on Friday.", "Who should get it?")
    async with env.db.session() as s:
        notice = await s.scalar(select(Notice))
    assert notice.text_for("en") == "Lift maintenance on Friday."


async def asked(env, telegram_id: int):
    from models.asks import asked as question
    from models.people import person_by_telegram

    async with env.db.session() as s:
        me = await person_by_telegram(s, telegram_id)
        row = await question(s, me.id)
        return (row.feature, row.step, row.object_id) if row else None


async def test_a_notice_takes_input_only_while_it_asks_for_it(env):
    """The notice's own side: each step that wants typing asks, the answer clears it; a
    question asked by another feature after it wins."""
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    assert await asked(env, staff) == ("notices", "text", 1)
    area = await env.say(staff, "Lift maintenance on Friday.", "Who should get it?")
    assert await asked(env, staff) is None
    stray = await env.say(staff, "and on Saturday", "I did not understand")  # not the notice's
    assert stray
    area = await env.tap_on(staff, "第一网格", on=area, expect="第一网格")
    area = await env.tap_on(staff, "1栋", on=area, expect="阳光社区 第一网格 1栋")
    who = await env.tap_on(staff, "✅ All of 1栋", on=area, expect="Who in that area?")
    preview = await env.tap_on(staff, "All residents", on=who, expect="Recipients: 3 people")
    await env.tap_on(staff, "➕ Add an English text", on=preview, expect="Send me the text")
    assert await asked(env, staff) == ("notices", "text_en", 1)
    preview = await env.say(staff, "The lift is serviced on Friday.", "Own text for en")
    assert await asked(env, staff) is None
    when = await env.tap_on(staff, "🕒 Schedule…", on=preview, expect="When should it go out?")
    await env.tap_on(staff, "⌨ Type a time", on=when, expect="Write the date and time")
    assert await asked(env, staff) == ("notices", "when", 1)

    # another feature asks this person something meanwhile: their next message is for it
    from models import asks
    from models.people import person_by_telegram

    async with env.db.session() as s:
        me = await person_by_telegram(s, staff)
        await asks.ask(s, person_id=me.id, feature="elsewhere", step="photo", object_id=7)
        await s.commit()
    await env.say(staff, "2099-01-01 08:30", "I did not understand")
    async with env.db.session() as s:
        notice = await s.scalar(select(Notice))
        assert notice.status == "draft" and notice.scheduled_at is None

    # the same button again (from an older copy of the menu): asked again
    await env.tap(staff, data="nt:type:1", forge=True, message_id=when["message_id"])
    bad = await env.say(staff, "next Friday", "like 2026-12-01 08:30")  # asked again: refused
    assert bad and await asked(env, staff) == ("notices", "when", 1)
    await env.say(staff, "2099-01-01 08:30", "Scheduled for 1 Jan 2099, 08:30 China time")
    assert await asked(env, staff) == ("elsewhere", "photo", 7)  # the other one is still open
    from models.audit import entries_for

    async with env.db.session() as s:
        assert [e.action for e in await entries_for(s, "notice", 1)] == ["notice.schedule"]
