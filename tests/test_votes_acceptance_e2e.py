"""The points of issue #14 that the other end-to-end vote tests leave out, through the real
application and the emulator, on SQLite and PostgreSQL: the whole vote in Chinese (announced
with the 15-day rule, two matters with what each needs, a co-owner told, reminders only to
Cai, the committee's progress by building and the headcount overall, extended, closed, two
scrutineers, the result with its chart to every owner, the table the bot showed printed again
by `linli votes recount` from the exported files); forged, stale and late presses and another
vote's buttons answered with a clear message and nothing written; who voted how only after
closing (CSV and XLSX); an announced vote's old draft buttons refused; a household that lost
its area keeping the vote shut, the convenors told which; the voting-time setting; the
automatic reminders picked on the draft (7, 3 and 1 days before closing) falling due on
exactly those days, to those who have not voted.

The estate and its people are tests/test_votes_e2e.py's 翠竹苑 (Bamboo Court)."""

from __future__ import annotations

import datetime as dt
import html
import io

import pytest
from sqlalchemy import func, select

from bot import registry
from bot.cli import main
from handlers.votes import exporting
from models.audit import AuditEntry
from models.base import utcnow
from models.outbox import OutboxMessage
from models.participation import REMINDER_LEAD
from models.people import person_by_telegram
from models.schedule import DueItem, DueStatus, run_due
from models.votes import lifecycle, recount, tally
from models.votes.core import OPEN_DUE, REMIND_DUE, REMINDER, earliest_opening
from models.votes.tables import Ballot, BallotVersion, Vote, VoteMatter, VoteStatus
from tests.botenv import running_bot
from tests.conftest import place
from tests.test_votes_e2e import (
    AMY,
    ANN,
    BOB,
    CAI,
    HOMES,
    LI,
    PAT,
    STAFF,
    TOM,
    ZHANG,
    file_bytes,
    owner_of,
    quick_draft,
    setup_estate,
    the_vote,
    time_passes,
    vote_by_buttons,
)

TZ = dt.timezone(dt.timedelta(hours=8))
ANNOUNCED_NOW = "This vote has been announced: its matters and dates can no longer change."
STALE = "This button is no longer valid. Send /help to start again."


async def count(env, table, *where) -> int:
    async with env.db.session() as s:
        return await s.scalar(select(func.count()).select_from(table).where(*where))


async def announce(env, vote_id: int) -> None:
    async with env.db.session() as s:
        staff = await person_by_telegram(s, STAFF)
        await lifecycle.announce(s, vote_id=vote_id, author=staff, tz=TZ)
    await env.drain_outbox()


async def deadline_passes(env, vote_id: int) -> None:
    """A minute past the vote's deadline, the tick not having run (the bot was down): the
    vote's times and its due items move back together, and nothing is run."""
    async with env.db.session() as s:
        vote = await s.get(Vote, vote_id)
        shift = vote.closes_at + dt.timedelta(minutes=1) - utcnow()
        for name in ("opens_at", "closes_at", "first_closes_at", "announced_at", "opened_at"):
            if getattr(vote, name) is not None:
                setattr(vote, name, getattr(vote, name) - shift)
        for item in await s.scalars(select(DueItem).where(DueItem.ref_id == vote.id,
                                                           DueItem.status == DueStatus.PENDING)):
            item.due_at -= shift
            if "closes_at" in item.payload:
                moved = dt.datetime.fromisoformat(item.payload["closes_at"]) - shift
                item.payload = {**item.payload, "closes_at": moved.isoformat()}
        await s.commit()


async def tick(env) -> None:
    async with env.db.session() as s:
        await run_due(s, registry.effects(), now=utcnow())
    await env.drain_outbox()


# --- the whole vote, in Chinese -----------------------------------------------------------


