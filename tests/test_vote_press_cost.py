"""What one ballot press costs the database, counted like the pledge's presses
(tests/test_press_cost.py) through the real Application polling the emulator: "🗳 Vote" on the
opening notice, a choice on each matter, "Review", "Confirm", and the ballot of a second roll
owner picked from "Whose ballot". Every press re-checks on the server that the vote is open
(status and deadline), that the person is an approved owner of one of the roll owner's homes
now, and the ballot's state; what is read once per vote (its matters, the estate's name:
nothing of an announced vote changes) is not read again per press. On SQLite a press that
only reads makes no trip to a database thread; Confirm writes the ballot, its choices, its
version and its audit row (four tables: SQLite has no statement that writes several) and,
only where there are co-owners to tell, one INSERT … SELECT of their words."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from handlers.votes.buttons import Ballot
from models.onboarding import decide_membership, request_membership
from models.people import Relation, person_by_telegram
from models.votes import lifecycle
from models.votes.roll import owners_for
from models.votes.tables import Ballot as BallotRow
from models.votes.tables import BallotVersion, Vote
from tests.conftest import place
from tests.test_press_cost import counting, press, show
from tests.test_votes_e2e import (
    AMY,
    ANN,
    BOB,
    CAI,
    HOMES,
    STAFF,
    quick_draft,
    setup_estate,
    time_passes,
)


async def open_vote(env, *, changeable: bool = True) -> int:
    vote_id = await quick_draft(env, changeable=changeable)
    async with env.db.session() as s:
        await lifecycle.announce(s, vote_id=vote_id, author=await person_by_telegram(s, STAFF),
                                 tz=dt.timezone(dt.timedelta(hours=8)))
    await time_passes(env, "opens_at")
    return vote_id


async def test_ballot_presses_statements(env, monkeypatch):
    await setup_estate(env)
    since = env.mark()
    await open_vote(env)
    opened = await env.wait(ANN, "Voting is open", since=since)
    async with counting(env, monkeypatch) as counter:
        ballot, opening, open_trips = await press(env, counter, ANN, "🗳 Vote", on=opened,
                                                  expect="Ballot for:")
        ballot, first, first_trips = await press(env, counter, ANN, "1. ✅ Agree", on=ballot,
                                                 expect="Ballot for:", button="👉 1. ✅ Agree")
        ballot, second, _t = await press(env, counter, ANN, "2. ❌ Disagree", on=ballot,
                                         expect="Ballot for:", button="Review ▶")
        summary, review, review_trips = await press(env, counter, ANN, "Review ▶", on=ballot,
                                                    expect="Please check your ballot")
        copy, confirm, confirm_trips = await press(env, counter, ANN, "✔ Confirm", on=summary,
                                                   expect="Your ballot")
    print(show("open", opening), show("choice", first), show("choice", second),
          show("review", review), show("confirm", confirm), sep="\n")
    assert "1. The management statute — ✅ Agree" in copy["text"]
    assert "2. Bicycle shed — ❌ Disagree" in copy["text"]
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(BallotRow)) == 1
        assert await s.scalar(select(func.count()).select_from(BallotVersion)) == 1
    assert len(opening) <= 3, show("open", opening)
    assert len(first) <= 2, show("choice", first)
    assert len(second) <= 2, show("choice", second)
    assert len(review) <= 2, show("review", review)
    # the person and where they stand; the ballot, its choices, its version, the audit
    # row; Amy's word (Ann's co-owner): one INSERT … SELECT
    assert len(confirm) <= 7, show("confirm", confirm)
    await env.wait(AMY, "has been cast by your co-owner Ann", since=since)
    if env.db.is_sqlite:  # reads on the loop's thread; each write one trip, and the commit
        assert (open_trips, first_trips, review_trips) == ([], [], [])
        assert confirm_trips == ["_run_statement"] * 5 + ["commit"], confirm_trips


async def test_whose_ballot_statements(env, monkeypatch):
    """Bob co-owns A栋101 and owns A栋102: «🗳 Vote» asks whose ballot (both homes named, from
    the one statement), then the ballot he picks; a button naming a roll owner he may not vote
    for is refused."""
    await setup_estate(env)
    async with env.db.session() as s:
        staff, bob = await person_by_telegram(s, STAFF), await person_by_telegram(s, BOB)
        asked = await request_membership(s, person=bob, relation=Relation.OWNER,
                                         household_id=(await place(s, HOMES + "A栋/1单元/101"))
                                         .id)
        await decide_membership(s, membership_id=asked.membership.id, decider=staff,
                                approve=True)
    since = env.mark()
    vote_id = await open_vote(env)
    opened = await env.wait(BOB, "Voting is open", since=since)
    async with counting(env, monkeypatch) as counter:
        whose, listing, list_trips = await press(env, counter, BOB, "🗳 Vote", on=opened,
                                                 expect="Whose ballot")
        ballot, picked, pick_trips = await press(env, counter, BOB, "A栋 1单元 102 · 80.00 m²",
                                                 on=whose, expect="Ballot for: A栋 1单元 102")
    print(show("whose", listing), show("picked", picked), sep="\n")
    assert env.buttons(whose) == ["A栋 1单元 101 · 90.00 m²", "A栋 1单元 102 · 80.00 m²"]
    assert len(listing) <= 2, show("whose", listing)
    assert len(picked) <= 3, show("picked", picked)
    if env.db.is_sqlite:
        assert (list_trips, pick_trips) == ([], [])
    async with env.db.session() as s:  # Cai's owner, on a button of Bob's
        cai = await person_by_telegram(s, CAI)
        [theirs] = await owners_for(s, await s.get(Vote, vote_id), cai.id)
    toast = await env.tap(BOB, data=Ballot(vote_id, theirs.id, "a-").encode(), forge=True,
                          message_id=ballot["message_id"])
    assert toast["text"].startswith("Only owners on this vote's roll can vote.")
    # A栋102 is Bob's alone: casting it tells nobody, four rows written
    async with counting(env, monkeypatch) as counter:
        ballot = await env.tap_on(BOB, "1. ✅ Agree", on=ballot, button="👉 1. ✅ Agree")
        ballot = await env.tap_on(BOB, "2. ⚪ Abstain", on=ballot, button="Review ▶")
        summary = await env.tap_on(BOB, "Review ▶", on=ballot, expect="Please check")
        copy, confirm, confirm_trips = await press(env, counter, BOB, "✔ Confirm", on=summary,
                                                   expect="Your ballot")
    print(show("confirm", confirm))
    assert "Ballot for: A栋 1单元 102 (80.00 m²)" in copy["text"]
    assert len(confirm) <= 6, show("confirm", confirm)
    if env.db.is_sqlite:
        assert confirm_trips == ["_run_statement"] * 4 + ["commit"], confirm_trips
