"""The printable announcement of an owners' vote: an A4 PDF, a page in Chinese and a page in
English, for the vote as it was announced."""

from __future__ import annotations

import re

import pytest

from bot.announcement import announced, announcement_pdf
from models.votes import lifecycle
from tests.test_votes_service import T0, TZ, draft, estate, staff_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("places")


async def test_the_announcement_is_two_a4_pages_naming_the_vote(session, estate):  # noqa: F811
    vote = await draft(session, estate)
    await lifecycle.announce(session, vote_id=vote.id, author=await staff_of(session), tz=TZ,
                             now=T0)
    data = await announced(session, vote, f"https://t.me/linli_bot?start=vote_{vote.id}")
    assert [m.item for m in data.matters] == [1, 6] and data.matters[1].special
    pdf = announcement_pdf(data, TZ)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 2
    assert len(re.findall(rb"/MediaBox \[ ?0 0 595\.44 841\.68 ?\]", pdf)) == 2  # A4
    assert b"\xfe\xff" + "2027年业主大会".encode("utf-16-be") in pdf  # its title: the vote's
