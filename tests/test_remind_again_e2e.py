"""Pressing "remind" a second time the same day: nobody is reminded twice (the shared reminder
log's rule), and the staff member is told how many were reminded already and when they can be
reminded again — not "sent to 0 people". For a pledge and for a notice, in zh_CN and en."""

from __future__ import annotations

import pytest

from handlers.notices.buttons import Status
from handlers.pledges.buttons import Manage
from models.notices import Target, confirm, set_place, set_target, set_text, start_draft
from models.people import Relation, Role
from models.pledges import Signers
from tests.conftest import COMMUNITY, person, place, published_pledge, resident

STAFF = 900
ROOMS = ("第一网格/1栋/1单元/101", "第一网格/1栋/1单元/102", "第一网格/2栋/1单元/101",
         "第二网格/3栋/1单元/101")
AGAIN = {"en": "Already reminded today: 4 people; you can remind them again tomorrow.",
         "zh_CN": "今天已提醒过 4 人，明天可以再提醒他们。"}
REMIND_PLEDGE = {"en": "⏰ Remind those who have not signed", "zh_CN": "⏰ 提醒尚未签署的人"}
REMIND_NOTICE = {"en": "⏰ Remind those who have not confirmed", "zh_CN": "⏰ 提醒尚未确认的人"}
FIRST = {"en": "4 people", "zh_CN": "4 "}


async def four_residents(env, language: str):
    await env.user("Wang", id=STAFF, language_code="en" if language == "en" else "zh-hans")
    async with env.db.session() as s:
        staff = await person(s, STAFF, "王芳", language=language, role=Role.STAFF,
                             at=COMMUNITY)
        for telegram_id, room in enumerate(ROOMS, start=1):
            await env.user(f"R{telegram_id}", id=telegram_id)
            await resident(s, staff, telegram_id, f"{COMMUNITY}/{room}",
                           relation=Relation.OWNER)
    return staff


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_remind_a_pledge_twice(env, language):
    staff = await four_residents(env, language)
    async with env.db.session() as s:
        pid = await published_pledge(s, staff, COMMUNITY, "No fireworks", "I will not.",
                                     signers=Signers.HOUSEHOLD)
    menu = await env.say(STAFF, "/pledge")  # the pledges, each a button
    manage = await env.tap_on(STAFF, data=Manage(pid).encode(), on=menu,
                              button=REMIND_PLEDGE[language])
    since = env.mark()
    toast = await env.tap(STAFF, REMIND_PLEDGE[language], message_id=manage["message_id"])
    assert FIRST[language] in toast["text"]
    for resident_id in (1, 2, 3, 4):
        await env.wait(resident_id, "No fireworks", since=since)
    toast = await env.tap(STAFF, REMIND_PLEDGE[language], message_id=manage["message_id"])
    assert toast["text"] == AGAIN[language]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_remind_a_notice_twice(env, language):
    staff = await four_residents(env, language)
    async with env.db.session() as s:
        notice = await start_draft(s, author=staff)
        await set_text(s, draft=notice, text="Lift maintenance on Friday.", language="*",
                       media_kind=None, media_file_id=None, media_size=None)
        await set_place(s, draft=notice, place_id=(await place(s, COMMUNITY)).id,
                        author=staff)
        await set_target(s, draft=notice, target=Target.ALL)
        await confirm(s, notice_id=notice.id, author=staff)
    await env.drain_outbox()
    await env.outbox_settled()
    listed = await env.say(STAFF, "/notices", f"#{notice.id}")
    status = await env.tap_on(STAFF, data=Status(notice.id).encode(), on=listed,
                              button=REMIND_NOTICE[language])
    since = env.mark()
    toast = await env.tap(STAFF, REMIND_NOTICE[language], message_id=status["message_id"])
    assert FIRST[language] in toast["text"]
    for resident_id in (1, 2, 3, 4):
        await env.wait(resident_id, "Lift maintenance", since=since)
    toast = await env.tap(STAFF, REMIND_NOTICE[language], message_id=status["message_id"])
    assert toast["text"] == AGAIN[language]
