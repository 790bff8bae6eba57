"""A secret committee election end to end through the emulator, in Chinese and in English, by
buttons: staff write an election of three candidates for two seats and choose the secret
ballot (a decision added to it is refused, with the reason); owners tick their candidates,
the review says a secret ballot is final, and the copy carries a receipt code; the co-owner
is told and can change nothing; two scrutineers confirm; the published result lists every
receipt with its choices, as a message and as a CSV file; an owner checks their own code,
typed loosely, and an unknown one is refused; the export recounts to the bot's result with
the receipts as the ballots' keys.

The estate is 翠竹苑 of tests/test_votes_e2e.py: four owners as art. 278 counts them."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest

from bot.i18n import Translator, tr
from handlers.votes import exporting
from models.votes import recount, tally
from models.votes.secret import NO_SUCH_RECEIPT, NOT_ALL_ELECTIONS
from models.votes.tables import VoteStatus
from tests.test_votes_e2e import (
    AMY,
    ANN,
    BOB,
    CAI,
    LI,
    STAFF,
    ZHANG,
    file_bytes,
    setup_estate,
    the_vote,
    time_passes,
)

RECEIPT = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
TZ = dt.timezone(dt.timedelta(hours=8))
WORDS = {  # the vote's title, its election's, and the word for a receipt code
    "en": ("Committee election 2027", "The 3rd owners' committee", "receipt code"),
    "zh_CN": ("2027年业主委员会选举", "第三届业主委员会", "回执码"),
}
NAMES = ("Zhang Wei", "Li Na", "Wang Qiang")


def said(_: Translator, message: str, **params: object) -> str:
    """A message as the chat shows it: translated, without its HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", _(message, **params)))


async def write_secret_election(env, _: Translator) -> dict:
    """Staff write the election by buttons and choose the secret ballot; a decision added
    beside it is refused with the reason; then they announce it."""
    vote_title, election, _word = WORDS[_.language]
    mine = await env.say(STAFF, "/votes", said(_, "There are no owners' votes for your homes."))
    listed = await env.tap_on(STAFF, _("🗳 Votes I run"), on=mine, button=_("➕ New vote"))
    estate = "Bamboo Court" if _.language == "en" else "翠竹苑"
    scope = await env.tap_on(STAFF, _("➕ New vote"), on=listed,
                             button=_("✅ All of {estate}", estate=estate))
    await env.tap_on(STAFF, env.buttons(scope)[0], on=scope, expect="")
    items = await env.say(STAFF, vote_title, vote_title)
    await env.tap_on(STAFF, _("🗳 Committee election (item 3): owners choose among "
                              "candidates"), on=items, expect="")
    page = None
    asked = await env.say(STAFF, election, election)
    for n, name in enumerate(NAMES, start=1):
        if page is not None:
            asked = await env.tap_on(STAFF, _("➕ Add a candidate"), on=page,
                                     expect=election)
        assert str(n) in asked["text"]
        await env.say(STAFF, name, name)
        photo = await env.say(STAFF, f"{name}, B栋", name)
        page = await env.tap_on(STAFF, _("Skip ▶"), on=photo, expect=f"{n}. {name} — ")
    elect = _("Elect {n}", n=2)
    page = await env.tap_on(STAFF, elect, on=page, button=f"👉 {elect}")
    draft = await env.tap_on(STAFF, _("Done ▶"), on=page, button=_("Next: dates ▶"))
    days = await env.tap_on(STAFF, _("Next: dates ▶"), on=draft, expect="YYYY-MM-DD")
    closing = await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="YYYY-MM-DD")
    secret_button = _("🔐 Secret ballot (final once cast)")
    change = await env.tap_on(STAFF, env.buttons(closing)[0], on=closing, button=secret_button)
    preview = await env.tap_on(STAFF, secret_button, on=change,
                               button=_("🔓 Named ballot instead"))
    assert said(_, "🔐 Secret ballot: nothing joins a ballot to its voter. Each voter gets a "
                   "receipt code, and the codes with their choices are published with the "
                   "result. A cast ballot is final.") in preview["text"]

    # an owners' decision cannot join a secret election: said so, nothing written
    items = await env.tap_on(STAFF, _("➕ Add a matter"), on=preview, button=_(
        "🗳 Committee election (item 3): owners choose among candidates"))
    item = f"4. {_('hiring or dismissing the property service company')}"
    await env.tap_on(STAFF, item, on=items, expect=_("hiring or dismissing the property "
                                                      "service company"))
    refused = await env.say(STAFF, "Renew the property company", said(_, NOT_ALL_ELECTIONS))
    assert refused["text"] == said(_, NOT_ALL_ELECTIONS)
    listed = await env.say(STAFF, "/votes", said(_, "There are no owners' votes for your "
                                                    "homes."))
    draft = f"{vote_title} · {_('draft')}"
    mine = await env.tap_on(STAFF, _("🗳 Votes I run"), on=listed, button=draft)
    preview = await env.tap_on(STAFF, draft, on=mine, button=_("🔓 Named ballot instead"))
    assert "Renew the property company" not in preview["text"]
    return await env.tap_on(STAFF, _("📣 Announce"), on=preview, button=_("📋 Open the vote"))


