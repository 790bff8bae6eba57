"""Progress that adds up, headed by the place it is about. 张 owns flats in 1栋 and 3栋: a
notice to the community reaches 7 people in 8 households, and its status says so — "7 people ·
8 households" — with rows per building that add up to the 8. A pledge every resident signs
reads the same way at each level, headed by the community, the grid, the building or the unit
it shows (not the community at grid level). In zh_CN and en."""

from __future__ import annotations

import re

import pytest

from handlers.notices.buttons import Status
from handlers.pledges.buttons import Manage
from models.notices import Target, confirm, set_place, set_target, set_text, start_draft
from models.onboarding import decide_membership, request_membership
from models.people import Relation, Role, person_by_telegram
from models.pledges import Signers
from tests.conftest import COMMUNITY, person, place, published_pledge, resident

STAFF = 900
G1, G2 = "第一网格", "第二网格"
# (telegram id, room): 张 (1) twice
HOMES = ((1, f"{G1}/1栋/1单元/101"), (1, f"{G2}/3栋/1单元/101"), (2, f"{G1}/1栋/1单元/102"),
         (3, f"{G1}/1栋/2单元/201"), (4, f"{G1}/2栋/1单元/101"), (5, f"{G1}/2栋/2单元/201"),
         (6, f"{G2}/3栋/1单元/102"), (7, f"{G2}/3栋/2单元/201"))
W = {
    "en": {"got": "Got it: {a} of 7 people · {d} of 8 households",
           "signed": "Signed: 0 / 7 people · households where all have signed: 0 / 8",
           "progress": "📊 Progress"},
    "zh_CN": {"got": "已收到：{a} / 7 人 · {d} / 8 户",
              "signed": "已签署：0 / 7 人 · 全员已签署的户：0 / 8",
              "progress": "📊 进度"},
}


async def neighbours(env, language: str):
    """Staff 王芳, and 7 residents in 8 households (张 owns two)."""
    await env.user("Wang", id=STAFF, language_code="en" if language == "en" else "zh-hans")
    async with env.db.session() as s:
        staff = await person(s, STAFF, "王芳", language=language, role=Role.STAFF,
                             at=COMMUNITY)
        for telegram_id, room in HOMES:
            if telegram_id == 1 and room.startswith(G2):  # 张's second flat
                zhang = await person_by_telegram(s, 1)
                req = await request_membership(s, person=zhang, relation=Relation.OWNER,
                                               household_id=(await place(
                                                   s, f"{COMMUNITY}/{room}")).id)
                await decide_membership(s, membership_id=req.membership.id, decider=staff,
                                        approve=True)
                continue
            await env.user(f"R{telegram_id}", id=telegram_id)
            await resident(s, staff, telegram_id, f"{COMMUNITY}/{room}",
                           name="张" if telegram_id == 1 else None)
    return staff


def rows_sum(text: str) -> int:
    """What the rows per place ("1栋: 0 / 3") add up to."""
    return sum(int(total) for total in re.findall(r"^\s*\S+: \d+ / (\d+)$", text, re.M))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_notice_counts_people_and_households_that_add_up(env, language):
    w = W[language]
    staff = await neighbours(env, language)
    async with env.db.session() as s:
        notice = await start_draft(s, author=staff)
        await set_text(s, draft=notice, text="Lift maintenance on Friday.")
        await set_place(s, draft=notice, place_id=(await place(s, COMMUNITY)).id,
                        author=staff)
        await set_target(s, draft=notice, target=Target.ALL)
        await confirm(s, notice_id=notice.id, author=staff)
    await env.drain_outbox()
    for telegram_id in range(1, 8):
        await env.wait(telegram_id, "Lift maintenance", since=0)
    await env.outbox_settled()  # and recorded as sent
    listed = await env.say(STAFF, "/notices", f"#{notice.id}")
    status = await env.tap_on(STAFF, data=Status(notice.id).encode(), on=listed,
                              expect=w["got"].format(a=0, d=0))
    assert rows_sum(status["text"]) == 8
    assert "1栋: 0 / 3" in status["text"] and "3栋: 0 / 3" in status["text"]

    zhang = [m for m in await env.client.bot_messages(1) if "Lift" in m["text"]]
    await env.tap(1, "✅ 收到",  # 张 reads Chinese
                  message_id=zhang[0]["message_id"])
    listed = await env.say(STAFF, "/notices", f"#{notice.id}")
    status = await env.tap_on(STAFF, data=Status(notice.id).encode(), on=listed,
                              expect=w["got"].format(a=1, d=2))
    assert "1栋: 1 / 3" in status["text"] and "3栋: 1 / 3" in status["text"]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_pledge_progress_is_headed_by_its_place_at_every_level(env, language):
    w = W[language]
    staff = await neighbours(env, language)
    async with env.db.session() as s:
        pid = await published_pledge(s, staff, COMMUNITY, "No fireworks", "I will not.",
                                     signers=Signers.RESIDENT)
    menu = await env.say(STAFF, "/pledge")
    manage = await env.tap_on(STAFF, data=Manage(pid).encode(), on=menu, button=w["progress"])
    report = await env.tap_on(STAFF, w["progress"], on=manage, expect="阳光社区\n")
    assert w["signed"] in report["text"] and rows_sum(report["text"]) == 8
    assert f"{G1}: 0 / 5" in report["text"] and f"{G2}: 0 / 3" in report["text"]

    grid = await env.tap_on(STAFF, f"{G2} 0/3", on=report, expect=f"阳光社区 {G2}\n")
    assert "3栋: 0 / 3" in grid["text"]
    building = await env.tap_on(STAFF, "3栋 0/3", on=grid, expect="阳光社区 3栋\n")
    assert "1单元: 0 / 2" in building["text"] and "2单元: 0 / 1" in building["text"]
    unit = await env.tap_on(STAFF, "1单元 0/2", on=building, expect="阳光社区 3栋 1单元\n")
    for shown, place_label in ((report, "阳光社区"), (grid, f"阳光社区 {G2}"),
                               (building, "阳光社区 3栋"), (unit, "阳光社区 3栋 1单元")):
        header = shown["text"].split("\n")[0]  # "📊 No fireworks — …" / "…——…"
        assert header.endswith(("— " + place_label, "——" + place_label)), header