async def announce_in_chinese(env) -> dict:
    mine = await env.say(STAFF, "/votes", "您的房屋目前没有业主表决。")
    listed = await env.tap_on(STAFF, "🗳 我组织的表决", on=mine, expect="还没有业主表决。")
    scope = await env.tap_on(STAFF, "➕ 新建表决", on=listed, expect="由谁表决")
    await env.tap_on(STAFF, "✅ 翠竹苑 全体", on=scope, expect="新的业主表决")
    items = await env.say(STAFF, "2027年业主大会", "第 1 项表决事项")
    await env.tap_on(STAFF, "4. 选聘和解聘物业服务企业或者其他管理人", on=items,
                     expect="现在请发送该表决事项的")
    draft = await env.say(STAFF, "选聘绿叶物业", "目前的表决事项")
    items = await env.tap_on(STAFF, "➕ 添加表决事项", on=draft, expect="第 2 项表决事项")
    await env.tap_on(STAFF, "6. 筹集建筑物及其附属设施的维修资金", on=items,
                     expect="现在请发送该表决事项的")
    draft = await env.say(STAFF, "续筹维修资金", "2. 续筹维修资金")
    days = await env.tap_on(STAFF, "下一步：日期 ▶", on=draft, expect="最早可于")
    today = dt.datetime.now(TZ).date()
    refused = await env.say(STAFF, (today + dt.timedelta(days=15)).isoformat(),
                            "须在投票开始前至少15日")
    assert f"最早可开始投票的日期是 {today + dt.timedelta(days=16):%Y}" in refused["text"]
    closing = await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="可以投票到哪一天")
    change = await env.tap_on(STAFF, env.buttons(closing)[0], on=closing, expect="更改选票")
    preview = await env.tap_on(STAFF, "允许，截止前可更改", on=change, expect="预览")
    assert "须经参与表决专有部分面积四分之三以上且人数四分之三以上的业主同意" in preview["text"]
    return await env.tap_on(STAFF, "📣 发布公告", on=preview, expect="正在发送给 4 位业主")


async def vote_in_chinese(env, user: int, on: dict, first: str, second: str) -> dict:
    ballot = await env.tap_on(user, "🗳 投票", on=on, expect="投票房屋：")
    ballot = await env.tap_on(user, f"1. {first}", on=ballot, button=f"👉 1. {first}")
    ballot = await env.tap_on(user, f"2. {second}", on=ballot, button="核对 ▶")
    summary = await env.tap_on(user, "核对 ▶", on=ballot, expect="请核对您在")
    return await env.tap_on(user, "✔ 确认", on=summary, expect="您的选票")


