"""Committee elections end to end through the emulator, by buttons: staff write an election
with three candidates (names and descriptions typed, a photo sent, one skipped) and two
seats, announce it; owners tick two of three candidates (a third is refused, the candidates'
photos are a press away), review and confirm; voting closes, two scrutineers confirm, the
result names the elected with each candidate's owners and area, its chart draws the
candidates' bars, and the exported files recount to the bot's own result.

The estate is 翠竹苑 of tests/test_votes_e2e.py: four owners as art. 278 counts them."""

from __future__ import annotations

import io

from PIL import Image

from handlers.votes import exporting
from models.votes import recount, tally
from models.votes.tables import VoteStatus
from tests.test_votes_e2e import (
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

ELECTION = "Election of the 3rd owners' committee"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 60), "#3b7dd8").save(buffer, format="PNG")
    return buffer.getvalue()


async def candidate(env, on: dict, name: str, about: str, photo: bool) -> dict:
    """From the question for a candidate's name: name, description, photo (or Skip)."""
    assert "send the name of candidate" in on["text"]
    asked = await env.say(STAFF, name, f"description of {name}")
    asked = await env.say(STAFF, about, f"photo of {name}")
    if not photo:
        return await env.tap_on(STAFF, "Skip ▶", on=asked, expect="election (art. 278 item 3)")
    since = env.mark()
    await env.client.send_photo(STAFF, png())
    return await env.wait(STAFF, f"{name} — {about} 📷", since=since)


async def write_election(env) -> dict:
    """Staff write the election by buttons and announce it; the announcement."""
    mine = await env.say(STAFF, "/votes", "There are no owners' votes for your homes.")
    listed = await env.tap_on(STAFF, "🗳 Votes I run", on=mine, expect="No owners' votes yet.")
    scope = await env.tap_on(STAFF, "➕ New vote", on=listed, expect="Who decides")
    await env.tap_on(STAFF, "✅ All of Bamboo Court", on=scope, expect="send its")
    items = await env.say(STAFF, "2027 committee election", "matter 1")
    await env.tap_on(STAFF, "🗳 Committee election (item 3): owners choose among "
                     "candidates", on=items, expect="an election of the owners'")
    name = await env.say(STAFF, ELECTION, "send the name of candidate 1")
    page = await candidate(env, name, "Zhang Wei", "A栋, retired teacher", photo=True)
    assert "Seats: not chosen yet" in page["text"]
    name = await env.tap_on(STAFF, "➕ Add a candidate", on=page, expect="of candidate 2")
    page = await candidate(env, name, "Li Na", "B栋, accountant", photo=False)
    name = await env.tap_on(STAFF, "➕ Add a candidate", on=page, expect="of candidate 3")
    page = await candidate(env, name, "Wang Qiang", "lawyer", photo=False)
    page = await env.tap_on(STAFF, "Elect 2", on=page, button="👉 Elect 2")
    assert "elects 2 of 3 candidates" in page["text"]
    page = await env.tap_on(STAFF, "🗑 3", on=page, expect="1. Zhang Wei")
    assert "Wang Qiang" not in page["text"]  # removed, and added back
    name = await env.tap_on(STAFF, "➕ Add a candidate", on=page, expect="of candidate 3")
    page = await candidate(env, name, "Wang Qiang", "lawyer", photo=False)
    draft = await env.tap_on(STAFF, "Done ▶", on=page, expect="the matters so far")
    assert "Candidates: Zhang Wei、Li Na、Wang Qiang" in draft["text"]
    days = await env.tap_on(STAFF, "Next: dates ▶", on=draft, expect="earliest opening day")
    closing = await env.tap_on(STAFF, env.buttons(days)[0], on=days, expect="Until which day")
    change = await env.tap_on(STAFF, env.buttons(closing)[0], on=closing,
                              expect="change their ballot")
    preview = await env.tap_on(STAFF, "No, a cast ballot is final", on=change, expect="Preview")
    assert "elects 2 of 3 candidates" in preview["text"]
    return await env.tap_on(STAFF, "📣 Announce", on=preview, expect="is on its way to 4 owners")


