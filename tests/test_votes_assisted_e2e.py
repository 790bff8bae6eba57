"""Door-knocking and assisted voting end to end through the emulator (#15), in Chinese and in
English, by buttons: the grid worker of 翠竹网格 opens "🚪 Door-knocking" under /votes, picks
A栋, records that Bob refused (shown in the list with who and when, and in the CSV and XLSX
exports), and helps Ann vote: a text instead of the proxy's photo is refused, the photo is
kept, her choices are entered by the paper entry's buttons and recorded as assisted; Ann and
Amy get the copy. A grid worker of B栋 only is refused Ann's home; once Bob has voted in the
chat he is off the list and an assisted ballot for him is refused with when and how he voted;
a secret election refuses an assisted ballot with the reason.

The estate is 翠竹苑 of tests/test_votes_e2e.py: four owners as art. 278 counts them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import tr
from handlers.votes.knock_buttons import Assist
from models.estates import Estate
from models.people import Role, person_by_telegram
from models.votes import assisted, ballots, elections, knocks, lifecycle
from models.votes.tables import AssistedBallot, Ballot
from tests.conftest import person, place
from tests.test_votes_e2e import (
    AMY,
    ANN,
    BOB,
    HOMES,
    STAFF,
    file_bytes,
    owner_of,
    setup_estate,
    the_vote,
    time_passes,
)
from tests.test_votes_election_e2e import png
from tests.test_votes_paper_e2e import GRID, TZ, WHEN, WORDS, a_vote, says
from tests.test_votes_secret_e2e import said

QIAN = 8  # 钱网格员 / Qian: a grid worker of B栋 only
MINUTE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


async def door_knocking(env, _, user: int, *, by_help: bool = False) -> dict:
    """/votes (or /help) → 🚪 Door-knocking → the open vote: its buildings."""
    listed = (await env.say(user, "/help", said(_, "<b>What I can do</b>")) if by_help else
              await env.say(user, "/votes", said(_, "There are no owners' votes for your "
                                                    "homes.")))
    votes = await env.tap_on(user, _("🚪 Door-knocking"), on=listed,
                             button=WORDS[_.language][0])
    return await env.tap_on(user, WORDS[_.language][0], on=votes, button="A栋 0/3")


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_grid_worker_knocks_and_helps_an_owner_vote_with_a_proxy(env, language):
    _ = tr(language, TZ)
    vote_title, first, second, zhou = WORDS[language]
    await setup_estate(env, language)
    await a_vote(env, language)
    await env.user("Qian", id=QIAN, language_code="en" if language == "en" else "zh-hans")
    async with env.db.session() as s:
        await person(s, QIAN, "Qian", language=language, role=Role.GRID_WORKER,
                     at=HOMES + "B栋")
        ann_home = (await place(s, HOMES + "A栋/1单元/101")).id
    await time_passes(env, "opens_at")

    # Zhou knocks on Bob's door: he refused; the list says so, with who and when
    buildings = await door_knocking(env, _, GRID)
    in_a = await env.tap_on(GRID, "A栋 0/3", on=buildings, button="1单元 102 Bob")
    assert said(_, "{state}", state=_("— nothing recorded")) in in_a["text"]
    door = await env.tap_on(GRID, "1单元 102 Bob", on=in_a, button=_("🙅 Refused"))
    assert said(_, "Door-knocking: {state}", state=_("— nothing recorded")) in door["text"]
    bob_door = await env.tap_on(GRID, _("🙅 Refused"), on=door,
                                button=f"✅ {_('🙅 Refused')}")
    back = await env.tap_on(GRID, _("◀ Door-knocking"), on=bob_door, button="A栋 0/3")
    in_a = await env.tap_on(GRID, "A栋 0/3", on=back, button="1单元 102 Bob 🙅")
    assert says(in_a, said(_, "• 1单元 102 — Bob · ") + said(
        _, "{state} ({name}, {when})", state=_("🙅 Refused"), name=zhou, when=WHEN))

    # the exports carry the state, who set it and when
    for kind in ("csv", "xlsx"):
        since = env.mark()
        await env.tap(GRID, f"⬇ {kind.upper()}", message_id=in_a["message_id"])
        sent = await env.wait(GRID, said(_, "«{title}»: {count} owners have not voted",
                                         title=vote_title, count=3), since=since)
        data = await file_bytes(env, sent)
        table = (list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) if kind == "csv" else
                 [[c or "" for c in r] for r in load_workbook(io.BytesIO(data)).active.values])
        assert table[0] == [_("Building"), _("Unit"), _("Room"), _("Name"), _("Door-knocking"),
                            _("Set by"), _("Set at")]
        bob = next(r for r in table if r[3] == "Bob")
        assert bob[:6] == ["A栋", "1单元", "102", "Bob", _("🙅 Refused"), zhou]
        assert MINUTE.fullmatch(bob[6])
        assert next(r for r in table if r[3] == "Ann")[4:] == ["", "", ""]

    # B栋 102's owner is not in linli (Pat's request waits): the home is listed, to knock on
    buildings = await env.tap_on(GRID, _("◀ Back"), on=in_a, button="B栋 0/2")
    in_b = await env.tap_on(GRID, "B栋 0/2", on=buildings, button="1单元 101 Cai")
    nobody = _("(owner not in linli)")
    assert f"• 1单元 102 — {nobody} · {_('— nothing recorded')}" in in_b["text"]
    door = await env.tap_on(GRID, f"1单元 102 {nobody}", on=in_b, button=_("🚪 Not reached"))
    assert said(_, "(no owner of it is in linli: check the name signed against the property "
                   "register)") in door["text"]
    door = await env.tap_on(GRID, _("🚪 Not reached"), on=door,
                            button=f"✅ {_('🚪 Not reached')}")
    buildings = await env.tap_on(GRID, _("◀ Door-knocking"), on=door, button="A栋 0/3")
    in_a = await env.tap_on(GRID, "A栋 0/3", on=buildings, button="1单元 101 Ann")

    # Qian covers B栋 only: Ann's home is not hers to assist
    toast = await env.tap(QIAN, data=Assist((await the_vote(env)).id, ann_home).encode(),
                          forge=True, message_id=(await env.say(QIAN, "/votes", said(
                              _, "There are no owners' votes for your homes.")))["message_id"])
    assert toast["text"] == said(_, knocks.NOT_KNOCKER)

    # Zhou helps Ann vote: the proxy's photo first (a text is refused), then her choices
    door = await env.tap_on(GRID, "1单元 101 Ann", on=in_a,
                            button=_("🤝 Assisted ballot (written proxy)"))
    asked = await env.tap_on(GRID, _("🤝 Assisted ballot (written proxy)"), on=door,
                             expect=said(_, "🤝 <b>Assisted ballot</b> — «{title}»",
                                         title=vote_title))
    assert "Ann" in asked["text"] and "Amy" in asked["text"]
    refused = await env.say(GRID, "Ann agrees", said(_, assisted.NOT_A_PHOTO))
    assert refused["text"] == said(_, assisted.NOT_A_PHOTO)
    since = env.mark()
    await env.client.send_photo(GRID, png())
    entering = await env.wait_for(GRID, said(_, "Entered as: {how}", how=_(
        "🤝 an assisted ballot, with a written proxy")), since=since, button=f"1. {_('✅ Agree')}")
    assert await env.wait(GRID, said(_, "📎 The written proxy is kept with the ballot."),
                          since=since)
    agree1, agree2 = f"1. {_('✅ Agree')}", f"2. {_('✅ Agree')}"
    entry = await env.tap_on(GRID, agree1, on=entering, button=f"👉 {agree1}")
    entry = await env.tap_on(GRID, agree2, on=entry, button=_("Review ▶"))
    summary = await env.tap_on(GRID, _("Review ▶"), on=entry, button=_("✔ Record this ballot"))
    assert said(_, "Please read the ballot back to the owner, for «{title}»:",
                title=vote_title) in summary["text"]
    since = env.mark()
    recorded = await env.tap_on(GRID, _("✔ Record this ballot"), on=summary,
                                button=_("🚪 Door-knocking"))
    assert says(recorded, said(_, "✅ <b>Recorded</b> — «{title}»: {how} for {homes}, entered "
                                  "by you on {when}.", title=vote_title, how=_(
                                      "🤝 an assisted ballot, with a written proxy"),
                               homes="A栋 1单元 101", when=WHEN))
    for owner in (ANN, AMY):  # the copy, in each co-owner's chat
        copy = await env.wait_for(owner, said(
            _, "🤝 In «{title}», {name} entered the ballot for {homes} with your written "
               "proxy. Your copy:", title=vote_title, name=zhou, homes="A栋 1单元 101"),
            since=since, button=_("📋 See the vote"))
        assert said(_, "{number}. {title} — {choice}", number=2, title=second,
                    choice=_("✅ Agree")) in copy["text"]
    seen = await env.tap_on(AMY, _("📋 See the vote"), on=copy, expect=first)
    assert says(seen, said(_, "✅ The ballot for these homes was entered with help, with your "
                              "written proxy, on {when}:", when=WHEN))
    assert not env.buttons(seen)  # the first ballot counts: nothing to change in the chat
    async with env.db.session() as s:
        [ballot] = list(await s.scalars(select(Ballot)))
        proxy = await s.scalar(select(AssistedBallot))
    assert ballot.channel == "assisted" and proxy.ballot_id == ballot.id
    assert proxy.proxy_file_id in env.em.world.files

    # Bob's door is open when he votes in the chat: no assisted ballot for him, and he is off
    # the list
    buildings = await env.tap_on(GRID, _("🚪 Door-knocking"), on=recorded, button="A栋 1/3")
    in_a = await env.tap_on(GRID, "A栋 1/3", on=buildings, button="1单元 102 Bob 🙅")
    bob_door = await env.tap_on(GRID, "1单元 102 Bob 🙅", on=in_a,
                                button=_("🤝 Assisted ballot (written proxy)"))
    async with env.db.session() as s:
        cast = await ballots.cast(s, vote_id=ballot.vote_id, owner_id=await owner_of(env, BOB),
                                  person=await person_by_telegram(s, BOB),
                                  choices={1: "agree", 2: "abstain"})
    assert cast.ballot.channel == "online"
    toast = await env.tap(GRID, _("🤝 Assisted ballot (written proxy)"),
                          message_id=bob_door["message_id"])
    assert says(toast, said(_, ballots.FIRST_CAST["online"], when=WHEN))
    buildings = await env.tap_on(GRID, _("◀ Door-knocking"), on=bob_door, button="A栋 2/3")
    await env.tap_on(GRID, "A栋 2/3", on=buildings,
                     expect=said(_, "Every owner here has voted."))


async def a_secret_election(env, language: str) -> None:
    """A secret election of two seats among three, announced (by the verbs: the buttons that
    write one are tests/test_votes_secret_e2e.py's), and Zhou, the grid worker."""
    code = "en" if language == "en" else "zh-hans"
    await env.user(WORDS[language][3], id=GRID, language_code=code)
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language=language)
        await person(s, GRID, WORDS[language][3], language=language, role=Role.GRID_WORKER,
                     at=HOMES.rstrip("/"))
        estate = await s.scalar(select(Estate).where(Estate.name == "翠竹苑"))
        vote = await lifecycle.create(s, estate_id=estate.id, author=staff,
                                      title=WORDS["zh_CN"][0])
        await lifecycle.set_title(s, vote_id=vote.id, title=WORDS["en"][0], language="en",
                                  author=staff)
        election = await elections.add_election(s, vote_id=vote.id, author=staff,
                                                title="第三届业主委员会选举")
        for name in ("张伟", "李娜", "王强"):
            await elections.add_candidate(s, vote_id=vote.id, matter=election.number,
                                          name=name, author=staff)
        await elections.set_seats(s, vote_id=vote.id, matter=election.number, seats=2,
                                  author=staff)
        await lifecycle.set_secret(s, vote_id=vote.id, secret_ballot=True, author=staff)
        opens = lifecycle.earliest_opening(dt.datetime.now(TZ).date())
        await lifecycle.set_dates(s, vote_id=vote.id, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=6), author=staff, tz=TZ)
        await lifecycle.announce(s, vote_id=vote.id, author=staff, tz=TZ)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_secret_election_takes_no_assisted_ballot(env, language):
    _ = tr(language, TZ)
    await setup_estate(env, language)
    await a_secret_election(env, language)
    await time_passes(env, "opens_at")
    buildings = await door_knocking(env, _, GRID, by_help=True)
    in_a = await env.tap_on(GRID, "A栋 0/3", on=buildings, button="1单元 102 Bob")
    door = await env.tap_on(GRID, "1单元 102 Bob", on=in_a,
                            button=_("🤝 Assisted ballot (written proxy)"))
    toast = await env.tap(GRID, _("🤝 Assisted ballot (written proxy)"),
                          message_id=door["message_id"])
    assert toast["text"] == said(_, assisted.SECRET)
    # nothing was asked: a photo sent now is no proxy
    since = env.mark()
    await env.client.send_photo(GRID, png())
    await env.wait(GRID, None, since=since)
    async with env.db.session() as s:
        assert await s.scalar(select(AssistedBallot)) is None