async def test_in_chinese_an_owners_vote_from_announcement_to_recounted_result(env, tmp_path,
                                                                              capsys):
    await setup_estate(env, language="zh_CN")
    since = env.mark()
    announced = await announce_in_chinese(env)
    await env.wait(ANN, "业主表决公告", since=since)

    since = env.mark()
    await time_passes(env, "opens_at")
    opened = {tid: await env.wait(tid, "投票已开始", since=since) for tid in (ANN, BOB)}
    ballot = await env.tap_on(ANN, "🗳 投票", on=opened[ANN], expect="投票房屋：A栋 1单元 101")
    # each matter with its art. 278 item and what passing needs
    assert "第二百七十八条第（4）项：选聘和解聘物业服务企业或者其他管理人" in ballot["text"]
    assert "须经参与表决专有部分面积过半数且人数过半数的业主同意" in ballot["text"]
    assert "须经参与表决专有部分面积四分之三以上且人数四分之三以上的业主同意" in ballot["text"]
    copy = await vote_in_chinese(env, ANN, opened[ANN], "✅ 同意", "❌ 反对")
    assert "1. 选聘绿叶物业——✅ 同意" in copy["text"]
    assert "2. 续筹维修资金——❌ 反对" in copy["text"]
    told = await env.wait(AMY, "共有人 Ann", since=since)
    assert "A栋 1单元 101" in told["text"] and "同一房屋的共有人共同投一张选票" in told["text"]
    await vote_in_chinese(env, BOB, opened[BOB], "✅ 同意", "✅ 同意")
    vote = await the_vote(env)
    toast = await env.tap(ANN, data=f"vo:c:{vote.id}:{await owner_of(env, ANN)}:a",
                          forge=True, message_id=copy["message_id"])  # one matter of two
    assert toast["text"] == "这个按钮已经失效了，请发送 /help 重新开始。"
    assert await count(env, BallotVersion) == 2

    # reminders: only Cai has not voted (Amy's home has, through Ann)
    page = await env.tap_on(STAFF, "📋 打开表决", on=announced, expect="状态：投票中")
    assert "已投票：4 位业主中 2 位" in page["text"]
    since = env.mark()
    toast = await env.tap(STAFF, "🔔 提醒未投票的业主", message_id=page["message_id"])
    assert toast["text"].startswith("已提醒 1 位尚未投票的业主")
    await env.wait(CAI, "您还没有投票", since=since)
    toast = await env.tap(STAFF, "🔔 提醒未投票的业主", message_id=page["message_id"])
    assert toast["text"] == "今天已提醒过 1 人，明天可以再提醒他们。"
    await env.outbox_settled()
    for tid in (ANN, AMY, BOB, TOM, PAT):
        assert not [m for m in await env.client.bot_messages(tid) if "您还没有投票" in m["text"]]

    # the committee's progress: per building households and area, the headcount overall
    mine = await env.say(LI, "/votes", "您的房屋目前没有业主表决。")
    listed = await env.tap_on(LI, "🗳 我组织的表决", on=mine, expect="您组织的业主表决")
    page = await env.tap_on(LI, "2027年业主大会 · 投票中", on=listed, expect="状态：投票中")
    report = await env.tap_on(LI, "📊 进度", on=page, expect="——进度")
    assert "A栋：3 户中 2 户，面积占 71%" in report["text"]
    assert "B栋：2 户中 0 户，面积占 0%" in report["text"]
    assert "业主人数：4 人中 2 人已投票" in report["text"]
    assert "双过三分之二进度：人数达到所需三分之二的 75%，面积达到 73%" in report["text"]

    # short of the quorum at closing: extended; Cai votes
    since = env.mark()
    await time_passes(env, "closes_at")
    short = await env.wait(LI, "投票已结束", since=since)
    assert "未形成决定：参与表决人数或面积不足" in short["text"]
    days = await env.tap_on(STAFF, "⏩ 延长投票",
                            on=await env.wait(STAFF, "投票已结束", since=since),
                            expect="延长到哪一天")
    since = env.mark()
    await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="已延长：投票截止至")
    extended = await env.wait(CAI, "投票已延长", since=since)
    await vote_in_chinese(env, CAI, extended, "✅ 同意", "✅ 同意")

    # closed with the quorum: two scrutineers confirm, every owner gets the result and chart
    since = env.mark()
    await time_passes(env, "closes_at")
    counted = {tid: await env.wait(tid, "投票已结束", since=since) for tid in (LI, ZHANG)}
    assert "1. 选聘绿叶物业——通过" in counted[LI]["text"]
    assert "2. 续筹维修资金——未通过" in counted[LI]["text"]  # 2/3 agree < 3/4
    first = await env.tap_on(LI, "✔ 确认计票结果", on=counted[LI], expect="（1 / 2）")
    assert "可以是业主委员会的另一位委员，也可以是社区工作人员" in first["text"]
    assert "可以确认的人：Zhang和Director Wang" in first["text"]
    assert "1. 选聘绿叶物业——通过" in first["text"]  # the count stays in view
    since = env.mark()
    await env.tap_on(ZHANG, "✔ 确认计票结果", on=counted[ZHANG], expect="两位监票人已确认")
    results = {tid: await env.wait(tid, "表决结果", since=since) for tid in (ANN, AMY, BOB, CAI)}
    assert "参与表决：4 位业主中 3 位（75%）" in results[BOB]["text"]
    since = env.mark()
    await env.tap(CAI, "📊 图表", message_id=results[CAI]["message_id"])
    chart = await env.wait(CAI, "📊 表决结果：2027年业主大会", since=since)
    assert (await file_bytes(env, chart))[:8] == b"\x89PNG\r\n\x1a\n"

    # the exported files recount to the bot's result, and print the table the owners saw
    vote = await the_vote(env)
    await exporting.write(env.db, vote.id, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result
    capsys.readouterr()
    assert main(["votes", "recount", str(tmp_path), "--language", "zh_CN"]) == 0
    printed = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]
    shown = html.unescape(results[ANN]["text"])
    assert "第 2 项：民法典第二百七十八条第 6 项——未通过" in printed
    assert all(line in shown for line in printed), (printed, shown)


