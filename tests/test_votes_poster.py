"""The results poster (#15): once a vote's result is published, an A4 PDF to put up in the
estate (a page in Chinese, one in English) with the title, the estate, each matter's outcome
with owners and area against the art. 278 thresholds, the elected candidates, the ballots by
channel, the turnout, the scrutineers, and the QR code of the vote's deep link — for its
convenors and `linli votes poster VOTE FILE`; as a printer sees it (pdftoppm, pdftotext)."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.announcement import qr_image
from bot.result_poster import page, poster_pdf
from models.errors import Conflict, NotAllowed
from models.votes import ballots, closing, poster
from tests.conftest import person, resident
from tests.test_votes_acceptance import at_head, linli
from tests.test_votes_elections import election_draft, open_it, voters
from tests.test_votes_printing import rendered
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    TZ,
    close,
    during,
    estate,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
BOT = "linli_bot"
LINK = f"https://t.me/{BOT}?start=vote_"


async def published(session, estate):  # noqa: F811
    """1栋's vote (a decision on item 4, and the election of 2 of 张伟, 李娜, 王强): 15 of its
    20 owners vote, three of them on paper and one on site; the staff member and a committee
    member confirm the count."""
    vote, number = await election_draft(session, estate)
    vote = await open_it(session, vote)
    people = await voters(session, 15)
    for n, voter in enumerate(people):
        [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                             now=during(vote))
        channel = "paper" if n < 3 else "on-site" if n == 3 else "online"
        await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                           choices={1: "agree" if n < 12 else "disagree",
                                    number: (1, 2) if n < 10 else (3,)},
                           now=during(vote), channel=channel)
    await close(session, vote)
    staff = await staff_of(session)
    await closing.confirm_count(session, vote_id=vote.id, person=staff)
    with pytest.raises(Conflict):  # confirmed once: not yet published
        await poster.posted(session, vote_id=vote.id, author=staff, link=LINK)
    await closing.confirm_count(session, vote_id=vote.id,
                                person=await person(session, 901, "李委员"))
    return vote


async def test_the_poster_is_for_the_convenors_once_the_result_is_published(session, estate):  # noqa: F811
    vote, number = await election_draft(session, estate)
    staff = await staff_of(session)
    with pytest.raises(Conflict):  # a draft
        await poster.posted(session, vote_id=vote.id, author=staff, link=LINK)
    vote = await open_it(session, vote)
    owner = await resident(session, staff, 40, B1 + "/1单元/101")
    with pytest.raises(NotAllowed):  # an owner is no convenor
        await poster.posted(session, vote_id=vote.id, author=owner, link=LINK)
    await close(session, vote)
    with pytest.raises(Conflict):  # counted, not yet confirmed and published
        await poster.posted(session, vote_id=vote.id, author=staff, link=LINK)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (bot/dev.py)")
async def test_the_poster_shows_outcomes_channels_scrutineers_and_the_votes_qr(
        session, estate, tmp_path):  # noqa: F811
    vote = await published(session, estate)
    link = poster.vote_link(BOT, vote.id)
    posted = await poster.posted(session, vote_id=vote.id, author=await staff_of(session),
                                 link=link)
    assert posted.channels == {"online": 11, "assisted": 0, "paper": 3, "on-site": 1}
    assert [s.name for s in posted.scrutineers] == ["王主任", "李委员"]
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(poster_pdf(posted, TZ))
    info, size, ink, chinese = rendered(pdf, 1, tmp_path)
    assert re.search(r"Pages:\s+2\b", info) and "595.44 x 841.68" in info  # A4: zh, en
    assert size == (331, 468) and ink > 2000  # drawn, not blank
    for words in ("业主大会表决结果公告", "2027年业主大会", "阳光花园", "续聘物业", "通过",
                  "第三届业主委员会选举", "张伟", "李娜", "当选", "王主任", "李委员", link):
        assert words in chinese, words
    for part in tmp_path.glob("page*.png"):
        part.unlink()
    _info, _size, _ink, english = rendered(pdf, 2, tmp_path)
    for words in ("Result of an owners' vote", "Matter 1: art. 278 item 4 — passed",
                  "elected: 张伟, 李娜", "Agree: 12 owners, 80.00% (needs > 1/2 ✓)",
                  "11 in the chat", "3 on paper", "1 on site",
                  "15 of 20 owners took part (75.00%)", "李委员 (owners' committee)",
                  "王主任 (community office)", link):
        assert words in " ".join(english.split()), words
    # the QR code drawn is exactly the vote's deep link, the announcement's (no decoder here)
    assert link == f"https://t.me/{BOT}?start=vote_{vote.id}"
    [qr] = page(posted, "en", TZ).axes
    assert (qr.get_images()[0].get_array() == qr_image(link)).all()


async def test_the_command_writes_the_poster(db, db_url, session, estate, tmp_path):  # noqa: F811
    await at_head(db)
    vote, number = await election_draft(session, estate)
    vote = await open_it(session, vote)
    file = tmp_path / "poster.pdf"
    refused = linli("votes", "poster", str(vote.id), str(file), "--bot", BOT, url=db_url)
    assert refused.returncode == 1 and "published" in refused.stderr
    for voter in await voters(session, 14):
        [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                             now=during(vote))
        await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                           choices={1: "agree", number: (2,)}, now=during(vote))
    await close(session, vote)
    for scrutineer in (await staff_of(session), await person(session, 902, "张委员")):
        await closing.confirm_count(session, vote_id=vote.id, person=scrutineer)
    done = linli("votes", "poster", str(vote.id), str(file), "--bot", BOT, url=db_url)
    assert done.returncode == 0, done.stderr
    assert "Wrote the results poster" in done.stdout and file.read_bytes().startswith(b"%PDF")
    helped = linli("votes", "poster", "--help", url=db_url)
    assert "QR code" in helped.stdout and "--bot" in helped.stdout
