"""The votes' chat parts that need no chat: the result chart as a picture, the `linli votes
export` command as an administrator meets it (its help, and a vote that has no roll yet), and
the ballot's buttons carrying the choices within Telegram's 64 bytes for the largest vote."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from PIL import Image

from bot.charts import Labels, MatterBars, result_png
from bot.cli import Fail, main
from handlers.votes import buttons, exporting
from models.votes.core import MAX_MATTERS


def test_the_chart_is_a_png_with_one_panel_per_matter():
    matters = [MatterBars(f"{n}. 选聘物业 matter", (Fraction(3, 4), Fraction(6, 7)),
                          (Fraction(2, 3), Fraction(5, 6)), (Fraction(1, 3), Fraction(1, 6)),
                          (Fraction(0), Fraction(0)), Fraction(2, 3), Fraction(3, 4), "passed")
               for n in (1, 2, 3)]
    labels = Labels("took part", "agree", "disagree", "abstain", "owners", "area", "needed")
    png = result_png("2027年业主大会", matters, labels)
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    assert picture.height > Image.open(io.BytesIO(result_png("x", matters[:1], labels))).height


def test_export_has_help(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["votes", "export", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "VOTE" in out and "DIR" in out and "recount" in out


async def test_export_refuses_a_vote_that_is_not_there(db, tmp_path):
    with pytest.raises(Fail, match="There is no vote 42"):
        await exporting.write(db, 42, tmp_path)


def test_the_largest_ballot_fits_in_its_buttons():
    state = "a" * MAX_MATTERS
    for codec in (buttons.Ballot, buttons.Review, buttons.Cast):
        data = codec(2**40, 2**40, state).encode()
        assert len(data.encode()) <= 64
        assert codec.decode(data).state == state