# --- bad input through the buttons ------------------------------------------------------------


async def open_now(env, vote_id: int) -> None:
    """Open an announced vote at once, as its due item would (its dates stay as chosen)."""
    async with env.db.session() as s:
        item = await s.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                    DueItem.ref_id == vote_id))
        item.status = DueStatus.DONE
        await lifecycle.open_due(s, item, utcnow())
        await s.commit()
    await env.drain_outbox()


async def test_forged_stale_late_and_other_votes_presses_write_nothing(env):
    """Ann's ballot with a forged state, Bob pressing Ann's Confirm, Ann's buttons with the
    number of another vote open at the same time, and Ann's Confirm a minute after the
    deadline (before the tick has closed the vote): each is answered with why, and no
    ballot, version or audit row is written. Bob votes in time; the late press is refused."""
    await setup_estate(env)
    first = await quick_draft(env)
    await announce(env, first)
    since = env.mark()
    await time_passes(env, "opens_at")
    opened = await env.wait(ANN, "Voting is open", since=since)
    # (Bob's opening notice of this vote, before another vote's can come)
    bob = await env.wait(BOB, "Voting is open", since=since)
    ballot = await env.tap_on(ANN, "🗳 Vote", on=opened, expect="Ballot for:")
    ballot = await env.tap_on(ANN, "1. ✅ Agree", on=ballot, button="👉 1. ✅ Agree")
    ballot = await env.tap_on(ANN, "2. ❌ Disagree", on=ballot, button="Review ▶")
    summary = await env.tap_on(ANN, "Review ▶", on=ballot, expect="Please check your ballot")
    ann = await owner_of(env, ANN)
    at = summary["message_id"]

    async def press(user: int, data: str) -> str:
        """A forged press, on a message of the user's own chat."""
        return (await env.tap(user, data=data, forge=True,
                              message_id=at if user == ANN else None))["text"]

    assert await press(ANN, f"vo:c:{first}:{ann}:a") == STALE  # one matter of two
    assert await press(ANN, f"vo:c:{first}:{ann}:ax") == STALE  # no such choice
    assert await press(ANN, f"vo:b:{first}:{ann}:aaa") == STALE
    assert await press(ANN, f"vo:c:{first}:{ann}:a-") == \
        "Choose agree, disagree or abstain for every matter first."
    assert (await press(BOB, f"vo:c:{first}:{ann}:aa")).startswith(
        "Only owners on this vote's roll can vote.")

    # a second vote, of three matters, open at the same time
    async with env.db.session() as s:
        staff = await person_by_telegram(s, STAFF)
        second = await lifecycle.create(s, estate_id=(await place(s, HOMES + "A栋")).estate_id,
                                        author=staff, title="Parking")
        for item, title in ((9, "Parking spaces"), (8, "Renting the roof"), (1, "Rules")):
            await lifecycle.add_matter(s, vote_id=second.id, title=title, item=item,
                                       author=staff)
        opens = earliest_opening(dt.datetime.now(TZ).date())
        await lifecycle.set_dates(s, vote_id=second.id, opens_on=opens, closes_on=opens,
                                  author=staff, tz=TZ)
        second = second.id
    await announce(env, second)
    await open_now(env, second)
    assert (await press(ANN, f"vo:c:{second}:{ann}:aaa")).startswith(
        "Only owners on this vote's roll can vote.")  # her owner on the first vote's roll
    async with env.db.session() as s:
        from models.votes.roll import owners_for

        ann_there = (await owners_for(s, await s.get(Vote, second),
                                      (await person_by_telegram(s, ANN)).id))[0].id
    assert await press(ANN, f"vo:c:{second}:{ann_there}:ad") == STALE  # the first's matters
    assert await count(env, Ballot) == 0 and await count(env, BallotVersion) == 0

    # Bob votes in time; Ann presses Confirm a minute after the deadline
    await vote_by_buttons(env, BOB, bob, "✅ Agree", "✅ Agree")
    async with env.db.session() as s:  # (the second vote out of the way of the shifts below)
        await lifecycle.cancel(s, vote_id=second, author=await person_by_telegram(s, STAFF),
                               reason="Duplicate")
    await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    await deadline_passes(env, first)
    toast = await env.tap(ANN, "✔ Confirm", message_id=at)
    assert toast["text"] == "Voting on this matter has closed."
    assert await press(STAFF, f"vc:rm:{first}") == \
        "Reminders can only be sent while voting is open."
    assert await count(env, Ballot) == 1
    assert await count(env, AuditEntry, AuditEntry.action == "vote.ballot") == 1
    since = env.mark()
    await tick(env)
    closed = await env.wait(LI, "Voting has closed", since=since)
    assert "Voted" in closed["text"]
    async with env.db.session() as s:
        assert (await s.get(Vote, first)).status == VoteStatus.COUNTED


