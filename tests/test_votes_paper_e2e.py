"""The paper side of an owners' vote end to end through the emulator (#15): a convenor prints
the ballots by a button, one page per owner with the QR code of the ballot.

The estate is 翠竹苑 of tests/test_votes_e2e.py: four owners as art. 278 counts them."""

from __future__ import annotations

import re

from tests.test_votes_e2e import STAFF, announce_by_buttons, file_bytes, setup_estate


async def test_a_convenor_prints_the_ballots_by_a_button(env):
    await setup_estate(env)
    announced = await announce_by_buttons(env)
    page = await env.tap_on(STAFF, "📋 Open the vote", on=announced, expect="Status: announced")
    since = env.mark()
    toast = await env.tap(STAFF, "🖨 Paper ballots (PDF)", message_id=page["message_id"])
    assert toast["text"] == "Drawing the ballots: a moment, please."
    sent = await env.wait(STAFF, "4 pages, one per owner", since=since)
    pdf = await file_bytes(env, sent)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) == 4


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