async def tick(env, user: int, on: dict, names: list[str]) -> dict:
    """Open the ballot from «🗳 Vote», tick the candidates, review and confirm: the copy."""
    ballot = await env.tap_on(user, "🗳 Vote", on=on, expect="Your choice: 0 of 2 chosen")
    for n, name in enumerate(names, start=1):
        ballot = await env.tap_on(user, name, on=ballot, button=f"✓ {name}")
        assert f"Your choice: {n} of 2 chosen" in ballot["text"]
    summary = await env.tap_on(user, "Review ▶", on=ballot, expect="Please check your ballot")
    return await env.tap_on(user, "✔ Confirm", on=summary, expect="Your ballot")


async def test_a_committee_election_from_candidates_to_the_elected(env, tmp_path):
    await setup_estate(env)
    await write_election(env)
    since = env.mark()
    await time_passes(env, "opens_at")
    opened = {tid: await env.wait(tid, "Voting is open", since=since) for tid in (ANN, BOB, CAI)}
    assert "Candidates: Zhang Wei、Li Na、Wang Qiang" in opened[ANN]["text"]

    # Ann: the candidates' photos, two ticks, a third refused
    ballot = await env.tap_on(ANN, "🗳 Vote", on=opened[ANN], expect="0 of 2 chosen")
    assert "Zhang Wei — A栋, retired teacher" in ballot["text"]
    since = env.mark()
    await env.tap(ANN, "🖼 About the candidates of 1", message_id=ballot["message_id"])
    photo = await env.wait(ANN, "1. Zhang Wei — A栋, retired teacher", since=since)
    assert photo.get("photo")
    await env.wait(ANN, "2. Li Na — B栋, accountant", since=since)
    ballot = await env.tap_on(ANN, "1. Zhang Wei", on=ballot, button="✓ 1. Zhang Wei")
    ballot = await env.tap_on(ANN, "2. Li Na", on=ballot, button="✓ 2. Li Na")
    toast = await env.tap(ANN, "3. Wang Qiang", message_id=ballot["message_id"])
    assert toast["text"] == "Matter 1: choose at most 2 candidates."
    ballot = await env.tap_on(ANN, "✓ 2. Li Na", on=ballot, button="2. Li Na")  # untick
    ballot = await env.tap_on(ANN, "2. Li Na", on=ballot, button="✓ 2. Li Na")
    summary = await env.tap_on(ANN, "Review ▶", on=ballot, expect="Please check your ballot")
    assert f"1. {ELECTION} — Zhang Wei、Li Na" in summary["text"]
    copy = await env.tap_on(ANN, "✔ Confirm", on=summary, expect="Your ballot")
    assert f"1. {ELECTION} — Zhang Wei、Li Na" in copy["text"]
    await tick(env, BOB, opened[BOB], ["1. Zhang Wei", "3. Wang Qiang"])
    await tick(env, CAI, opened[CAI], ["1. Zhang Wei", "2. Li Na"])

    # closed with the quorum (3 of 4 owners): Zhang Wei and Li Na are elected
    since = env.mark()
    await time_passes(env, "closes_at")
    count = await env.wait(LI, "Voting has closed", since=since)
    assert f"1. {ELECTION} — elected: Zhang Wei、Li Na" in count["text"]
    assert "1. Zhang Wei: 3 owners (100%), 300.00 m² (100% of the area taking part) — ✅ " \
           "elected" in count["text"]
    assert "3. Wang Qiang: 1 owners (33%), 80.00 m² (27% of the area taking part)" in \
        count["text"]
    await env.tap_on(LI, "✔ Confirm the count", on=count, expect="(1 of 2)")
    since = env.mark()
    await env.tap_on(ZHANG, "✔ Confirm the count",
                     on=await env.wait(ZHANG, "Voting has closed", since=0),
                     expect="Confirmed by two scrutineers")
    result = await env.wait(BOB, "Result", since=since)
    assert "elected: Zhang Wei、Li Na" in result["text"]
    since = env.mark()
    await env.tap(BOB, "📊 Chart", message_id=result["message_id"])
    chart = await env.wait(BOB, "Result: 2027 committee election", since=since)
    assert (await file_bytes(env, chart))[:8] == b"\x89PNG\r\n\x1a\n"

    vote = await the_vote(env)
    assert vote.status == VoteStatus.PUBLISHED
    await exporting.write(env.db, vote.id, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result
    ballots_csv = (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig").splitlines()
    assert sorted(line.rsplit(",", 1)[1] for line in ballots_csv[1:]) == ["1;2", "1;2", "1;3"]