async def test_who_voted_how_only_after_closing_as_csv_and_xlsx(env):
    from openpyxl import load_workbook

    await setup_estate(env)
    vote_id = await quick_draft(env)
    await announce(env, vote_id)
    since = env.mark()
    await time_passes(env, "opens_at")
    await vote_by_buttons(env, ANN, await env.wait(ANN, "Voting is open", since=since),
                          "✅ Agree", "⚪ Abstain")
    mine = await env.say(LI, "/votes", "There are no owners' votes for your homes.")
    listed = await env.tap_on(LI, "🗳 Votes I run", on=mine, expect="Owners' votes you run")
    page = await env.tap_on(LI, "Bamboo Court rules · voting open", on=listed,
                            expect="Status: voting open")
    assert not {"⬇ CSV", "⬇ XLSX"} & set(env.buttons(page))
    for kind in ("csv", "xlsx"):
        toast = await env.tap(LI, data=f"vc:x:{vote_id}:{kind}", forge=True,
                              message_id=page["message_id"])
        assert toast["text"] == "Who voted how is shown only after voting has closed."
    toast = await env.tap(ANN, data=f"vc:x:{vote_id}:csv", forge=True)
    assert toast["text"].startswith("Only the estate's owners' committee")

    since = env.mark()
    await time_passes(env, "closes_at")
    closed = await env.wait(LI, "Voting has closed", since=since)
    page = await env.tap_on(LI, "📋 Open the vote", on=closed, expect="Status: counted")
    since = env.mark()
    await env.tap(LI, "⬇ XLSX", message_id=page["message_id"])
    sent = await env.wait(LI, "Bamboo Court rules: 1 ballots", since=since)
    assert sent["document"]["file_name"] == f"vote-{vote_id}.xlsx"
    sheet = load_workbook(io.BytesIO(await file_bytes(env, sent))).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Household", "Area (m²)", "Channel", "Matter 1", "Matter 2"],
        ["101", "90.00", "online", "agree", "abstain"]]


async def test_an_announced_votes_old_draft_buttons_change_nothing(env):
    await setup_estate(env)
    vote_id = await quick_draft(env)
    listed = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    mine = await env.tap_on(STAFF, "🗳 Votes I run", on=listed, expect="Owners' votes you run")
    preview = await env.tap_on(STAFF, "Bamboo Court rules · draft", on=mine, expect="Preview")
    await announce(env, vote_id)  # (announced meanwhile, from another device say)
    day = earliest_opening(dt.datetime.now(TZ).date()).toordinal()
    for data in (f"vc:am:{vote_id}", f"vc:i:{vote_id}:9", f"vc:dm:{vote_id}:1",
                 f"vc:dt:{vote_id}", f"vc:op:{vote_id}:{day + 3}", f"vc:cl:{vote_id}:{day + 40}",
                 f"vc:ch:{vote_id}:n", f"vc:pv:{vote_id}", f"vc:rd:{vote_id}",
                 f"vc:rs:{vote_id}:none", f"vc:an:{vote_id}"):
        toast = await env.tap(STAFF, data=data, forge=True, message_id=preview["message_id"])
        assert toast["text"] == ANNOUNCED_NOW, data
    toast = await env.tap(STAFF, "➕ Add a matter", message_id=preview["message_id"])
    assert toast["text"] == ANNOUNCED_NOW
    async with env.db.session() as s:
        vote = await s.get(Vote, vote_id)
        assert (vote.status, vote.changeable, vote.remind_days) == (VoteStatus.ANNOUNCED, True,
                                                                    [3, 1])
        assert (vote.closes_at - vote.opens_at).days == 7 - 1  # as announced (6 days 23:59)
        matters = (await s.execute(select(VoteMatter.number, VoteMatter.title)
                                   .order_by(VoteMatter.number))).all()
    assert matters == [(1, "The management statute"), (2, "Bicycle shed")]
    assert await count(env, DueItem, DueItem.kind == OPEN_DUE) == 1  # announced once


