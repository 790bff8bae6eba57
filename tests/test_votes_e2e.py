"""Owners' votes end to end through the emulator, by buttons: staff write and announce one
(the 15-day rule refusing a day too early), voting opens and closes through the due items (the
clock driven as the tick would), owners vote on two matters by buttons, a co-owner is told, a
tenant and a pending member are refused, reminders reach only those who have not voted,
participation falls short and the vote is extended, two scrutineers confirm, the result with
its chart reaches every owner, and the exported files recount to the bot's own result.

The estate is small so that its quorum can be met: 翠竹苑 (Bamboo Court), five homes in two
buildings, four owners as art. 278 counts them (Cai's two homes share an owner reference)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import func, select

from bot import registry
from handlers.votes import exporting
from models.base import utcnow
from models.estates import Body, Estate, grant_seat
from models.onboarding import decide_membership, request_membership
from models.participation import Reminder
from models.people import Relation, Role
from models.place_import import import_csv
from models.schedule import DueItem, DueStatus, run_due
from models.telegram_limits import BUTTON, utf16_len
from models.votes import recount, tally
from models.votes.tables import Ballot, Vote, VoteStatus
from tests.conftest import person, place

BAMBOO = "城东街道/翠竹社区"
HOMES = BAMBOO + "/翠竹网格/"
CSV = """street,community,grid,building,unit,room,floor_area_m2
城东街道,翠竹社区,翠竹网格,A栋,1单元,101,90.00
城东街道,翠竹社区,翠竹网格,A栋,1单元,102,80.00
城东街道,翠竹社区,翠竹网格,A栋,1单元,103,70.00
城东街道,翠竹社区,翠竹网格,B栋,1单元,101,60.00
城东街道,翠竹社区,翠竹网格,B栋,1单元,102,50.00
"""
STAFF, LI, ZHANG = 900, 901, 902
ANN, AMY, BOB, CAI, TOM, PAT = 1, 2, 3, 4, 5, 6


async def setup_estate(env, language: str = "en") -> None:
    """Staff of 翠竹社区, two committee members, and the homes' people: Ann and Amy co-own
    A栋101, Bob owns A栋102, Cai owns A栋103 and B栋101, Tom rents B栋101, Pat's request to
    join B栋102 as its owner is still waiting."""
    code = "en" if language == "en" else "zh-hans"
    async with env.db.session() as s:
        await import_csv(s, CSV)
        estate = Estate(community_id=(await place(s, BAMBOO)).id, name="翠竹苑",
                        name_en="Bamboo Court")
        s.add(estate)
        await s.flush()
        for building in ("A栋", "B栋"):
            (await place(s, HOMES + building)).estate_id = estate.id
        for home in ("A栋/1单元/103", "B栋/1单元/101"):  # one buyer's two homes
            (await place(s, HOMES + home)).owner_ref = "BC-7"
        await s.commit()
    for tid, name in ((STAFF, "Wang"), (LI, "Li"), (ZHANG, "Zhang")):
        await env.user(name, id=tid, language_code=code)
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language=language, role=Role.STAFF,
                             at=BAMBOO)
        for tid, name in ((LI, "Li"), (ZHANG, "Zhang")):
            member = await person(s, tid, name, language=language)
            await grant_seat(s, estate_id=estate.id, person_id=member.id, body=Body.COMMITTEE,
                             actor_id=staff.id)
    for tid, name, home, relation, approve in (
            (ANN, "Ann", "A栋/1单元/101", Relation.OWNER, True),
            (AMY, "Amy", "A栋/1单元/101", Relation.OWNER, True),
            (BOB, "Bob", "A栋/1单元/102", Relation.OWNER, True),
            (CAI, "Cai", "B栋/1单元/101", Relation.OWNER, True),
            (TOM, "Tom", "B栋/1单元/101", Relation.TENANT, True),
            (PAT, "Pat", "B栋/1单元/102", Relation.OWNER, False)):
        await env.user(name, id=tid, language_code=code)
        async with env.db.session() as s:
            p = await person(s, tid, name, language=language)
            asked = await request_membership(s, person=p, relation=relation,
                                             household_id=(await place(s, HOMES + home)).id)
            if approve:
                await decide_membership(s, membership_id=asked.membership.id, decider=staff,
                                        approve=True)


async def the_vote(env) -> Vote:
    async with env.db.session() as s:
        return await s.scalar(select(Vote).order_by(Vote.id.desc()))


async def time_passes(env, moment: str, *, before: dt.timedelta = dt.timedelta()) -> None:
    """It is a minute past the vote's `moment` ("opens_at", "closes_at"; or `before` it): the
    vote's dates, its due items and the reminders it sent move back by the time between now
    and then (the outbox sends at the real time, so the clock cannot be moved forward
    instead), then the tick runs its due items (opening, reminders, closing)."""
    async with env.db.session() as s:
        vote = await s.scalar(select(Vote).order_by(Vote.id.desc()))
        shift = getattr(vote, moment) - before + dt.timedelta(minutes=1) - utcnow()
        for name in ("opens_at", "closes_at", "first_closes_at", "announced_at", "opened_at"):
            if getattr(vote, name) is not None:
                setattr(vote, name, getattr(vote, name) - shift)
        for item in await s.scalars(select(DueItem).where(DueItem.ref_id == vote.id,
                                                           DueItem.status == DueStatus.PENDING)):
            item.due_at -= shift
            if "closes_at" in item.payload:
                moved = dt.datetime.fromisoformat(item.payload["closes_at"]) - shift
                item.payload = {**item.payload, "closes_at": moved.isoformat()}
        for sent in await s.scalars(select(Reminder).where(Reminder.subject == "vote",
                                                           Reminder.subject_id == vote.id)):
            sent.reminded_at -= shift
        await s.commit()
    async with env.db.session() as s:
        await run_due(s, registry.effects(), now=utcnow())
    await env.drain_outbox()


async def vote_by_buttons(env, user: int, on: dict, first: str, second: str) -> dict:
    """From a message with «🗳 Vote»: fill in both matters, review, confirm; the copy."""
    ballot = await env.tap_on(user, "🗳 Vote", on=on, expect="Ballot for:")
    ballot = await env.tap_on(user, f"1. {first}", on=ballot, button=f"👉 1. {first}")
    ballot = await env.tap_on(user, f"2. {second}", on=ballot, button="Review ▶")
    summary = await env.tap_on(user, "Review ▶", on=ballot, expect="Please check your ballot")
    return await env.tap_on(user, "✔ Confirm", on=summary, expect="Your ballot")


async def announce_by_buttons(env) -> dict:
    """Staff write the vote with two matters, refused a day too early, and announce it."""
    mine = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    listed = await env.tap_on(STAFF, "🗳 Votes I run", on=mine, expect="No owners' votes yet.")
    scope = await env.tap_on(STAFF, "➕ New vote", on=listed, expect="Who decides")
    asked = await env.tap_on(STAFF, "✅ All of Bamboo Court", on=scope, expect="send its")
    assert "title" in asked["text"]
    items = await env.say(STAFF, "2027 owners' assembly", "matter 1")
    assert "4. hiring or dismissing the property service company" in env.buttons(items)
    await env.tap_on(STAFF, "4. hiring or dismissing the property service company",
                     on=items, expect="Now send the matter's")
    draft = await env.say(STAFF, "Hire Green Leaf Property", "the matters so far")
    items = await env.tap_on(STAFF, "➕ Add a matter", on=draft, expect="Matter 2")
    await env.tap_on(STAFF, "6. raising or renewing the maintenance fund", on=items,
                     expect="Now send the matter's")
    draft = await env.say(STAFF, "Renew the maintenance fund", "2. Renew the maintenance fund")
    days = await env.tap_on(STAFF, "Next: dates ▶", on=draft, expect="earliest opening day")
    too_early = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
                 + dt.timedelta(days=10))
    refused = await env.say(STAFF, too_early.isoformat(), "at least 15 days")
    assert "the earliest opening day is" in refused["text"]
    closing = await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="Until which day")
    change = await env.tap_on(STAFF, env.buttons(closing)[0], on=closing,
                              expect="change their ballot")
    preview = await env.tap_on(STAFF, "Yes, until closing", on=change, expect="Preview")
    assert "at least three quarters" in preview["text"]  # item 6 needs 3/4
    return await env.tap_on(STAFF, "📣 Announce", on=preview, expect="is on its way to 4 owners")


async def test_an_owners_vote_from_announcement_to_published_result(env, tmp_path):
    await setup_estate(env)
    since = env.mark()
    announced = await announce_by_buttons(env)
    notice = await env.wait(ANN, "Owners' vote announced", since=since)
    assert "Hire Green Leaf Property" in notice["text"]
    vote = await the_vote(env)
    assert vote.status == VoteStatus.ANNOUNCED

    # voting opens when the tick reaches the opening day
    since = env.mark()
    await time_passes(env, "opens_at")
    opened = {tid: await env.wait(tid, "Voting is open", since=since) for tid in (ANN, BOB)}
    copy = await vote_by_buttons(env, ANN, opened[ANN], "✅ Agree", "❌ Disagree")
    assert "1. Hire Green Leaf Property — ✅ Agree" in copy["text"]
    assert "2. Renew the maintenance fund — ❌ Disagree" in copy["text"]
    told = await env.wait(AMY, "has been cast by your co-owner Ann", since=since)
    assert "A栋 1单元 101" in told["text"]
    await vote_by_buttons(env, BOB, opened[BOB], "✅ Agree", "✅ Agree")

    # a tenant and a member not yet approved are told why, and nothing is written
    await env.say(TOM, "/votes", "There are no owners' votes for your homes.")
    toast = await env.tap(TOM, data=f"vo:o:{vote.id}", forge=True)
    assert toast["text"].startswith("Only owners on this vote's roll can vote.")
    toast = await env.tap(PAT, data=f"vo:o:{vote.id}", forge=True,
                          message_id=(await env.say(PAT, "/votes", "owners' votes"))
                          ["message_id"])
    assert toast["text"].startswith("Your request to join as an owner is still waiting")

    # reminders reach only Cai (Amy's home has voted through Ann)
    page = await env.tap_on(STAFF, "📋 Open the vote", on=announced, expect="Status: voting open")
    assert "Voted: 2 of 4 owners" in page["text"]
    since = env.mark()
    toast = await env.tap(STAFF, "🔔 Remind those who have not voted",
                          message_id=page["message_id"])
    assert toast["text"].startswith("Reminders sent to 1 owners")
    await env.wait(CAI, "Reminder", since=since)
    toast = await env.tap(STAFF, "🔔 Remind those who have not voted",
                          message_id=page["message_id"])
    assert toast["text"].startswith("Already reminded today: 1 people")
    await env.outbox_settled()
    for tid in (ANN, AMY, BOB, TOM, PAT):
        assert not [m for m in await env.client.bot_messages(tid) if "Reminder" in m["text"]]
    since = env.mark()
    await env.tap(STAFF, "🖨 Printable announcement (PDF)", message_id=page["message_id"])
    printed = await env.wait(STAFF, f"start=vote_{vote.id}", since=since)
    assert (await file_bytes(env, printed)).startswith(b"%PDF")
    report = await env.tap_on(STAFF, "📊 Progress", on=page, expect="progress")
    assert "A栋: 2 of 3 households, 71% of area" in report["text"]
    assert "B栋: 0 of 2 households, 0% of area" in report["text"]
    assert "Double quorum: owners 75% of the 2/3 needed, area 73%" in report["text"]
    building = await env.tap_on(STAFF, "B栋 0/2", on=report, expect="Not voted yet")
    assert "1单元: 0 of 2 households, 0% of area" in building["text"]
    assert "1单元 101 — Cai" in building["text"]  # (Tom rents; Pat is not approved yet)
    assert "Tom" not in building["text"] and "Pat" not in building["text"]
    assert "🚪 Door-knocking" in env.buttons(building)  # staff knock anywhere in the community

    # closing: 2 of 4 owners is short of the quorum; the convenors extend by a week
    since = env.mark()
    await time_passes(env, "closes_at")
    short = await env.wait(LI, "Voting has closed", since=since)
    assert "not decided: quorum not met" in short["text"]
    record = await env.tap_on(ANN, "📋 See the vote", on=notice,
                              expect="Your ballot for A栋 1单元 101 was cast on")
    assert "2. Renew the maintenance fund — ❌ Disagree" in record["text"]
    days = await env.tap_on(STAFF, "⏩ Extend voting",
                            on=await env.wait(STAFF, "Voting has closed", since=since),
                            expect="Until which day")
    since = env.mark()
    await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="Extended: voting is open")
    extended = await env.wait(CAI, "Voting has been extended", since=since)
    await vote_by_buttons(env, CAI, extended, "✅ Agree", "✅ Agree")

    # closed again, now with the quorum: two scrutineers confirm, every owner gets the result
    vote = await the_vote(env)
    since = env.mark()
    await time_passes(env, "closes_at")
    count = await env.wait(LI, "Voting has closed", since=since)
    assert "1. Hire Green Leaf Property — passed" in count["text"]
    assert "2. Renew the maintenance fund — not passed" in count["text"]  # 2/3 < 3/4
    first = await env.tap_on(LI, "✔ Confirm the count", on=count, expect="(1 of 2)")
    # who else may confirm, and who has the count in their chat
    assert "another member of the owners' committee or a community staff member" in \
        first["text"]
    assert "Who can confirm: Zhang and Director Wang" in first["text"]
    # the count stays in view beside it
    assert "1. Hire Green Leaf Property — passed" in first["text"]
    toast = await env.tap(LI, data=f"vc:cc:{vote.id}", forge=True,
                          message_id=count["message_id"])
    assert toast["text"] == "You have already confirmed this count."
    since = env.mark()
    published = await env.tap_on(ZHANG, "✔ Confirm the count",
                                 on=await env.wait(ZHANG, "Voting has closed", since=0),
                                 expect="Confirmed by two scrutineers")
    # with its chart (sent before the press was answered)
    assert [m for m in await env.client.bot_messages(ZHANG) if m.get("photo")]
    results = {tid: await env.wait(tid, "Result", since=since) for tid in (ANN, AMY, BOB, CAI)}
    assert "Took part: 3 of 4 owners (75%)" in results[ANN]["text"]
    mine = await env.tap_on(ANN, "📋 See the vote", on=notice, expect="Took part: 3 of 4")
    assert "Your ballot for A栋 1单元 101 was cast on" in mine["text"]
    since = env.mark()
    await env.tap(AMY, "📊 Chart", message_id=results[AMY]["message_id"])
    chart = await env.wait(AMY, "Result: 2027 owners' assembly", since=since)
    assert (await file_bytes(env, chart))[:8] == b"\x89PNG\r\n\x1a\n"

    # who voted how, after closing, for the convenors
    since = env.mark()
    await env.tap(ZHANG, "⬇ CSV", message_id=published["message_id"])
    sent = await env.wait(ZHANG, "3 ballots", since=since)
    rows = list(csv.reader(io.StringIO((await file_bytes(env, sent)).decode("utf-8-sig"))))
    assert rows[0] == ["Household", "Area (m²)", "Channel", "Matter 1", "Matter 2"]
    assert sorted(r[3:] for r in rows[1:]) == [["agree", "agree"], ["agree", "agree"],
                                               ["agree", "disagree"]]

    # the results poster to put up in the estate, with the link its QR code carries
    since = env.mark()
    await env.tap(ZHANG, "🖨 Results poster (PDF)", message_id=published["message_id"])
    sent = await env.wait(ZHANG, "Results poster of «2027 owners' assembly»", since=since)
    assert f"start=vote_{(await the_vote(env)).id}" in sent["caption"]
    assert (await file_bytes(env, sent)).startswith(b"%PDF")

    # the exported files recount to exactly what the bot counted
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Ballot)) == 3
    vote = await the_vote(env)
    await exporting.write(env.db, vote.id, tmp_path)
    recounted = recount.result_json(tally.tally(*recount.read_files(tmp_path)))
    assert recounted == vote.result
    assert [m["passed"] for m in recounted["matters"]] == [True, False]


async def test_in_chinese_staff_announce_and_an_owner_votes_by_buttons(env):
    """The same by buttons alone in Chinese: the 15-day rule, the ballot with what each matter
    needs, the copy; a tenant is told why not."""
    await setup_estate(env, language="zh_CN")
    mine = await env.say(STAFF, "/votes", "您的房屋目前没有业主表决。")
    listed = await env.tap_on(STAFF, "🗳 我组织的表决", on=mine, expect="还没有业主表决。")
    scope = await env.tap_on(STAFF, "➕ 新建表决", on=listed, expect="由谁表决")
    await env.tap_on(STAFF, "✅ 翠竹苑 全体", on=scope, expect="新的业主表决")
    items = await env.say(STAFF, "2027年业主大会", "第 1 项表决事项")
    await env.tap_on(STAFF, "4. 选聘和解聘物业服务企业或者其他管理人", on=items,
                     expect="现在请发送该表决事项的")
    draft = await env.say(STAFF, "选聘绿叶物业", "目前的表决事项")
    days = await env.tap_on(STAFF, "下一步：日期 ▶", on=draft, expect="最早可于")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    await env.say(STAFF, (today + dt.timedelta(days=15)).isoformat(), "须在投票开始前至少15日")
    closing = await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="可以投票到哪一天")
    change = await env.tap_on(STAFF, env.buttons(closing)[0], on=closing, expect="更改选票")
    preview = await env.tap_on(STAFF, "不允许，投出即为最终", on=change, expect="预览")
    assert "须经参与表决专有部分面积过半数且人数过半数的业主同意" in preview["text"]
    await env.tap_on(STAFF, "📣 发布公告", on=preview, expect="正在发送给 4 位业主")

    since = env.mark()
    await time_passes(env, "opens_at")
    opened = await env.wait(ANN, "投票已开始", since=since)
    ballot = await env.tap_on(ANN, "🗳 投票", on=opened, expect="投票房屋：A栋 1单元 101")
    assert "您的选择：尚未选择" in ballot["text"]
    ballot = await env.tap_on(ANN, "1. ⚪ 弃权", on=ballot, button="核对 ▶")
    assert "👉 1. ⚪ 弃权" in env.buttons(ballot)
    summary = await env.tap_on(ANN, "核对 ▶", on=ballot, expect="请核对您在「2027年业主大会」")
    assert "投出后不能更改。" in summary["text"]
    copy = await env.tap_on(ANN, "✔ 确认", on=summary, expect="您的选票")
    assert "1. 选聘绿叶物业——⚪ 弃权" in copy["text"]
    # changing is off for this vote: the old confirm button casts nothing twice
    vote = await the_vote(env)
    toast = await env.tap(ANN, data=f"vo:c:{vote.id}:{await owner_of(env, ANN)}:s",
                          forge=True, message_id=summary["message_id"])
    assert "本次表决不允许修改" in toast["text"]
    # the printed announcement's QR code opens the ballot too
    await env.say(BOB, f"/start vote_{vote.id}", "投票房屋：A栋 1单元 102")
    toast = await env.tap(TOM, data=f"vo:o:{vote.id}", forge=True,
                          message_id=(await env.say(TOM, "/votes", "没有业主表决"))["message_id"])
    assert toast["text"].startswith("只有本次表决名册上的业主才能投票。")
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Ballot)) == 1


async def file_bytes(env, message) -> bytes:
    file_id = (message.get("document") or {}).get("file_id") or message["photo"][-1]["file_id"]
    return env.em.world.files[file_id].data


async def owner_of(env, telegram_id: int) -> int:
    """The roll owner a person votes for (the ballot's button carries its id)."""
    from models.people import person_by_telegram
    from models.votes.roll import owners_for

    async with env.db.session() as s:
        someone = await person_by_telegram(s, telegram_id)
        vote = await s.scalar(select(Vote).order_by(Vote.id.desc()))
        return (await owners_for(s, vote, someone.id))[0].id


async def quick_draft(env, *, changeable: bool = True, title: str = "Bamboo Court rules") -> int:
    """A draft with two matters and its dates, written through the verbs (the dialog itself
    is tested above)."""
    from models.people import person_by_telegram
    from models.votes import lifecycle
    from models.votes.core import earliest_opening

    async with env.db.session() as s:
        staff = await person_by_telegram(s, STAFF)
        estate_id = (await place(s, HOMES + "A栋")).estate_id
        vote = await lifecycle.create(s, estate_id=estate_id, author=staff, title=title)
        for item, title in ((2, "The management statute"), (9, "Bicycle shed")):
            await lifecycle.add_matter(s, vote_id=vote.id, title=title, item=item,
                                       author=staff)
        await lifecycle.set_changeable(s, vote_id=vote.id, changeable=changeable,
                                       author=staff)
        tz = dt.timezone(dt.timedelta(hours=8))
        opens = earliest_opening(dt.datetime.now(tz).date())
        await lifecycle.set_dates(s, vote_id=vote.id, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=6), author=staff, tz=tz)
        return vote.id


