"""Photo reports (#16) end to end through the emulator, by buttons, in Chinese and in English:
a resident reports a leak with a photo (where from her places, a category, a typed
description, confirmed) and gets its id; the dispatch card reaches the staff and the grid
worker of the place, not a grid worker elsewhere; the grid worker assigns it to the repair
team, whose member marks it fixed with an "after" photo; the resident accepts it with a
rating. A second report, without a photo, goes to the grid worker in person, who starts it
and fixes it; the resident says it is not fixed, which reopens it to him with her reason.
`/report R-…` shows the history to the reporter, not to a grid worker elsewhere; a third
report is rejected with a reason the reporter is shown."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from bot.i18n import tr
from models.people import Relation, Role
from models.reports import departments
from models.reports.tables import PhotoStage, Report, ReportPhoto, ReportStatus
from tests.conftest import person, place, resident
from tests.test_emulator import png
from tests.test_votes_secret_e2e import said

COMMUNITY = "城东街道/阳光社区"
B1 = COMMUNITY + "/第一网格/1栋"
STAFF, GRID, GRID2, FIXER, ANN = 900, 901, 902, 903, 1
CODES = {"zh_CN": "zh-hans", "en": "en"}
FIXED = ("🔧 <b>Your report {id} is marked fixed.</b> Is it? Rate the fix from 1 to 5, or press "
         "“Not fixed” to reopen it.")
WATER = {"zh_CN": "给排水", "en": "Water and drains"}


def words(_, message: str) -> str:
    """The longest piece of a message as the chat shows it, between its placeholders."""
    text = html.unescape(re.sub(r"<[^>]+>", "", _(message)))
    return max(re.split(r"\{[^}]*\}", text), key=len).strip()


async def setup(env, language: str) -> None:
    for tid, name in ((STAFF, "Wang"), (GRID, "Li"), (GRID2, "Liu"), (FIXER, "Zhao"),
                      (ANN, "Ann")):
        await env.user(name, id=tid, language_code=CODES[language])
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Wang", language=language, role=Role.STAFF,
                             at=COMMUNITY)
        await person(s, GRID, "Li", language=language, role=Role.GRID_WORKER,
                     at=COMMUNITY + "/第一网格")
        await person(s, GRID2, "Liu", language=language, role=Role.GRID_WORKER,
                     at=COMMUNITY + "/第二网格")
        fixer = await person(s, FIXER, "Zhao", language=language)
        await resident(s, staff, ANN, f"{B1}/1单元/101", relation=Relation.OWNER,
                       language=language, name="Ann")
        await departments.create(s, community=await place(s, COMMUNITY), by=staff,
                                 name="维修队", members=[fixer.id])


async def report(env, _, *, photo: bool, description: str) -> str:
    """Ann reports a problem at 1栋 by buttons; its short id."""
    step = await env.say(ANN, "/report", words(
        _, "📸 <b>New report</b> — send up to {max} photos of the problem, one by one (or none, "
           "for a noise complaint), then press “Next”."))
    if photo:
        since = env.mark()
        await env.client.send_photo(ANN, png(8, 8))
        step = await env.wait(ANN, said(_, "Photos received: {n} of {max}.", n=1, max=5),
                              since=since)
    where = await env.tap_on(ANN, _("Next ▶"), on=step, button="1栋")
    if photo:  # a message while it waits for a button is told so, and the step comes again
        since = env.mark()
        await env.client.send(ANN, "hello?")
        told = await env.wait(ANN, said(_, "Your report is waiting for you to press one of the "
                                           "buttons below; or cancel it."), since=since)
        assert _("🗑 Cancel the report") in env.buttons(told)
        where = await env.wait_for(ANN, since=since, button="1栋")
    kind = await env.tap_on(ANN, "1栋", on=where, button=WATER[_.language])
    await env.tap_on(ANN, WATER[_.language], on=kind,
                     expect=words(
        _, "📝 Describe the problem in one message (what, and exactly where), or press “No "
           "description”."))
    confirm = await env.say(ANN, description, said(_, "Please check your report, then send it."))
    assert description in confirm["text"] and "1栋" in confirm["text"]
    done = await env.tap_on(ANN, _("📨 Send the report"), on=confirm,
                            expect=words(
        _, "✅ Your report <b>{id}</b> is sent to the community office. You will hear of each "
           "step here."))
    async with env.db.session() as s:
        sent = await s.scalar(select(Report).order_by(Report.id.desc()))
    assert sent.short_id in done["text"] and sent.status == ReportStatus.NEW
    return sent.short_id


async def the_report(env, short: str) -> Report:
    async with env.db.session() as s:
        return await s.get(Report, int(short[2:]))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_report_dispatched_fixed_and_accepted_and_one_reopened(env, language):
    _ = tr(language)
    await setup(env, language)
    since = env.mark()
    first = await report(env, _, photo=True, description="三楼楼道漏水 leaking on floor 3")

    # the dispatch card, with the photo, to the staff and the grid worker of 第一网格
    await env.drain_outbox()
    card = await env.wait(GRID, said(_, "🆕 <b>A new report to dispatch</b>"), since=since)
    assert card.get("photo") and first in card["caption"]
    await env.wait(STAFF, said(_, "🆕 <b>A new report to dispatch</b>"), since=since)
    await env.outbox_settled()
    assert not [m for m in await env.client.bot_messages(GRID2)]

    # the grid worker gives it to the repair team; its member is told, with the photo
    menu = await env.tap_on(GRID, _("👷 Assign"), on=card, button="🏢 维修队")
    await env.tap_on(GRID, "🏢 维修队", on=menu,
                     expect=said(_, "✅ Report {id} is assigned.", id=first))
    await env.drain_outbox()
    given = await env.wait(FIXER, said(_, "👷 <b>Report {id} is assigned to you.</b>",
                                       id=first), since=since)
    await env.wait(ANN, said(_, "👷 Your report {id} is assigned to {who}; deadline {day}.",
                             id=first, who="维修队", day="§").split("§")[0], since=since)

    # fixed, with the after photo
    label = _("✅ Mark fixed (send the after photo)")
    await env.tap_on(FIXER, label, on=given, expect=said(
        _, "📷 Send a photo of report {id} fixed (the “after” photo).", id=first))
    done = env.mark()
    await env.client.send_photo(FIXER, png(16, 16))
    await env.wait(FIXER, said(_, "✅ Report {id} is marked fixed; the reporter is asked to "
                                  "accept it.", id=first), since=done)

    # Ann sees the after photo and accepts it with 4 stars
    await env.drain_outbox()
    fixed = await env.wait(ANN, words(_, FIXED), since=done)
    assert fixed.get("photo") and "4⭐" in env.buttons(fixed)
    await env.tap_on(ANN, "4⭐", on=fixed, expect=said(
        _, "🎉 Thank you: report {id} is accepted, rated {stars}.", id=first, stars="★★★★"))
    await env.drain_outbox()
    await env.wait(FIXER, said(_, "🎉 <b>Report {id} was accepted by its reporter</b> ({stars}).",
                               id=first, stars="★★★★"), since=done)
    accepted = await the_report(env, first)
    assert accepted.status == ReportStatus.ACCEPTED and accepted.rating == 4
    async with env.db.session() as s:
        stages = list(await s.scalars(select(ReportPhoto.stage).where(
            ReportPhoto.report_id == accepted.id).order_by(ReportPhoto.id)))
    assert stages == [PhotoStage.BEFORE, PhotoStage.AFTER]

    # a second report, no photo, to the grid worker himself: started, fixed, not fixed
    since = env.mark()
    second = await report(env, _, photo=False, description="路灯不亮")
    await env.drain_outbox()
    card = await env.wait(STAFF, said(_, "🆕 <b>A new report to dispatch</b>"), since=since)
    assert not card.get("photo")
    menu = await env.tap_on(STAFF, _("👷 Assign"), on=card, button="👤 Li")
    await env.tap_on(STAFF, "👤 Li", on=menu,
                     expect=said(_, "✅ Report {id} is assigned.", id=second))
    await env.drain_outbox()
    given = await env.wait(GRID, said(_, "👷 <b>Report {id} is assigned to you.</b>",
                                      id=second), since=since)
    started = await env.tap_on(GRID, _("▶️ Start work"), on=given, expect=said(
        _, "🛠 You are on report {id}; the reporter is told. When it is fixed, press “Mark "
           "fixed” and send the after photo.", id=second))
    await env.tap_on(GRID, label, on=started, expect=said(
        _, "📷 Send a photo of report {id} fixed (the “after” photo).", id=second))
    done = env.mark()
    await env.client.send_photo(GRID, png(16, 16))
    await env.drain_outbox()
    await env.wait(ANN, said(_, "🛠 Work on your report {id} has started.", id=second),
                   since=since)
    fixed = await env.wait(ANN, words(_, FIXED), since=done)
    asked = await env.tap_on(ANN, _("❌ Not fixed"), on=fixed, expect=said(
        _, "What is still wrong with report {id}? Send it in one message: the report goes back "
           "to whoever fixed it.", id=second))
    assert asked
    await env.say(ANN, "还是不亮 still dark", said(
        _, "🔁 Report {id} is reopened and sent back: “{reason}”.", id=second,
        reason="还是不亮 still dark"))
    await env.drain_outbox()
    back = await env.wait(GRID, said(_, "🔁 <b>Report {id} was reopened by its reporter:</b> "
                                        "{reason}", id=second, reason="还是不亮 still dark"),
                          since=done)
    assert label in env.buttons(back)
    reopened = await the_report(env, second)
    assert reopened.status == ReportStatus.REOPENED and reopened.assignee_id is not None
    # /myreports lists both, with their state
    mine = await env.say(ANN, "/myreports", said(_, "<b>My reports</b>"))
    assert any(first in b for b in env.buttons(mine)) and any(second in b
                                                              for b in env.buttons(mine))
    # `/report R-…`: the history to the reporter; a grid worker of another grid is refused
    shown = await env.say(ANN, f"/report {first}", said(_, "<b>History</b>"))
    assert said(_, "accepted") in shown["text"] and said(_, "marked fixed") in shown["text"]
    assert "Zhao" in shown["text"]
    refused = await env.say(GRID2, f"/report {first}", said(
        _, "You do not have permission to do that here."))
    assert first not in refused["text"]

    # a third report, rejected: the reporter is shown why
    since = env.mark()
    third = await report(env, _, photo=False, description="?")
    await env.drain_outbox()
    card = await env.wait(STAFF, said(_, "🆕 <b>A new report to dispatch</b>"), since=since)
    reasons = await env.tap_on(STAFF, _("🚫 Reject"), on=card, button=_("not enough information"))
    await env.tap_on(STAFF, _("not enough information"), on=reasons, expect=said(
        _, "🚫 Report {id} is rejected: {reason}.", id=third,
        reason=_("not enough information")))
    await env.drain_outbox()
    await env.wait(ANN, said(_, "🚫 Your report {id} was not taken up: {reason}. If you think "
                                "that is wrong, send a new report with more detail.", id=third,
                             reason=_("not enough information")), since=since)
    assert (await the_report(env, third)).status == ReportStatus.REJECTED
