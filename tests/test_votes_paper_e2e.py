"""The paper side of an owners' vote end to end through the emulator (#15), in Chinese and in
English, by buttons: a convenor prints the ballots and authorises a grid worker to enter
them; the grid worker scans Bob's printed ballot (its QR code is the deep link `/start
pb_<token>`, read here off the PDF as a printer prints it), enters his choices, reviews and
records it; Cai's, cast at the meeting with two boxes ticked on a matter, is entered by
picking his home from the roll, and an unsigned ballot is recorded as such; Bob is told and
finds his ballot cast, unchangeable in the chat; a code no ballot has, a person nobody
authorised, and an owner who voted already (on paper, or in the chat) are refused with the
reason; the count says the invalid answer and the unsigned ballot apart, and the export
recounts to the bot's result with the paper ballots.

The estate is 翠竹苑 of tests/test_votes_e2e.py: four owners as art. 278 counts them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from sqlalchemy import select

from bot.i18n import tr
from handlers.votes import exporting
from models.estates import Estate
from models.people import Role
from models.votes import ballots, lifecycle, officers, paper, recount, tally
from models.votes.tables import Ballot, VoteStatus
from tests.conftest import person
from tests.test_votes_e2e import (
    ANN,
    BAMBOO,
    BOB,
    LI,
    STAFF,
    ZHANG,
    announce_by_buttons,
    file_bytes,
    setup_estate,
    the_vote,
    time_passes,
)
from tests.test_votes_secret_e2e import said

GRID = 7  # 周网格员 / Zhou, the grid worker of 翠竹网格
TZ = dt.timezone(dt.timedelta(hours=8))
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
WORDS = {"en": ("Owners' assembly 2027", "Hire Green Leaf Property",
                "Renew the maintenance fund", "Zhou"),
         "zh_CN": ("2027年业主大会", "续聘绿叶物业", "续筹维修资金", "周网格员")}


async def a_vote(env, language: str) -> None:
    """The staff's vote of two matters, in both languages, announced (by the verbs: the
    buttons that write one are tests/test_votes_e2e.py's), and the grid worker."""
    code = "en" if language == "en" else "zh-hans"
    await env.user(WORDS[language][3], id=GRID, language_code=code)
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language=language)
        await person(s, GRID, WORDS[language][3], language=language, role=Role.GRID_WORKER,
                     at=BAMBOO + "/翠竹网格")
        estate = await s.scalar(select(Estate).where(Estate.name == "翠竹苑"))
        vote = await lifecycle.create(s, estate_id=estate.id, author=staff,
                                      title=WORDS["zh_CN"][0])
        await lifecycle.set_title(s, vote_id=vote.id, title=WORDS["en"][0], language="en",
                                  author=staff)
        for n, item in ((1, 4), (2, 6)):
            await lifecycle.add_matter(s, vote_id=vote.id, title=WORDS["zh_CN"][n], item=item,
                                       title_en=WORDS["en"][n], author=staff)
        opens = lifecycle.earliest_opening(dt.datetime.now(TZ).date())
        await lifecycle.set_dates(s, vote_id=vote.id, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=6), author=staff, tz=TZ)
        await lifecycle.announce(s, vote_id=vote.id, author=staff, tz=TZ)


WHEN = "\x00"  # where a message says a time


def says(message: dict, expected: str) -> bool:
    """The message says `expected` (whatever time it names at WHEN)."""
    return re.search(".+".join(map(re.escape, expected.split(WHEN))), message["text"],
                        re.S) is not None


def codes_by_name(pdf: bytes, folder) -> dict[str, str]:
    """Each page's ballot code (as printed under its QR code) by the owner named on it."""
    path = folder / "ballots.pdf"
    path.write_bytes(pdf)
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                           text=True).stdout.split("\f")
    found = {}
    for text in pages:
        owner = re.search(r"(?:业主：|Owner:)\s*(?:Owner:)?\s*([^\n]+)", text)
        code = CODE.search(text)
        if owner and code:
            found[owner.group(1).strip()] = code.group(0).replace("-", "")
    return found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (bot/dev.py)")