async def vote_secretly(env, _: Translator, user: int, on: dict, names: list[str]) -> str:
    """From «🗳 Vote»: tick the candidates, review (a secret ballot is final), confirm; the
    receipt code of the copy."""
    ballot = await env.tap_on(user, _("🗳 Vote"), on=on, button=_("Review ▶"))
    for name in names:
        label = f"{NAMES.index(name) + 1}. {name}"
        ballot = await env.tap_on(user, label, on=ballot, button=f"✓ {label}")
    summary = await env.tap_on(user, _("Review ▶"), on=ballot, button=_("✔ Confirm"))
    assert said(_, "🔐 This is a secret ballot: once cast it cannot be changed, and nothing "
                   "keeps your name with your choices. You will get a receipt code to find "
                   "your ballot in the list published with the result.") in summary["text"]
    copy = await env.tap_on(user, _("✔ Confirm"), on=summary, expect=WORDS[_.language][2])
    assert ("、".join(names) or said(_, "no candidate (abstain)")) in copy["text"]
    [code] = RECEIPT.findall(copy["text"])
    return code


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_secret_election_with_receipts_published_and_checked(env, tmp_path, language):
    _ = tr(language, TZ)
    vote_title, election, receipt_word = WORDS[language]
    await setup_estate(env, language)
    await write_secret_election(env, _)
    since = env.mark()
    await time_passes(env, "opens_at")
    opened = {tid: await env.wait_for(tid, None, since=since, button=_("🗳 Vote"))
              for tid in (ANN, BOB, CAI)}
    codes = {ANN: await vote_secretly(env, _, ANN, opened[ANN], ["Zhang Wei", "Li Na"]),
             BOB: await vote_secretly(env, _, BOB, opened[BOB], ["Zhang Wei", "Wang Qiang"]),
             CAI: await vote_secretly(env, _, CAI, opened[CAI], [])}
    assert len(set(codes.values())) == 3

    # Ann's co-owner is told, and finds the ballot cast: nothing of it, nothing to change
    told = await env.wait(AMY, "Ann", since=since)
    cast = said(_, "✅ The secret ballot for these homes has been cast. It cannot be changed, "
                   "and nothing keeps your name with it: its receipt code is in the copy you "
                   "got when it was cast.")
    again = await env.tap_on(AMY, _("📋 See the vote"), on=told, expect=cast)
    assert not env.buttons(again) and codes[ANN] not in again["text"]

    since = env.mark()
    await time_passes(env, "closes_at")
    confirm = _("✔ Confirm the count")
    count = await env.wait_for(LI, None, since=since, button=confirm)
    await env.tap_on(LI, confirm, on=count, button=_("◀ Back"))
    since = env.mark()
    await env.tap_on(ZHANG, confirm, on=await env.wait_for(ZHANG, None, since=0, button=confirm),
                     expect=said(_, "✔ Confirmed by two scrutineers: the result is published "
                                    "to every owner."))
    check = _("🔎 Check my receipt")
    result = await env.wait_for(BOB, None, since=since, button=check)
    abstained = said(_, "no candidate (abstain)")
    chosen = {ANN: "Zhang Wei、Li Na", BOB: "Zhang Wei、Wang Qiang", CAI: abstained}
    for who, code in codes.items():
        assert f"{code} {chosen[who]}" in result["text"]
    assert said(_, "elected: {names}", names="Zhang Wei") in result["text"]  # Li Na: 1 of 3
    assert receipt_word in result["text"]

    # the list as a file: codes and choices, no areas
    since = env.mark()
    await env.tap(BOB, _("🧾 Receipts (CSV)"), message_id=result["message_id"])
    sent = await env.wait(BOB, said(_, "{title}: {count} receipt codes", title=vote_title,
                                    count=3), since=since)
    rows = list(csv.reader(io.StringIO((await file_bytes(env, sent)).decode("utf-8-sig"))))
    assert rows[0] == [_("Receipt code"), election]
    assert sorted(rows[1:]) == sorted([code, chosen[who]] for who, code in codes.items())

    # Ann checks her own code, typed loosely; then a code nobody has, then no code at all
    mine = await env.wait_for(ANN, None, since=0, button=check)
    asked = await env.tap_on(ANN, check, on=mine, expect="7KQ2-M9XD-4HPA")
    assert vote_title in asked["text"]
    found = await env.say(ANN, " " + codes[ANN].lower().replace("-", " "), codes[ANN])
    assert said(_, "{number}. {title} — {choice}", number=1, title=election,
                choice="Zhang Wei、Li Na") in found["text"]
    await env.tap_on(ANN, _("🔎 Check another code"), on=found, expect="7KQ2-M9XD-4HPA")
    unknown = next(c for c in ("2222-3333-4444", "5555-6666-7777") if c not in codes.values())
    refused = await env.say(ANN, unknown, unknown)
    assert refused["text"] == said(_, NO_SUCH_RECEIPT, code=unknown)
    wrong = await env.say(ANN, "hello", "7KQ2-M9XD-4HPA")  # still asked: not even a code
    assert wrong["text"] == said(_, "A receipt code has 12 letters and digits, such as "
                                    "7KQ2-M9XD-4HPA: send it as your copy of the ballot shows "
                                    "it.")

    vote = await the_vote(env)
    assert vote.status == VoteStatus.PUBLISHED and vote.secret
    await exporting.write(env.db, vote.id, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result
    ballots_csv = (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in ballots_csv[1:]) == sorted(codes.values())
    roll_csv = (tmp_path / "roll.csv").read_text(encoding="utf-8-sig")
    assert roll_csv.count(",yes") == 3 and not any(c in roll_csv for c in codes.values())
