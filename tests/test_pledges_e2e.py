"""Pledges end to end through the emulator: staff write and publish one, three residents sign
(by the notice's button, by /pledges, by a poster's deep link), progress per building, a
reminder that reaches only those who have not signed, assisted signing by the grid worker, and
the exported files read back."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
from sqlalchemy import func, select

from models.base import utcnow
from models.onboarding import decide_membership, request_membership
from models.people import Relation, Role
from models.pledges import (
    Pledge,
    PledgeStatus,
    Signature,
    Signers,
    add_text,
    finish_body,
    publish,
    set_attachment,
    set_closing,
    set_scope,
    set_signers,
    sign,
    start_draft,
)
from tests.conftest import COMMUNITY, person, place

GRID1 = COMMUNITY + "/第一网格"
B1 = GRID1 + "/1栋/1单元/"
B3 = COMMUNITY + "/第二网格/3栋/1单元/"
STAFF, GRID = 900, 901


async def setup_people(env) -> None:
    """Staff, a grid worker, and four residents in three households (all speaking English)."""
    await env.user("Wang", id=STAFF, language_code="en")
    await env.user("Li", id=GRID, language_code="en")
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language="en", role=Role.STAFF,
                             at=COMMUNITY)
        await person(s, GRID, "Grid Li", language="en", role=Role.GRID_WORKER, at=GRID1)
    for tid, name, room, relation in ((1, "Ann", B1 + "101", Relation.OWNER),
                                      (2, "Bob", B1 + "101", Relation.TENANT),
                                      (3, "Cai", B1 + "102", Relation.OWNER),
                                      (4, "Dai", B3 + "101", Relation.OWNER)):
        await env.user(name, id=tid, language_code="en")
        async with env.db.session() as s:
            p = await person(s, tid, name, language="en")
            req = await request_membership(s, person=p, relation=relation,
                                           household_id=(await place(s, room)).id)
            await decide_membership(s, membership_id=req.membership.id, decider=staff,
                                    approve=True)


async def quick_pledge(env, signers: Signers = Signers.HOUSEHOLD,
                       title: str = "Fire safety letter") -> int:
    """Publish a pledge through the services (the dialog itself is tested once, below)."""
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language="en")
        draft, _ = await start_draft(s, author=staff)
        await add_text(s, author=staff, text=title)
        await add_text(s, author=staff, text="I will keep the stairwell free of bicycles.")
        await finish_body(s, pledge_id=draft.id, author=staff)
        await set_attachment(s, pledge_id=draft.id, author=staff, file_id=None, kind=None)
        await set_scope(s, pledge_id=draft.id, author=staff,
                        place_id=(await place(s, COMMUNITY)).id)
        await set_signers(s, pledge_id=draft.id, author=staff, signers=signers)
        await set_closing(s, pledge_id=draft.id, author=staff,
                          closes_at=utcnow() + dt.timedelta(days=10))
        await publish(s, pledge_id=draft.id, author=staff)
    await env.drain_outbox()
    return draft.id


async def file_bytes(env, message) -> bytes:
    file_id = (message.get("document") or {}).get("file_id") or message["photo"][-1]["file_id"]
    return env.em.world.files[file_id].data


async def signatures(env) -> int:
    async with env.db.session() as s:
        return await s.scalar(select(func.count()).select_from(Signature))


async def test_publish_sign_progress_remind_export(env):
    await setup_people(env)
    long_text = "\n\n".join(f"Article {i}. " + "No fireworks in the estate. " * 40
                            for i in range(1, 7))
    menu = await env.say(STAFF, "/pledge", "No pledges yet")
    await env.tap_on(STAFF, "➕ New pledge", on=menu, expect="step 1 of 6")
    await env.say(STAFF, "No fireworks at New Year", "Step 2 of 6")
    await env.say(STAFF, long_text[:3000], "Added")
    added = await env.say(STAFF, long_text[3002:], "Added")
    step3 = await env.tap_on(STAFF, "Done ▶", on=added, expect="Step 3 of 6")
    step4 = await env.tap_on(STAFF, "Skip ▶", on=step3, expect="Step 4 of 6")
    assert "✅ All of 阳光社区" in env.buttons(step4)
    step5 = await env.tap_on(STAFF, "✅ All of 阳光社区", on=step4, expect="Step 5 of 6")
    step6 = await env.tap_on(STAFF, "one person per household", on=step5, expect="Step 6 of 6")
    bad = await env.say(STAFF, "2001-01-01", "must be in the future")
    assert bad
    preview = await env.tap_on(STAFF, "14 days", on=step6, expect="Preview")
    assert "sends it to 4 people" in preview["text"]
    since = env.mark()
    published = await env.tap_on(STAFF, "📢 Publish", on=preview,
                                 expect="is on its way to 4 people")

    # Ann signs from the notice: read in full (in parts), agree, confirm, certificate
    notice = await env.wait(1, "New pledge", since=since)
    assert "No fireworks at New Year" in notice["text"] and env.buttons(notice) == \
        ["📖 Read and sign"]
    asked = await env.tap_on(1, "📖 Read and sign", on=notice, expect="Have you read it?")
    # the parts are what the bot sent between the notice and the question, in that order
    parts = [m["text"] for m in await env.client.bot_messages(1, after=notice["message_id"])
             if m["message_id"] < asked["message_id"]
             and "Article" in m["text"] and "New pledge" not in m["text"]]
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    assert "(1/" in parts[0] and "Article 6." in parts[-1]
    confirm = await env.tap_on(1, "✍️ I agree and sign", on=asked,
                               expect="Sign «No fireworks at New Year» as Ann")
    since = env.mark()
    toast = await env.tap(1, "✅ Confirm and sign", message_id=confirm["message_id"])
    assert toast["text"] == "Signed."
    certificate = await env.wait(1, "Verification code", since=since)
    assert "Name: Ann" in certificate["text"] and "version 1" in certificate["text"]
    async with env.db.session() as s:
        pledge = await s.scalar(select(Pledge))
        code = await s.scalar(select(Signature.code))
    assert code in certificate["text"]
    # twice is impossible: the old confirm button, pressed again
    toast = await env.tap(1, data=f"pl:c:{pledge.id}:1", forge=True,
                          message_id=certificate["message_id"])
    assert toast["text"].startswith("Already signed on")
    # Bob shares Ann's household: /pledges shows it signed
    mine = await env.say(2, "/pledges", "Open pledges")
    assert "✅ No fireworks at New Year" in mine["text"]
    # Cai opens the poster's deep link and signs
    asked = await env.say(3, f"/start pledge_{pledge.id}_7", "Have you read it?")
    confirm = await env.tap_on(3, "✍️ I agree and sign", on=asked,
                               expect="Sign «No fireworks at New Year» as Cai")
    await env.tap_on(3, "✅ Confirm and sign", on=confirm, expect="Verification code")
    assert await signatures(env) == 2

    # progress per grid, then per building, then who has not signed
    report = await env.tap_on(STAFF, "📊 Progress", on=published,
                              expect="Signed: 2 / 3 households")
    assert "第一网格: 2 / 2" in report["text"] and "第二网格: 0 / 1" in report["text"]
    grid = await env.tap_on(STAFF, "第二网格 0/1", on=report, expect="3栋: 0 / 1")
    building = await env.tap_on(STAFF, "3栋 0/1", on=grid, expect="Not signed yet")
    assert "3栋 1单元 101 — Dai" in building["text"]

    # Back goes up one level at a time: the grid, the community, the pledge's page
    grid = await env.tap_on(STAFF, "◀ Back", on=building, expect="3栋: 0 / 1")
    report = await env.tap_on(STAFF, "◀ Back", on=grid, expect="第二网格: 0 / 1")
    # remind: only Dai (and only once today)
    menu = await env.tap_on(STAFF, "◀ Back", on=report, expect="Status:")
    assert "Signed: 2 / 3" in menu["text"]
    since = env.mark()
    toast = await env.tap(STAFF, "⏰ Remind those who have not signed",
                          message_id=menu["message_id"])
    assert toast["text"].startswith("Reminders sent to 1 people")
    reminder = await env.wait(4, "Reminder", since=since)
    assert env.buttons(reminder) == ["📖 Read and sign"]
    toast = await env.tap(STAFF, "⏰ Remind those who have not signed",
                          message_id=menu["message_id"])
    assert toast["text"] == ("Already reminded today: 1 people; you can remind them again "
                             "tomorrow.")
    await env.outbox_settled()  # nothing owed is still on its way to them
    for chat in (1, 2, 3):
        assert not [m for m in await env.client.bot_messages(chat) if "Reminder" in m["text"]]

    # exports, read back
    since = env.mark()
    await env.tap(STAFF, "⬇ CSV", message_id=menu["message_id"])
    sent = await env.wait(STAFF, "2 signatures", since=since)
    raw = await file_bytes(env, sent)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Household", "Version", "Signed at", "How", "Assisted by",
                       "Verification code", "Language of the text",
                       "Fingerprint of the text (SHA-256)"]
    assert [(r[0], r[1], r[2], r[4], r[6], r[7]) for r in rows[1:]] == [
        ("Ann", "阳光社区 1栋 1单元 101", "1", "self", code, "中文"),
        ("Cai", "阳光社区 1栋 1单元 102", "1", "self", rows[2][6], "中文")]
    assert all(len(r[8]) == 64 for r in rows[1:])  # the SHA-256 of the text each one signed
    since = env.mark()
    await env.tap(STAFF, "⬇ XLSX", message_id=menu["message_id"])
    sent = await env.wait(STAFF, "2 signatures", since=since)
    book = openpyxl.load_workbook(io.BytesIO(await file_bytes(env, sent)), read_only=True)
    cells = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert cells[0][0] == "Name" and [c[0] for c in cells[1:]] == ["Ann", "Cai"]
    assert isinstance(cells[1][3], dt.datetime)


async def test_assisted_signing_by_the_grid_worker_within_the_grid(env):
    await setup_people(env)
    pledge_id = await quick_pledge(env)
    listed = await env.say(GRID, "/pledge", "Pledges")
    menu = await env.tap_on(GRID, "Fire safety letter · open", on=listed,
                            expect="Signed: 0 / 2")  # only the grid
    whom = await env.tap_on(GRID, "✍️ Sign for a resident", on=menu,
                            expect="Whom do you sign for?")
    choices = env.buttons(whom)
    assert choices == ["Ann 1栋1单元101", "Bob 1栋1单元101", "Cai 1栋1单元102", "◀ Back"]
    confirm = await env.tap_on(GRID, "Cai 1栋1单元102", on=whom, expect="on behalf of Cai")
    since = env.mark()
    await env.tap_on(GRID, "✅ Confirm", on=confirm, expect="Signed for Cai (assisted)")
    told = await env.wait(3, "Signed on your behalf", since=since)
    assert "Fire safety letter" in told["text"]
    # Dai lives in another grid: a forged button for him signs nothing
    async with env.db.session() as s:
        dai = await person(s, 4, "Dai", language="en")
    toast = await env.tap(GRID, data=f"pa:ac:{pledge_id}:{dai.id}:1", forge=True,
                          message_id=confirm["message_id"])
    assert toast["text"] == "You do not have permission to do that here."
    assert await signatures(env) == 1
    # staff see it as assisted, by whom, in the export
    listed = await env.say(STAFF, "/pledge", "Pledges")
    menu = await env.tap_on(STAFF, "Fire safety letter · open", on=listed,
                            expect="Signed: 1 / 3")
    since = env.mark()
    await env.tap(STAFF, "⬇ CSV", message_id=menu["message_id"])
    sent = await env.wait(STAFF, "1 signatures", since=since)
    rows = list(csv.reader(io.StringIO((await file_bytes(env, sent)).decode("utf-8-sig"))))
    assert (rows[1][0], rows[1][4], rows[1][5]) == ("Cai", "assisted", "Grid Li")
    # and a poster for a building
    report = await env.tap_on(STAFF, "📊 Progress", on=menu, expect="Signed: 1 / 3 households")
    grid = await env.tap_on(STAFF, "第一网格 1/2", on=report, expect="1栋: 1 / 2")
    building = await env.tap_on(STAFF, "1栋 1/2", on=grid, expect="Not signed yet")
    since = env.mark()
    await env.tap(STAFF, "🖼 Poster for 1栋", message_id=building["message_id"])
    poster = await env.wait(STAFF, f"start=pledge_{pledge_id}_", since=since)
    assert (await file_bytes(env, poster))[:8] == b"\x89PNG\r\n\x1a\n"


async def test_who_may_not_sign_is_told_why_and_nothing_is_written(env):
    await setup_people(env)
    since = env.mark()
    pledge_id = await quick_pledge(env, signers=Signers.OWNER, title="Owners' pledge")
    notice = await env.wait(1, "Owners' pledge", since=since)  # the owner is told,
    await env.outbox_settled()  # the tenant is not (and nothing is still on its way to him)
    assert not [m for m in await env.client.bot_messages(2) if "Owners' pledge" in m["text"]]
    refused = await env.say(2, f"/start pledge_{pledge_id}", "This pledge is for owners only.")
    assert env.buttons(refused) == []
    toast = await env.tap(2, data=f"pl:c:{pledge_id}:1", forge=True,
                          message_id=refused["message_id"])
    assert toast["text"] == "This pledge is for owners only."
    outsider = await env.user("Eve", id=7, language_code="en")
    async with env.db.session() as s:
        await person(s, outsider, "Eve", language="en")
    await env.say(7, f"/start pledge_{pledge_id}", "Only verified residents can sign")
    # closed early: refused with the date
    listed = await env.say(STAFF, "/pledge", "Pledges")
    menu = await env.tap_on(STAFF, "Owners' pledge · open", on=listed, expect="Status: open")
    ask = await env.tap_on(STAFF, "⏹ Close now", on=menu, expect="Nobody can sign after that")
    await env.tap_on(STAFF, "⏹ Close now", on=ask, expect="Closed on")
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    today = f"{now.day} {now:%b} {now.year}"  # "3 Dec 2026": as English readers write it
    toast = await env.tap(1, data=f"pl:c:{pledge_id}:1", forge=True,
                          message_id=notice["message_id"])
    assert toast["text"] == f"This pledge closed on {today}; signing is no longer possible."
    assert await signatures(env) == 0


async def test_the_author_gets_the_final_tally_when_signing_ends(env):
    """Closing (early here; at the closing date the tick does the same) tells the author how
    many signed, with buttons to see who has not, download the signatures or reopen."""
    await setup_people(env)
    pledge_id = await quick_pledge(env, title="Quiet hours pledge")
    async with env.db.session() as s:
        ann = await person(s, 1, "Ann", language="en")
        await sign(s, pledge_id=pledge_id, person=ann, version=1)
    listed = await env.say(STAFF, "/pledge", "Pledges")
    menu = await env.tap_on(STAFF, "Quiet hours pledge · open", on=listed,
                            expect="Status: open")
    ask = await env.tap_on(STAFF, "⏹ Close now", on=menu, expect="Nobody can sign after that")
    since = env.mark()
    closed = await env.tap_on(STAFF, "⏹ Close now", on=ask, expect="Closed on")
    # a closed pledge's menu offers only what still makes sense (read that message itself:
    # the closing report may reach the chat after it or before it)
    menu = await env.tap_on(STAFF, "◀ Back", on=closed, expect="Status: closed")
    assert env.buttons(menu) == ["📊 Progress", "+7 days", "⬇ CSV", "⬇ XLSX", "◀ All pledges"]
    await env.drain_outbox()
    report = await env.wait(STAFF, "Signing ended on", since=since)
    assert "Quiet hours pledge" in report["text"]
    assert "Signed: 1 / 3 households" in report["text"]
    assert env.buttons(report) == ["📊 Progress", "+7 days", "⬇ CSV", "⬇ XLSX"]
    await env.tap(STAFF, "+7 days", message_id=report["message_id"],
                  expect="Extended: signing is open until")
    async with env.db.session() as s:
        assert (await s.get(Pledge, pledge_id)).status == PledgeStatus.OPEN  # reopened
    await env.tap(STAFF, "◀ Back", message_id=report["message_id"], expect="Status: open")
    await env.tap(STAFF, "📊 Progress", message_id=report["message_id"],
                  expect="Signed: 1 / 3 households")
