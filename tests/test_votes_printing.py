"""Printable ballots (#15): a page per roll owner with their homes and areas, the names linli
knows, each matter's boxes and a QR code whose token is bound to (vote, owner) — kept, so that
printing again gives the same ballot — from the announcement until voting closes, for the
vote's convenors (audited) and the command line; the PDF as a printer sees it (pdftoppm),
with the owner's name and the QR code's link to the bot."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import select

from bot.announcement import qr_image
from bot.ballot_pdf import ballots_pdf, link, page
from models.audit import AuditEntry
from models.errors import Conflict, NotAllowed, NotFound
from models.votes import lifecycle, printing
from models.votes.secret import ALPHABET, receipt_text
from models.votes.tables import PrintedBallot, RollHousehold, VoteStatus
from tests.conftest import place, resident
from tests.test_votes_acceptance import at_head, linli
from tests.test_votes_service import (  # noqa: F401
    B1,
    B2,
    T0,
    TZ,
    close,
    draft,
    estate,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
BOT = "linli_bot"


async def announced(session, estate, **kwargs):  # noqa: F811
    vote = await draft(session, estate, **kwargs)
    await lifecycle.announce(session, vote_id=vote.id, author=await staff_of(session), tz=TZ,
                             now=T0)
    return vote


async def test_each_owner_gets_one_ballot_whose_token_stays_the_same(session, estate):  # noqa: F811
    """40 homes, two of them one buyer's: 39 ballots, the buyer's naming both homes and their
    area added, a joined owner's naming them; printing again, by building, and after the roll
    is frozen gives the same tokens."""
    staff = await staff_of(session)
    pair = [await place(session, B1 + "/1单元/" + r) for r in ("101", "102")]
    for home in pair:
        home.owner_ref = "证-0001"
    await session.commit()
    await resident(session, staff, 31, B1 + "/1单元/201", name="李秀英")
    vote = await announced(session, estate)
    printed = await printing.printable(session, vote_id=vote.id, author=staff)
    assert len(printed.owners) == 39 and [m.number for m in printed.matters] == [1, 2]
    tokens = [o.token for o in printed.owners]
    assert len(set(tokens)) == 39 and all(len(t) == 16 and set(t) <= set(ALPHABET)
                                          for t in tokens)
    buyer = printed.owners[0]
    assert [h.name for h in buyer.homes] == ["1栋 1单元 101", "1栋 1单元 102"]
    assert buyer.area == sum(int(h.floor_area * 100) for h in pair)
    assert buyer.homes[0].name_en == "1栋 1单元 101"  # (no English names in the sample)
    [named] = [o for o in printed.owners if o.names]
    assert named.names == ("李秀英",) and named.homes[0].name == "1栋 1单元 201"

    again = await printing.printable(session, vote_id=vote.id, author=staff)
    assert [o.token for o in again.owners] == tokens
    second = await printing.printable(session, vote_id=vote.id, author=staff,
                                      building_id=(await place(session, B2)).id)
    assert len(second.owners) == 20 and {o.token for o in second.owners} <= set(tokens)
    assert all(o.homes[0].name.startswith("2栋") for o in second.owners)

    vote = await opened_from(session, vote)
    frozen = await printing.printable(session, vote_id=vote.id, author=staff)
    assert [o.token for o in frozen.owners] == tokens
    # each token is bound to its owner's first household, which the roll puts under its owner
    kept = dict((await session.execute(select(PrintedBallot.token, PrintedBallot.household_id)
                                       .where(PrintedBallot.vote_id == vote.id))).all())
    owners = dict((await session.execute(select(RollHousehold.household_id,
                                                RollHousehold.owner_id))).all())
    assert len({owners[kept[t]] for t in tokens}) == 39
    printed_by = list(await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.print_ballots")))
    assert [(e.actor_id, e.detail["ballots"]) for e in printed_by] == [
        (staff.id, 39), (staff.id, 39), (staff.id, 20), (staff.id, 39)]


async def opened_from(session, vote):
    from models.schedule import DueItem
    from models.votes.core import OPEN_DUE

    item = await session.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                      DueItem.ref_id == vote.id))
    await lifecycle.open_due(session, item, vote.opens_at)
    await session.commit()
    await session.refresh(vote)
    assert vote.status == VoteStatus.OPEN
    return vote


async def test_only_convenors_print_and_only_while_the_vote_runs(session, estate):  # noqa: F811
    staff = await staff_of(session)
    owner = await resident(session, staff, 32, B1 + "/1单元/301")
    vote = await draft(session, estate)
    with pytest.raises(Conflict):  # a draft
        await printing.printable(session, vote_id=vote.id, author=staff)
    vote = await announced(session, estate)
    with pytest.raises(NotAllowed):  # an owner is not a convenor
        await printing.printable(session, vote_id=vote.id, author=owner)
    with pytest.raises(NotFound):  # a building of another estate
        await printing.printable(session, vote_id=vote.id, author=staff, building_id=(
            await place(session, "城东街道/阳光社区/第二网格/3栋")).id)
    vote = await opened_from(session, vote)
    await close(session, vote)
    with pytest.raises(Conflict):
        await printing.print_choices(session, vote_id=vote.id, author=staff)
    assert not list(await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.print_ballots")))


def rendered(pdf, number: int, folder) -> tuple[str, tuple[int, int], int, str]:
    """The PDF's `pdfinfo`, and its page `number` as a printer sees it: drawn by pdftoppm at a
    low resolution, its size and how many pixels carry ink, and its text (pdftotext)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(number), "-l", str(number),
                    str(pdf), str(folder / "page")], check=True)
    [png] = folder.glob("page*.png")
    with Image.open(png) as image:
        size, ink = image.size, sum(image.convert("L").histogram()[:128])
    text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True).stdout
    return info, size, ink, text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (bot/dev.py)")