async def test_a_household_that_lost_its_area_keeps_the_vote_shut_and_is_named(env):
    await setup_estate(env)
    vote_id = await quick_draft(env)
    await announce(env, vote_id)
    async with env.db.session() as s:
        (await place(s, HOMES + "B栋/1单元/102")).floor_area = None
        await s.commit()
    since = env.mark()
    await time_passes(env, "opens_at")
    for tid in (STAFF, LI, ZHANG):
        blocked = await env.wait(tid, "could not open: 1 household(s)", since=since)
        assert "B栋 1单元 102" in blocked["text"]
    assert (await the_vote(env)).status == VoteStatus.ANNOUNCED
    await env.outbox_settled()
    assert not [m for m in await env.client.bot_messages(ANN) if "Voting is open" in m["text"]]

    async with env.db.session() as s:  # the office adds the area; the hourly retry opens it
        (await place(s, HOMES + "B栋/1单元/102")).floor_area = 50
        retry = await s.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                     DueItem.status == DueStatus.PENDING))
        assert retry.due_at - utcnow() > dt.timedelta(minutes=55)
        retry.due_at = utcnow()
        await s.commit()
    since = env.mark()
    await tick(env)
    await env.wait(ANN, "Voting is open", since=since)
    assert (await the_vote(env)).roll_owners == 4


# --- the voting-time setting ------------------------------------------------------------------


@pytest.fixture
async def short_env(db, places):
    """The bot with LINLI_VOTE_MAX_DAYS=10."""
    async with running_bot(db, vote_max_days=10) as running:
        yield running
        assert running.errors == [], f"handlers raised: {running.errors!r}"


async def test_extending_beyond_the_set_voting_time_is_refused(short_env):
    env = short_env
    await setup_estate(env)
    vote_id = await quick_draft(env)  # 7 days of voting
    await announce(env, vote_id)
    await time_passes(env, "opens_at")
    listed = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    mine = await env.tap_on(STAFF, "🗳 Votes I run", on=listed, expect="Owners' votes you run")
    page = await env.tap_on(STAFF, "Bamboo Court rules · voting open", on=mine,
                            expect="Status: voting open")
    days = await env.tap_on(STAFF, "⏩ Extend voting", on=page, expect="Until which day")
    before = (await the_vote(env)).closes_at
    toast = await env.tap(STAFF, env.buttons(days)[0], message_id=days["message_id"])  # +7
    assert toast["text"] == "Voting can last at most 10 days."
    assert (await the_vote(env)).closes_at == before


