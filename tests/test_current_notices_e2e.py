"""What is current for a new member (#13): a notice published to the community before a
resident joined shows in their /notices and in their welcome, with a button that opens it and
its "Got it"; one past its "valid until" does not, nor a cancelled one. The welcome also lists
the pledges waiting for a signature. The composer offers "valid until" with buttons."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.i18n import tr
from models import notices as svc
from models.base import utcnow
from models.notices import Notice
from models.onboarding import decide_membership, request_membership
from models.people import Person, Relation, Role
from models.pledges import Signers
from tests.conftest import COMMUNITY, person, place, published_pledge

ROOM = COMMUNITY + "/第一网格/1栋/1单元/"
TEXTS = {"zh_CN": ("明天9:00-12:00停水。", "上周的停电通知。", "已撤销的演练。"),
         "en": ("Water cut tomorrow 9:00-12:00.", "Power cut last week.", "Drill, cancelled.")}


async def published(env, staff: Person, number: int) -> int:
    """A notice to the whole community in both languages, sent now (before anyone joins)."""
    async with env.db.session() as s:
        draft = await svc.start_draft(s, author=staff)
        await svc.set_text(s, draft=draft, text=TEXTS["zh_CN"][number])
        await svc.set_text(s, draft=draft, text=TEXTS["en"][number], language="en")
        await svc.set_place(s, draft=draft, place_id=(await place(s, COMMUNITY)).id,
                            author=staff)
        await svc.confirm(s, notice_id=draft.id, author=staff)
        return draft.id


async def before_anyone_joined(env) -> Person:
    """Staff publish three notices and a pledge while nobody lives in 1栋 yet: one current,
    one whose "valid until" has passed since, one cancelled."""
    await env.user("Wang", id=900, language_code="en")
    async with env.db.session() as s:
        staff = await person(s, 900, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
    await published(env, staff, 0)
    expired = await published(env, staff, 1)
    cancelled = await published(env, staff, 2)
    async with env.db.session() as s:
        await svc.cancel(s, notice_id=cancelled, by=staff)
    async with env.db.session() as s:
        # its author gave a "valid until" that has passed by now
        notice = await s.get(Notice, expired)
        notice.valid_until = utcnow() - dt.timedelta(hours=1)
        await s.commit()
        await published_pledge(s, staff, COMMUNITY, "Fire safety", "Keep the stairs free.",
                               signers=Signers.RESIDENT)
    await env.outbox_settled()
    return staff


async def joins(env, staff: Person, tid: int, language: str) -> dict:
    """A resident joins 1栋 and is approved; the welcome they get."""
    await env.user(f"R{tid}", id=tid, language_code="en" if language == "en" else "zh")
    since = env.mark()
    async with env.db.session() as s:
        resident = await person(s, tid, f"居民{tid}", language=language)
        request = await request_membership(s, person=resident, relation=Relation.OWNER,
                                           household_id=(await place(s, ROOM + "101")).id)
        await decide_membership(s, membership_id=request.membership.id, decider=staff,
                                approve=True)
    await env.drain_outbox()
    heading = tr(language)("<b>Waiting for you:</b>").removeprefix("<b>").removesuffix("</b>")
    return await env.wait(tid, heading, since=since)


async def test_a_new_member_sees_what_is_current(env):
    staff = await before_anyone_joined(env)
    for tid, language in ((11, "zh_CN"), (12, "en")):
        _ = tr(language)
        current, expired, cancelled = TEXTS[language]
        welcome = await joins(env, staff, tid, language)
        assert current in welcome["text"] and "Fire safety" in welcome["text"]
        assert expired not in welcome["text"] and cancelled not in welcome["text"]
        assert env.buttons(welcome) == ["📢 " + current, "✍️ Fire safety", _("❓ Help")]

        listed = await env.say(tid, "/notices", current)
        assert expired not in listed["text"] and cancelled not in listed["text"]
        assert env.buttons(listed) == ["📢 " + current]

        # the welcome's button opens the notice itself, with its "Got it"
        got_it = _("✅ Got it")
        opened = await env.tap_on(tid, "📢 " + current, on=welcome, button=got_it)
        assert current in opened["text"] and opened["message_id"] != welcome["message_id"]
        mark = _("✅ Got it · {day}", day=tr(language, env.app.bot_data["deps"].settings.tz)
                 .short_day(utcnow()))
        await env.tap_on(tid, got_it, on=opened, button=mark)
        # and the pledge's opens the pledge to sign
        await env.tap_on(tid, "✍️ Fire safety", on=welcome, button=_("✍️ I agree and sign"))
    async with env.db.session() as s:
        acks = list(await s.scalars(select(svc.NoticeAck.person_id)))
    assert len(acks) == 2


async def test_a_forged_open_of_another_places_notice_shows_nothing(env):
    staff = await before_anyone_joined(env)
    await joins(env, staff, 11, "zh_CN")
    before = (await env.last(11))["message_id"]
    for notice_id in (2, 3):  # expired, cancelled
        toast = await env.tap(11, data=f"no:{notice_id}", forge=True)
        assert "不是发给您" in toast["text"]
    await env.outbox_settled()
    assert await env.client.bot_messages(11, after=before) == []


async def test_the_composer_offers_valid_until(env):
    await env.user("Wang", id=900, language_code="en")
    async with env.db.session() as s:
        await person(s, 900, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
    await env.say(900, "/notice", "Send me its text")
    area = await env.say(900, "Lift repairs this week.", "Choose the area")
    who = await env.tap_on(900, "✅ All of 阳光社区", on=area, expect="Who in that area?")
    preview = await env.tap_on(900, "All residents", on=who, expect="Preview")
    menu = await env.tap_on(900, "📅 Current until: cancelled", on=preview,
                            expect="Until when is this notice current?")
    preview = await env.tap_on(900, "For a week", on=menu, expect="Current until")
    tz = env.app.bot_data["deps"].settings.tz
    day = (dt.datetime.now(tz) + dt.timedelta(days=7))
    assert f"Current until {tr('en', tz).day(day)}, inclusive" in preview["text"]
    assert f"📅 Current until {tr('en', tz).short_day(day)}" in env.buttons(preview)
    since = env.mark()
    await env.tap(900, "📤 Send now", message_id=preview["message_id"])
    await env.wait_said(900, "Sending to", since=since)
    async with env.db.session() as s:
        notice = await s.scalar(select(Notice))
    local = notice.valid_until.astimezone(tz)
    assert (local.date(), local.hour, local.minute) == (day.date(), 23, 59)


async def test_a_notice_that_looks_like_a_command_does_not_stop_the_welcome(env):
    """People's words may hold a "/word" (a unit typed as "/unit 2"): the welcome that lists
    the notice still reaches the new member, with no button for a command we do not have."""
    await env.user("Wang", id=900, language_code="en")
    async with env.db.session() as s:
        staff = await person(s, 900, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
        draft = await svc.start_draft(s, author=staff)
        await svc.set_text(s, draft=draft, text="Water off in 1栋 /unit 2 until noon.")
        await svc.set_place(s, draft=draft, place_id=(await place(s, COMMUNITY)).id,
                            author=staff)
        await svc.confirm(s, notice_id=draft.id, author=staff)
    await env.outbox_settled()
    welcome = await joins(env, staff, 13, "en")
    assert "/unit 2" in welcome["text"]
    assert not any(label.startswith("/") for label in env.buttons(welcome))


async def test_notices_for_others_do_not_hide_one_for_the_tenant(env):
    """Twelve newer notices for owners only, then none for everyone else: a new tenant's
    /notices still lists the one meant for all residents."""
    await env.user("Wang", id=900, language_code="en")
    async with env.db.session() as s:
        staff = await person(s, 900, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
        for number, target in [(0, svc.Target.ALL), *((n, svc.Target.OWNERS)
                                                      for n in range(1, 13))]:
            draft = await svc.start_draft(s, author=staff)
            await svc.set_text(s, draft=draft, text=f"Notice {number} for {target.value}.")
            await svc.set_place(s, draft=draft, place_id=(await place(s, COMMUNITY)).id,
                                author=staff)
            await svc.set_target(s, draft=draft, target=target)
            await svc.confirm(s, notice_id=draft.id, author=staff)
    await env.outbox_settled()
    await env.user("Tenant", id=14, language_code="en")
    async with env.db.session() as s:
        tenant = await person(s, 14, "Tenant", language="en")
        request = await request_membership(s, person=tenant, relation=Relation.TENANT,
                                           household_id=(await place(s, ROOM + "102")).id)
        await decide_membership(s, membership_id=request.membership.id, decider=staff,
                                approve=True)
    await env.drain_outbox()
    listing = await env.say(14, "/notices", "Notice 0 for all")
    assert "owners" not in listing["text"]
