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