async def test_the_reminders_picked_in_the_draft_go_to_those_who_have_not_voted(env):
    """Staff pick "7 days, 3 days and 1 day before closing" on the draft's preview; a week of
    voting is too short for the first (the preview says so) until the closing day is moved
    two weeks out. Announced, the reminders fall due at 10:00 7, 3 and 1 days before closing,
    each reaching only the owners who have not voted by then; an owner's forged press
    changes nothing, and once announced neither does staff's."""
    await setup_estate(env)
    vote_id = await quick_draft(env)  # (a week of voting: the verbs write the draft)
    listed = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    mine = await env.tap_on(STAFF, "🗳 Votes I run", on=listed, expect="Owners' votes you run")
    preview = await env.tap_on(STAFF, "Bamboo Court rules · draft", on=mine, expect="Preview")
    assert ("🔔 Automatic reminders to the owners who have not voted: 3 days and 1 day before "
            "closing.") in preview["text"]
    picker = await env.tap_on(STAFF, "🔔 Reminders", on=preview, expect="Each owner gets")
    assert env.buttons(picker) == [
        "✅ 3 days and 1 day before closing", "7 days, 3 days and 1 day before closing",
        "1 day before closing", "No automatic reminders", "◀ Back"]
    preview = await env.tap_on(STAFF, "7 days, 3 days and 1 day before closing", on=picker,
                               expect="Preview")
    assert ("reminders to the owners who have not voted: 7 days, 3 days and 1 day before "
            "closing. Voting lasts 7 days, so there is no reminder 7 days before closing."
            ) in preview["text"]
    toast = await env.tap(ANN, data=f"vc:rs:{vote_id}:none", forge=True,
                          message_id=(await env.say(ANN, "/votes", "owners' votes"))
                          ["message_id"])
    assert toast["text"].startswith("Only the estate's owners' committee")
    days = await env.tap_on(STAFF, "📅 Dates", on=preview, expect="earliest opening day")
    closing = await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="Until which day")
    change = await env.tap_on(STAFF, env.buttons(closing)[1], on=closing,  # 14 days
                              expect="change their ballot")
    preview = await env.tap_on(STAFF, "Yes, until closing", on=change, expect="Preview")
    assert ("reminders to the owners who have not voted: 7 days, 3 days and 1 day before "
            "closing.") in preview["text"] and "Voting lasts" not in preview["text"]
    announced = await env.tap_on(STAFF, "📣 Announce", on=preview, expect="is on its way to")
    toast = await env.tap(STAFF, data=f"vc:rs:{vote_id}:none", forge=True,
                          message_id=announced["message_id"])
    assert toast["text"] == ANNOUNCED_NOW
    page = await env.tap_on(STAFF, "📋 Open the vote", on=announced, expect="Status: announced")
    assert "7 days, 3 days and 1 day before closing" in page["text"]

    since = env.mark()
    await time_passes(env, "opens_at")
    vote = await the_vote(env)
    assert (vote.remind_days, (vote.closes_at - vote.opens_at).days) == ([7, 3, 1], 13)
    async with env.db.session() as s:
        due = list(await s.scalars(select(DueItem.due_at).where(
            DueItem.kind == REMIND_DUE, DueItem.ref_id == vote_id).order_by(DueItem.due_at)))
        # each at 10:00 on its day, were closing the end of the last day (23:59:59; the
        # test's clock has moved the vote's times)
        assert [vote.closes_at - at for at in due] == [dt.timedelta(days=n) + REMINDER_LEAD
                                                       for n in (7, 3, 1)]
    await vote_by_buttons(env, ANN, await env.wait(ANN, "Voting is open", since=since),
                          "✅ Agree", "✅ Agree")

    async def reminded_after(before: dt.timedelta) -> list[int]:
        """Who the tick run `before` the closing reminds: the outbox rows it queued (the
        outbox may pace a chat's messages), each then seen to arrive."""
        async with env.db.session() as s:
            seen = await s.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
        since = env.mark()
        await time_passes(env, "closes_at", before=before)
        async with env.db.session() as s:
            chats = sorted(await s.scalars(select(OutboxMessage.chat_id).where(
                OutboxMessage.kind == REMINDER, OutboxMessage.id > seen)))
        for chat in chats:
            await env.wait(chat, "you have not voted yet", since=since)
        return chats

    def ahead(days: int) -> dt.timedelta:
        return dt.timedelta(days=days) + REMINDER_LEAD

    assert await reminded_after(ahead(7) + dt.timedelta(minutes=2)) == []  # (not yet)
    assert await reminded_after(ahead(7)) == [BOB, CAI]  # (Amy's home has voted)
    await vote_by_buttons(env, BOB, await env.wait(BOB, "Voting is open", since=0),
                          "✅ Agree", "❌ Disagree")
    assert await reminded_after(ahead(3)) == [CAI]
    assert await reminded_after(ahead(2)) == []
    assert await reminded_after(ahead(1)) == [CAI]
