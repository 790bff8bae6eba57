"""The votes' chat parts that need no chat: the result chart as a picture, the `linli votes
export` command as an administrator meets it (its help, and a vote that has no roll yet), and
the ballot's buttons carrying the choices within Telegram's 64 bytes for the largest vote."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from PIL import Image

from bot.charts import CandidateBars, Labels, MatterBars, result_png
from bot.cli import Fail, main
from handlers.votes import buttons, exporting
from models.votes.core import MAX_MATTERS
from models.votes.elections import BALLOT_WIDTH


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
    """Twelve decisions; or elections whose candidates fill the widest state a vote allows
    (models/votes/elections.BALLOT_WIDTH), with a vote's and an owner's number of 11 digits."""
    for state in ("a" * MAX_MATTERS, "v" * BALLOT_WIDTH):
        for codec in (buttons.Ballot, buttons.Review, buttons.Cast):
            data = codec(10**11 - 1, 10**11 - 1, state).encode()
            assert len(data.encode()) <= 64
            assert codec.decode(data).state == state


def test_an_election_chart_draws_a_pair_of_bars_per_candidate():
    labels = Labels("took part", "agree", "disagree", "abstain", "owners", "area", "needed")
    election = CandidateBars("1. 第三届业主委员会选举", ("张伟", "李娜", "王强"),
                             (Fraction(1), Fraction(2, 3), Fraction(1, 3)),
                             (Fraction(1), Fraction(11, 15), Fraction(4, 15)),
                             (True, True, False), Fraction(1, 2), "elected: 张伟、李娜")
    decision = MatterBars("2. 选聘物业", (Fraction(3, 4), Fraction(6, 7)),
                          (Fraction(2, 3), Fraction(5, 6)), (Fraction(1, 3), Fraction(1, 6)),
                          (Fraction(0), Fraction(0)), Fraction(2, 3), Fraction(1, 2), "passed")
    picture = Image.open(io.BytesIO(result_png("2027年业主大会", [election, decision], labels)))
    assert picture.format == "PNG" and picture.height > 500


def test_a_ballot_state_is_read_against_the_votes_own_matters():
    """Decisions take a letter each, an election its ticks in base 32; a state that does not
    fit the matters (a candidate the election lacks, a wrong length) is a stale button."""
    from handlers.votes import ballot_state as bs
    from models.errors import StaleButton
    from models.votes.tables import VoteMatter

    matters = [VoteMatter(number=1, kind="decision", options=[]),
               VoteMatter(number=2, kind="election", seats=2,
                          options=[f"候选人{n}" for n in range(1, 8)])]
    assert bs.blank(matters) == "-00"
    picks = bs.toggled(bs.toggled(bs.decode("a00", matters), 1, 1), 1, 7)
    assert picks == ["a", frozenset({1, 7})] and bs.encode(picks, matters) == "a21"
    assert bs.as_choices(picks, matters) == {1: "agree", 2: (1, 7)}
    assert bs.over_limit(bs.toggled(picks, 1, 3), matters) is matters[1]
    for forged in ("a40", "a2", "x00", "a2:"):  # candidate 8; short; no such choice
        with pytest.raises(StaleButton):
            bs.decode(forged, matters)