async def test_the_pdf_is_a_page_per_owner_with_the_name_and_the_qr_link(session, estate,  # noqa: F811
                                                                          tmp_path):
    staff = await staff_of(session)
    await resident(session, staff, 33, B1 + "/2单元/101", name="王桂兰")
    vote = await announced(session, estate, building=B1)
    printed = await printing.printable(session, vote_id=vote.id, author=staff)
    assert len(printed.owners) == 20
    pdf = tmp_path / "ballots.pdf"
    pdf.write_bytes(ballots_pdf(printed, BOT, TZ))
    [owner] = [o for o in printed.owners if o.names]
    info, size, ink, text = rendered(pdf, printed.owners.index(owner) + 1, tmp_path)
    assert re.search(r"Pages:\s+20\b", info) and "595.44 x 841.68" in info  # A4
    assert size == (331, 468) and ink > 2000  # drawn, not blank
    for words in ("王桂兰", "1栋 2单元 101", "2027年业主大会", "业主表决票", "Owners' ballot",
                  "1. 议事规则", "同意 Agree", "业主签名", "Owner's signature",
                  receipt_text(owner.token)):
        assert words in text
    # the QR code drawn is exactly the deep link of this owner's token (no decoder here)
    assert link(BOT, owner.token) == f"https://t.me/{BOT}?start=pb_{owner.token}"
    [qr] = page(printed, owner, BOT, TZ).axes
    drawn = qr.get_images()[0].get_array()
    assert (drawn == qr_image(link(BOT, owner.token))).all()


async def test_a_secret_election_prints_a_receipt_line(session, estate):  # noqa: F811
    from tests.test_votes_secret import secret_election

    staff = await staff_of(session)
    vote = await secret_election(session, estate)
    printed = await printing.printable(session, vote_id=vote.id, author=staff)
    assert printed.secret and printed.matters[0].options
    figure = page(printed, printed.owners[0], BOT, TZ)
    shown = " ".join(t.get_text() for t in figure.texts)
    assert "无记名投票" in shown and "回执码" in shown and "Receipt code" in shown
    assert "1. " + printed.matters[0].options[0] in shown


async def test_the_command_prints_every_ballot(db, db_url, session, estate,  # noqa: F811
                                              tmp_path):
    await at_head(db)
    vote = await announced(session, estate, building=B1)
    file = tmp_path / "ballots.pdf"
    done = linli("votes", "ballots", str(vote.id), str(file), "--bot", BOT, url=db_url)
    assert done.returncode == 0, done.stderr
    assert "Wrote 20 ballots" in done.stdout and "100%" in done.stderr
    assert file.read_bytes().startswith(b"%PDF")
    helped = linli("votes", "ballots", "--help", url=db_url)
    assert "QR code" in helped.stdout and "--bot" in helped.stdout
    await close_vote_too_early(session, vote)
    refused = linli("votes", "ballots", str(vote.id), str(file), "--bot", BOT, url=db_url)
    assert refused.returncode == 1 and "announced" in refused.stderr


async def close_vote_too_early(session, vote):
    await lifecycle.cancel(session, vote_id=vote.id, author=await staff_of(session),
                           reason="重新发起")


def test_a_page_fits_many_matters():
    """Twelve matters (the most a vote has) still end above the signature."""
    from bot.ballot_pdf import BOTTOM, Both, _lines, fitted

    vote = printing.Printable(1, "标题", None, "阳光花园", None, None, None, False, tuple(
        printing.PrintedMatter(n, "decision", 4, "事项" * 20, "matter " * 12, None, ())
        for n in range(1, 13)), ())
    owner = printing.PrintedOwner("A" * 16, (printing.Home("1栋 1单元 101", "1栋", 8950),), ())
    lines, scale = fitted(_lines(Both(TZ), vote, owner))
    assert scale < 1 and sum(size / 72 / 11.69 * 1.5 for _t, size, _k in lines) <= 0.955 - BOTTOM
    assert replace(owner, names=("张",)).names == ("张",)
