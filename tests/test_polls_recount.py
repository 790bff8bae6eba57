"""Hand-made recount files of a resident poll (README, "Recounting a vote"): a poll's minimum
turnout in matters.csv's optional last column, met or missed exactly at its bound (以上), a
roll of people several of whom share a household, and what is refused with the line."""

from __future__ import annotations

import pytest

from bot.i18n import tr
from models.votes import recount, tally
from models.votes.recount import RecountRefused

ROLL = ["owner,households,area_m2,voted", "P1,H1,0.00,yes", "P2,H1,0.00,yes",
        "P3,H2,0.00,no", "P4,H3,0.00,no"]
BALLOTS = ["ballot,area_m2,channel,m1", "A1,0.00,online,1", "A2,0.00,online,1;2"]


def files(folder, matters: list[str], roll: list[str] = ROLL) -> None:
    for name, lines in (("matters.csv", matters), ("roll.csv", roll),
                        ("ballots.csv", BALLOTS)):
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("turnout", "met"), [("50%", True), ("51", False), ("", None)])
def test_a_poll_of_people_counts_against_its_minimum_turnout(tmp_path, turnout, met):
    files(tmp_path, ["matter,kind,item,seats,candidates,turnout",
                     f"1,poll,,2,Saturday;Sunday,{turnout}"])
    [result] = tally.tally(*recount.read_files(tmp_path))
    assert (result.owners_voted, result.owners_total, result.quorum) == (2, 4, met)
    assert [o.owners for o in result.options] == [2, 1]
    heading = recount.result_table([result], tr("en")).splitlines()[0]
    assert heading == {True: "Matter 1: poll — minimum turnout reached",
                       False: "Matter 1: poll — not valid: turnout below the minimum",
                       None: "Matter 1: poll"}[met]


def test_the_turnout_column_may_be_left_out(tmp_path):
    files(tmp_path, ["matter,kind,item,seats,candidates", "1,poll,,2,Saturday;Sunday"])
    [result] = tally.tally(*recount.read_files(tmp_path))
    assert result.quorum is None and result.matter.turnout is None


@pytest.mark.parametrize(("row", "refused"), [
    ("1,decision,4,,,50%", "is a poll's minimum turnout"),
    ("1,poll,,2,Saturday;Sunday,0%", "from 1% to 100%"),
    ("1,poll,,2,Saturday;Sunday,half", "not “half”")])
def test_a_turnout_that_is_not_a_polls_percentage_is_refused(tmp_path, row, refused):
    files(tmp_path, ["matter,kind,item,seats,candidates,turnout", row])
    with pytest.raises(RecountRefused) as error:
        recount.read_files(tmp_path)
    assert (error.value.file, error.value.line) == ("matters.csv", 2)
    assert refused in error.value.message.format(**error.value.params)


def test_people_sharing_a_household_only_in_a_poll(tmp_path):
    files(tmp_path, ["matter,kind,item,seats,candidates", "1,election,3,1,Zhang;Li"],
          roll=[ROLL[0], "O1,H1,80.00,yes", "O2,H1,0.00,yes"])
    with pytest.raises(RecountRefused) as error:
        recount.read_files(tmp_path)
    assert (error.value.file, error.value.line) == ("roll.csv", 3)