@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_grid_worker_enters_a_paper_ballot_by_its_qr_code(env, tmp_path, language):
    _ = tr(language, TZ)
    vote_title, first, second, zhou = WORDS[language]
    await setup_estate(env, language)
    await a_vote(env, language)
    await time_passes(env, "opens_at")

    # the convenor prints the ballots and authorises the grid worker
    listed = await env.say(STAFF, "/votes", said(_, "There are no owners' votes for your homes."))
    running = f"{vote_title} · {_('voting open')}"
    mine = await env.tap_on(STAFF, _("🗳 Votes I run"), on=listed, button=running)
    page = await env.tap_on(STAFF, running, on=mine, button=_("🧑‍💼 Ballot officers"))
    since = env.mark()
    await env.tap(STAFF, _("🖨 Paper ballots (PDF)"), message_id=page["message_id"])
    printed = await env.wait(STAFF, said(_, "Ballots of «{title}» to print: {count} pages, one "
                                            "per owner. Officers the convenors authorise enter "
                                            "them by scanning each ballot's QR code.",
                                         title=vote_title, count=4), since=since)
    codes = codes_by_name(await file_bytes(env, printed), tmp_path)
    assert {"Ann、Amy", "Bob", "Cai"} <= set(codes) and len(set(codes.values())) == 4
    officers_page = await env.tap_on(STAFF, _("🧑‍💼 Ballot officers"), on=page,
                                     expect=said(_, "Nobody is authorised yet."))
    since = env.mark()
    await env.tap_on(STAFF, zhou, on=officers_page, button=f"✅ {zhou}")
    told = await env.wait_for(GRID, None, since=since, button=_("📝 Enter paper ballots"))
    assert vote_title in told["text"]

    # the grid worker scans Bob's ballot: the camera opens the chat on it; Bob ticked agree
    # and disagree on the paper
    entering = await env.say(GRID, f"/start pb_{codes['Bob']}", said(_, "📝 <b>Entering a "
                                                                        "ballot</b>"))
    assert "Bob" in entering["text"] and "A栋 1单元 102" in entering["text"]
    agree, disagree = f"1. {_('✅ Agree')}", f"2. {_('❌ Disagree')}"
    entry = await env.tap_on(GRID, agree, on=entering, button=f"👉 {agree}")
    entry = await env.tap_on(GRID, disagree, on=entry, button=_("Review ▶"))
    assert said(_, "Entered as: {how}", how=_("📄 a paper ballot")) in entry["text"]
    summary = await env.tap_on(GRID, _("Review ▶"), on=entry, button=_("✔ Record this ballot"))
    assert said(_, "{number}. {title} — {choice}", number=2, title=second,
                choice=_("❌ Disagree")) in summary["text"]
    since = env.mark()
    recorded = await env.tap_on(GRID, _("✔ Record this ballot"), on=summary,
                                button=_("📋 Pick the next owner"))
    assert says(recorded, said(_, "✅ <b>Recorded</b> — «{title}»: {how} for {homes}, entered "
                                  "by you on {when}.", title=vote_title,
                               how=_("📄 a paper ballot"), homes="A栋 1单元 102", when=WHEN))

    # Bob is told, and finds it cast: the first ballot counts, nothing to change in the chat
    bob = await env.wait_for(BOB, zhou, since=since, button=_("📋 See the vote"))
    seen = await env.tap_on(BOB, _("📋 See the vote"), on=bob, expect=first)
    assert said(_, "An owner's first ballot is the one that counts: it cannot be changed in "
                   "the chat.") in seen["text"] and not env.buttons(seen)

    # refused, saying why, with nothing written: a code no ballot has, someone nobody
    # authorised, Bob's ballot again, and Ann's after she voted in the chat
    refused = await env.say(GRID, "/start pb_2222333344445555", said(_, paper.NO_SUCH_BALLOT))
    assert refused["text"] == said(_, paper.NO_SUCH_BALLOT)
    await env.say(ZHANG, f"/start pb_{codes['Cai']}", said(_, officers.NOT_OFFICER))
    first_paper = said(_, ballots.FIRST_CAST["paper"], when=WHEN)
    again = await env.say(GRID, f"/start pb_{codes['Bob']}", first_paper.split(WHEN)[0])
    assert says(again, first_paper)
    ballot = await env.tap_on(ANN, _("🗳 Vote"), on=await env.wait_for(
        ANN, None, since=0, button=_("🗳 Vote")), expect=first)
    ballot = await env.tap_on(ANN, agree, on=ballot, button=f"👉 {agree}")
    ballot = await env.tap_on(ANN, f"2. {_('✅ Agree')}", on=ballot, button=_("Review ▶"))
    summary = await env.tap_on(ANN, _("Review ▶"), on=ballot, button=_("✔ Confirm"))
    await env.tap_on(ANN, _("✔ Confirm"), on=summary, expect=vote_title)
    first_online = said(_, ballots.FIRST_CAST["online"], when=WHEN)
    online = await env.say(GRID, f"/start pb_{codes['Ann、Amy']}", first_online.split(WHEN)[0])
    assert says(online, first_online)

    # Cai comes to the meeting: the grid worker picks his home from the roll (✅ the homes
    # that have voted), and enters his ballot as cast on site, two boxes ticked on matter 2
    start = await env.tap_on(GRID, _("📝 Enter paper ballots"), on=told, button="A栋")
    units = await env.tap_on(GRID, "A栋", on=start, button="1单元")
    homes = await env.tap_on(GRID, "1单元", on=units, button="103")
    assert {"✅ 101", "✅ 102", "103"} <= set(env.buttons(homes))
    entry = await env.tap_on(GRID, "103", on=homes, expect="Cai")
    entry = await env.tap_on(GRID, agree, on=entry, button=f"👉 {agree}")
    two = f"2. {_('🚫 Two or more ticked')}"
    entry = await env.tap_on(GRID, two, on=entry, button=_("Review ▶"))
    assert said(_, "On the ballot: {choice}", choice=_("🚫 Invalid: two or more boxes "
                                                       "ticked")) in entry["text"]
    entry = await env.tap_on(GRID, _("🏢 It was cast on site"), on=entry,
                             button=_("📄 It is a paper ballot"))
    summary = await env.tap_on(GRID, _("Review ▶"), on=entry, button=_("✔ Record this ballot"))
    assert said(_, "Entered as: {how}", how=_("🏢 cast on site")) in summary["text"]
    recorded = await env.tap_on(GRID, _("✔ Record this ballot"), on=summary,
                                button=_("📋 Pick the next owner"))
    async with env.db.session() as s:
        cast = sorted((b.channel, b.cast_by_id is not None) for b in await s.scalars(
            select(Ballot)))
    assert cast == [("on-site", True), ("online", True), ("paper", True)]

    # B栋 102's paper ballot came back unsigned: recorded as such, not taking part
    start = await env.tap_on(GRID, _("📋 Pick the next owner"), on=recorded, button="B栋")
    units = await env.tap_on(GRID, "B栋", on=start, button="1单元")
    homes = await env.tap_on(GRID, "1单元", on=units, button="102")
    entry = await env.tap_on(GRID, "102", on=homes, button=_("✗ Not signed: invalid"))
    asked = await env.tap_on(GRID, _("✗ Not signed: invalid"), on=entry,
                             button=_("✗ Record it as not signed"))
    await env.tap_on(GRID, _("✗ Record it as not signed"), on=asked,
                     button=_("📋 Pick the next owner"))

    # the count: the paper ballots with the online one, the invalid answer and the unsigned
    # ballot said apart; the export recounts to it
    since = env.mark()
    await time_passes(env, "closes_at")
    vote = await the_vote(env)
    assert vote.status == VoteStatus.COUNTED
    assert [m["owners_voted"] for m in vote.result["matters"]] == [3, 3]
    assert [vote.result["matters"][1][k] for k in (
        "agree_owners", "disagree_owners", "invalid_owners")] == [1, 1, 1]
    count = await env.wait(LI, said(_, "Paper ballots not signed (invalid, not taking part): "
                                       "{count}", count=1), since=since)
    assert said(_, "Invalid on paper: {owners} owners, {area} m² (they take part, and count "
                   "for nothing)", owners=1, area="130.00") in count["text"]
    await exporting.write(env.db, vote.id, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result
    written = (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig")
    assert ",paper," in written and ",on-site," in written


async def test_a_convenor_authorises_a_ballot_officer_by_a_button(env):
    await setup_estate(env)
    announced = await announce_by_buttons(env)
    page = await env.tap_on(STAFF, "📋 Open the vote", on=announced, expect="Status: announced")
    listed = await env.tap_on(STAFF, "🧑‍💼 Ballot officers", on=page,
                              expect="Nobody is authorised yet.")
    assert sorted(env.buttons(listed)) == sorted(["Director Wang", "Li", "Zhang", "◀ Back"])
    listed = await env.tap_on(STAFF, "Li", on=listed, button="✅ Li")
    assert "Authorised: Li" in listed["text"]
    listed = await env.tap_on(STAFF, "✅ Li", on=listed, button="Li")
    assert "Nobody is authorised yet." in listed["text"]
