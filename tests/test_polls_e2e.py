"""Resident polls end to end through the emulator, by buttons, in Chinese and in English: staff
write a poll for 1栋 (the place picked from the tree, the question and options typed, the
settings pressed on the preview) and publish it; residents answer from the poll they were
sent (ticked in place, sent; a named answer changed), a resident of another building and a
forged button are refused with nothing written; staff follow the progress, close it, see the
result, publish it; residents get it and its chart; and the exported files recount to the
bot's own result."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from handlers.polls import exporting
from models.people import Relation, Role
from models.polls.tables import Poll, PollAnswer, PollSecretAnswer, PollStatus
from models.votes import recount, tally
from tests.conftest import person, resident
from tests.test_votes_e2e import file_bytes

COMMUNITY = "城东街道/阳光社区"
B1 = COMMUNITY + "/第一网格/1栋"
STAFF, ANN, AMY, BOB, EVE, CAI = 900, 1, 2, 3, 4, 5
WORDS = {
    "zh_CN": {"code": "zh-hans", "runs": "🗂 我发起的征询", "new": "➕ 新建征询",
              "grid": "第一网格", "all": "✅ 1栋全部", "options": "第 1 个选项", "done": "完成 ▶",
              "preview": "预览", "publish": "📣 发布", "sent": "正在发送给 4 人",
              "asked": "请点下面的选项", "send": "📨 提交我的回答", "counted": "您的回答已计入",
              "change": "✏️ 修改我的回答", "not_resident": "只有该处已审核通过的住户成员",
              "stale": "按钮已经失效", "open": "📋 打开征询", "close": "🔒 立即结束",
              "yes": "🔒 是的，立即结束", "closed": "已结束",
              "publish_result": "📢 向居民公布结果",
              "result": "结果", "chart": "📊 图表", "progress": "📊 进度",
              "answered": "已作答：4 人中 2 人",
              "too_long": "问题太长：最多 300 个字，这个有 301 个字",
              "too_few": "征询至少需要 2 个选项", "late": "不再接受回答"},
    "en": {"code": "en", "runs": "🗂 Polls I run", "new": "➕ New poll", "grid": "第一网格",
           "all": "✅ All of 1栋", "options": "Send option 1", "done": "Done ▶",
           "preview": "Preview", "publish": "📣 Publish", "sent": "on its way to 4 people",
           "asked": "Press your answer below", "send": "📨 Send my answer",
           "counted": "Your answer is counted", "change": "✏️ Change my answer",
           "not_resident": "only an approved member of a household",
           "stale": "no longer valid", "open": "📋 Open the poll", "close": "🔒 Close now",
           "yes": "🔒 Yes, close it now", "closed": "Closed", "publish_result":
           "📢 Publish the result to the residents", "result": "Result", "chart": "📊 Chart",
           "progress": "📊 Progress", "answered": "Answered: 3 of 4 households",
           "too_long": "The question is too long: at most 300 characters, and this one has 301",
           "too_few": "A poll needs at least 2 options", "late": "it takes no more answers"},
}


async def setup(env, language: str) -> None:
    """Staff of 阳光社区; Ann (owner) and Amy (family) of 1栋1单元101, Bob the tenant of 102,
    Cai the owner of 1栋2单元101 and 102, Eve of 2栋."""
    code = WORDS[language]["code"]
    for tid, name in ((STAFF, "Wang"), (ANN, "Ann"), (AMY, "Amy"), (BOB, "Bob"), (EVE, "Eve"),
                      (CAI, "Cai")):
        await env.user(name, id=tid, language_code=code)
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language=language, role=Role.STAFF,
                             at=COMMUNITY)
        for tid, name, room, relation in ((ANN, "Ann", f"{B1}/1单元/101", Relation.OWNER),
                                          (AMY, "Amy", f"{B1}/1单元/101", Relation.FAMILY),
                                          (BOB, "Bob", f"{B1}/1单元/102", Relation.TENANT),
                                          (CAI, "Cai", f"{B1}/2单元/101", Relation.OWNER),
                                          (CAI, "Cai", f"{B1}/2单元/102", Relation.OWNER),
                                          (EVE, "Eve", COMMUNITY + "/第一网格/2栋/1单元/101",
                                           Relation.OWNER)):
            await resident(s, staff, tid, room, relation=relation, language=language,
                           name=name)


async def write_poll(env, w: dict, question: str, options: list[str],
                     settings: list[str]) -> dict:
    """Staff write the poll by buttons and typing, press `settings` on its preview and
    publish it; the confirmation."""
    mine = await env.say(STAFF, "/polls", None)
    listed = await env.tap_on(STAFF, w["runs"], on=mine, button=w["new"])
    picker = await env.tap_on(STAFF, w["new"], on=listed, button=w["grid"])
    picker = await env.tap_on(STAFF, w["grid"], on=picker, button="1栋")
    picker = await env.tap_on(STAFF, "1栋", on=picker, button=w["all"])
    await env.tap_on(STAFF, w["all"], on=picker, expect="300")
    await env.say(STAFF, "长" * 301, w["too_long"])  # refused, and asked again
    step = await env.say(STAFF, question, w["options"])
    step = await env.say(STAFF, options[0], None)
    toast = await env.tap(STAFF, data=f"pw:od:{(await the_poll(env)).id}", forge=True,
                          message_id=step["message_id"])
    assert w["too_few"] in toast["text"]
    for option in options[1:-1]:
        step = await env.say(STAFF, option, None)
    step = await env.say(STAFF, options[-1], None)
    assert w["done"] in env.buttons(step)
    preview = await env.tap_on(STAFF, w["done"], on=step, expect=w["preview"])
    for label in settings:
        preview = await env.tap_on(STAFF, label, on=preview, button=f"✓ {label}")
    return await env.tap_on(STAFF, w["publish"], on=preview, expect=w["sent"])


async def answer(env, user: int, on: dict, labels: list[str], w: dict) -> dict:
    """From the poll a resident was sent: tick `labels`, send; the confirmation."""
    shown = on
    for label in labels:
        shown = await env.tap_on(user, label, on=shown, button=f"✓ {label}")
    return await env.tap_on(user, w["send"], on=shown, expect=w["counted"])


async def the_poll(env) -> Poll:
    async with env.db.session() as s:
        return await s.scalar(select(Poll).order_by(Poll.id.desc()))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_poll_written_answered_and_published_by_buttons(env, tmp_path, language):
    w = WORDS[language]
    await setup(env, language)
    since = env.mark()
    if language == "zh_CN":  # one vote per person, named, one option
        options = ["同意", "不同意", "无所谓"]
        done = await write_poll(env, w, "自行车棚是否搬到北门？", options, [])
    else:  # one vote per household, anonymous, several options, a minimum turnout
        options = ["Saturday", "Sunday", "Weekday evening"]
        done = await write_poll(env, w, "When should the clean-up be?", options,
                                ["🏠 Per household", "🕶 Anonymous", "☑️ Several options",
                                 "≥ 50%"])
    assert done
    sent = {tid: await env.wait(tid, w["asked"], since=since) for tid in (ANN, AMY, BOB, CAI)}
    poll = await the_poll(env)
    if language == "zh_CN":
        await answer(env, ANN, sent[ANN], ["1. 同意"], w)
        first = await answer(env, AMY, sent[AMY], ["2. 不同意"], w)
        changed = await env.tap_on(AMY, w["change"], on=first, button="✓ 2. 不同意")
        changed = await env.tap_on(AMY, "1. 同意", on=changed, button="✓ 1. 同意")
        await env.tap_on(AMY, w["send"], on=changed, expect=w["counted"])
    else:
        await answer(env, ANN, sent[ANN], ["1. Saturday", "3. Weekday evening"], w)
        # Amy is of Ann's household: its one vote is given, and cannot be changed
        toast = await env.tap(AMY, "2. Sunday", message_id=sent[AMY]["message_id"])
        assert "cannot be changed" in toast["text"]
        await answer(env, BOB, sent[BOB], ["2. Sunday"], w)
        # Cai has two homes in 1栋: the first press asks which one answers, then as anyone
        which = await env.tap_on(CAI, "1. Saturday", on=sent[CAI], expect="For which home")
        home = await env.tap_on(CAI, env.buttons(which)[0], on=which, button="1. Saturday")
        await answer(env, CAI, home, ["1. Saturday"], w)
    # Eve (2栋) is not asked, and a forged press is refused: nothing written
    toast = await env.tap(EVE, data=f"pr:s:{poll.id}:0:1", forge=True)
    assert w["not_resident"] in toast["text"]
    toast = await env.tap(ANN, data=f"pr:s:{poll.id}:0:64", forge=True,
                          message_id=sent[ANN]["message_id"])
    assert w["stale"] in toast["text"]
    async with env.db.session() as s:
        kept = PollSecretAnswer if language == "en" else PollAnswer
        assert await s.scalar(select(func.count()).select_from(kept)) == (
            3 if language == "en" else 2)

    page = await env.tap_on(STAFF, w["open"], on=await env.wait(STAFF, w["sent"], since=0),
                            button=w["progress"])
    progress = await env.tap_on(STAFF, w["progress"], on=page, expect=w["answered"])
    ask = await env.tap_on(STAFF, w["close"], on=progress, button=w["yes"])
    closed = await env.tap_on(STAFF, w["yes"], on=ask, expect=w["closed"])
    toast = await env.tap(CAI, data=f"pr:p:{poll.id}:0:1", forge=True,
                          message_id=sent[CAI]["message_id"])
    assert w["late"] in toast["text"]  # (a press on the poll as sent, once it has closed)
    since = env.mark()
    await env.tap_on(STAFF, w["publish_result"], on=closed, expect=w["sent"])
    chart = await env.wait(STAFF, w["result"], since=since)
    assert png_size(await file_bytes(env, chart))[0] > 300
    result = await env.wait(BOB, w["result"], since=since)
    if language == "zh_CN":
        assert "参与：4 人中 2 人（50%）" in result["text"]
        assert "1. 同意：2（100%）" in result["text"]
    else:
        assert "Took part: 3 of 4 households (75%) — the minimum of 50% is reached ✓" in \
            result["text"]
        assert "1. Saturday: 2 (67%)" in result["text"] and "2. Sunday: 1 (33%)" in \
            result["text"]
    since = env.mark()
    await env.tap(BOB, w["chart"], message_id=result["message_id"])
    assert png_size(await file_bytes(env, await env.wait(BOB, None, since=since)))[0] > 300

    poll = await the_poll(env)
    assert poll.status == PollStatus.PUBLISHED
    await exporting.write(env.db, poll.id, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == poll.result