async def test_a_long_title_is_shortened_on_the_lists_and_keeps_its_status(env):
    """On the convenor's and the owner's lists a long title gives way, not the vote's
    status: it is cut with "…" so the button still says where the vote stands."""
    from models.people import person_by_telegram
    from models.votes import lifecycle

    await setup_estate(env)
    title = ("Bamboo Court: the owners' assembly's rules of procedure, the management "
             "statute and a bicycle shed by the east gate")
    vote_id = await quick_draft(env, title=title)
    listed = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    mine = await env.tap_on(STAFF, "🗳 Votes I run", on=listed, expect="Owners' votes you run")
    [label] = [b for b in env.buttons(mine) if b.startswith("Bamboo Court:")]
    assert label.endswith("… · draft") and utf16_len(label) <= BUTTON
    async with env.db.session() as s:
        await lifecycle.announce(s, vote_id=vote_id, author=await person_by_telegram(s, STAFF),
                                 tz=dt.timezone(dt.timedelta(hours=8)))
    listed = await env.say(BOB, "/votes", "Owners' votes")
    [label] = [b for b in env.buttons(listed) if b.startswith("Bamboo Court:")]
    assert label.endswith("… · announced") and utf16_len(label) <= BUTTON


async def test_missing_areas_whose_ballot_changing_it_and_cancelling(env):
    """A home without a floor area keeps the vote from being announced (the refusal names
    it); someone who may vote for two owners picks whose ballot; a ballot is changed (the
    vote allows it) and both versions are kept; the vote is cancelled with a typed reason,
    which the owners read."""
    await setup_estate(env)
    async with env.db.session() as s:  # Bob also co-owns A栋101, with Ann and Amy
        from models.people import person_by_telegram

        staff, bob = await person_by_telegram(s, STAFF), await person_by_telegram(s, BOB)
        asked = await request_membership(s, person=bob, relation=Relation.OWNER,
                                         household_id=(await place(s, HOMES + "A栋/1单元/101"))
                                         .id)
        await decide_membership(s, membership_id=asked.membership.id, decider=staff,
                                approve=True)
        (await place(s, HOMES + "B栋/1单元/102")).floor_area = None
        await s.commit()
    vote_id = await quick_draft(env)
    listed = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    mine = await env.tap_on(STAFF, "🗳 Votes I run", on=listed, expect="Owners' votes you run")
    preview = await env.tap_on(STAFF, "Bamboo Court rules · draft", on=mine, expect="Preview")
    refused = await env.tap_on(STAFF, "📣 Announce", on=preview,
                               expect="cannot be announced: 1 household(s)")
    assert "B栋 1单元 102" in refused["text"]
    async with env.db.session() as s:
        (await place(s, HOMES + "B栋/1单元/102")).floor_area = 50
        await s.commit()
    preview = await env.tap_on(STAFF, "◀ Back", on=refused, expect="Preview")
    announced = await env.tap_on(STAFF, "📣 Announce", on=preview, expect="is on its way to")
    since = env.mark()
    await time_passes(env, "opens_at")

    opened = await env.wait(BOB, "Voting is open", since=since)
    whose = await env.tap_on(BOB, "🗳 Vote", on=opened, expect="Whose ballot")
    assert env.buttons(whose) == ["A栋 1单元 101 · 90.00 m²", "A栋 1单元 102 · 80.00 m²"]
    ballot = await env.tap_on(BOB, "A栋 1单元 102 · 80.00 m²", on=whose,
                              expect="Ballot for: A栋 1单元 102 (80.00 m²)")
    ballot = await env.tap_on(BOB, "1. ✅ Agree", on=ballot, button="👉 1. ✅ Agree")
    ballot = await env.tap_on(BOB, "2. ✅ Agree", on=ballot, button="Review ▶")
    summary = await env.tap_on(BOB, "Review ▶", on=ballot, expect="Please check your ballot")
    await env.tap_on(BOB, "✔ Confirm", on=summary, expect="Your ballot")
    # changing: the ballot opens with the current choices marked
    again = await env.tap_on(BOB, "🗳 Vote", on=opened, expect="Whose ballot")
    assert env.buttons(again)[1] == "✅ A栋 1单元 102 · 80.00 m²"  # voted already
    cast = await env.tap_on(BOB, "✅ A栋 1单元 102 · 80.00 m²", on=again,
                            expect="Your ballot was cast on")
    ballot = await env.tap_on(BOB, "✏️ Change my ballot", on=cast, button="👉 2. ✅ Agree")
    ballot = await env.tap_on(BOB, "2. ❌ Disagree", on=ballot, button="👉 2. ❌ Disagree")
    summary = await env.tap_on(BOB, "Review ▶", on=ballot, expect="Please check your ballot")
    toast = await env.tap(BOB, "✔ Confirm", message_id=summary["message_id"])
    assert toast["text"] == "Ballot changed."
    async with env.db.session() as s:
        from models.votes.tables import BallotVersion

        assert await s.scalar(select(func.count()).select_from(Ballot)) == 1
        assert await s.scalar(select(func.count()).select_from(BallotVersion)) == 2

    # Pat is approved as B栋102's owner while voting runs: the welcome offers the ballot
    since = env.mark()
    async with env.db.session() as s:
        from models.people import Membership, MembershipStatus

        pending = await s.scalar(select(Membership).where(
            Membership.status == MembershipStatus.PENDING))
        await decide_membership(s, membership_id=pending.id, decider=staff, approve=True)
    await env.drain_outbox()
    welcome = await env.wait(PAT, "Waiting for you", since=since)
    assert "Owners' vote: Bamboo Court rules" in welcome["text"]
    await env.tap_on(PAT, "🗳 Bamboo Court rules", on=welcome,
                     expect="Ballot for: B栋 1单元 102 (50.00 m²)")

    # cancelled with a reason the owners read
    page = await env.tap_on(STAFF, "📋 Open the vote", on=announced,
                            expect="Status: voting open")
    asked = await env.tap_on(STAFF, "❌ Cancel the vote", on=page, expect="Send the reason")
    assert asked
    since = env.mark()
    await env.say(STAFF, "The statute needs a lawyer's review first", "is cancelled")
    told = await env.wait(ANN, "has been cancelled", since=since)
    assert "The statute needs a lawyer's review first" in told["text"]
    async with env.db.session() as s:
        assert (await s.get(Vote, vote_id)).status == VoteStatus.CANCELLED
