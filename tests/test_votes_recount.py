"""The recount files (#14): a vote as matters.csv, roll.csv and ballots.csv recounts exactly as
the bot counts; files that disagree with themselves or each other are refused with the file
and the line, never counted; `linli votes recount DIR` prints the bot's table or one JSON
object. Pure Python: no database, no Telegram."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.i18n import tr
from models.votes.recount import RecountRefused, read_files, result_json, write_files
from models.votes.tally import Ballot, Choice, Matter, MatterKind, RollOwner, tally

MATTERS = """\
matter,kind,item,seats,candidates
1,decision,4,,
2,decision,6,,
3,election,3,2,张伟;李娜;王强
4,poll,,,Tuesday;Saturday
"""
# o1 owns three flats (areas added), the developer's unsold flats are one owner, o5 has not
# voted; co-owners of 2-201 are one owner with one ballot
ROLL = """\
owner,households,area_m2,voted
o1,1-101;1-102;3-301,270.00,yes
o2,2-201,89.50,yes
developer,5-101;5-102;5-103;5-104,360.00,yes
o4,2-202,89.50,yes
o5,2-203,120.00,no
"""
BALLOTS = """\
ballot,area_m2,channel,m1,m2,m3,m4
b1,89.50,online,agree,agree,1;2,2
b2,270.00,paper,agree,disagree,1,1
b3,360.00,assisted,disagree,agree,1;3,
b4,89.50,on-site,abstain,agree,,2
"""


def folder(tmp_path: Path, matters: str = MATTERS, roll: str = ROLL,
           ballots: str = BALLOTS) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, text in (("matters.csv", matters), ("roll.csv", roll), ("ballots.csv", ballots)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# --- a hand-made folder recounts -------------------------------------------------------------

def test_a_hand_made_folder_recounts_every_matter(tmp_path):
    matters, roll, ballots = read_files(folder(tmp_path))
    assert [m.kind for m in matters] == ["decision", "decision", "election", "poll"]
    assert roll[0] == RollOwner("o1", ("1-101", "1-102", "3-301"), 27000, True)
    assert ballots[2] == Ballot("b3", 36000, "assisted", {1: Choice.DISAGREE, 2: Choice.AGREE,
                                                         3: (1, 3), 4: ()})
    first, second, election, poll = result_json(tally(matters, roll, ballots))["matters"]
    # 4 of 5 owners, 809.00 of 929.00 m²: participation met
    assert first == {"matter": 1, "owners_total": 5, "area_total": "929.00", "owners_voted": 4,
                     "area_voted": "809.00", "quorum": True,
                     "agree_owners": 2, "agree_area": "359.50",
                     "disagree_owners": 1, "disagree_area": "360.00",
                     "abstain_owners": 1, "abstain_area": "89.50", "passed": False}
    # item 6: 3 of 4 owners (exactly 3/4) but 539.00 of 809.00 m² (under 3/4)
    assert (second["agree_owners"], second["agree_area"], second["passed"]) == (3, "539.00",
                                                                                False)
    assert election["kind"] == "election" and election["tie_at_last_seat"] == []
    assert [(o["name"], o["owners"], o["area"], o["elected"]) for o in election["options"]] == [
        ("张伟", 3, "719.50", True), ("李娜", 1, "89.50", False), ("王强", 1, "360.00", False)]
    assert poll["quorum"] is None
    assert [(o["owners"], o["area"], o["elected"]) for o in poll["options"]] == [
        (1, "270.00", None), (2, "179.00", None)]
    assert (poll["abstain_owners"], poll["abstain_area"]) == (1, "360.00")


def test_a_bom_blank_lines_and_spaces_around_cells_are_fine(tmp_path):
    roll = "\ufeff" + ROLL.replace("270.00,yes\n", "270.00 , yes\n") + "\n"
    matters, owners, ballots = read_files(folder(tmp_path, roll=roll))
    assert owners[0].area == 27000 and owners[0].voted


def test_what_is_written_reads_back_the_same(tmp_path):
    original = read_files(folder(tmp_path / "a"))
    write_files(tmp_path / "b", *original)
    assert read_files(tmp_path / "b") == original
    assert (tmp_path / "b" / "roll.csv").read_text(encoding="utf-8-sig").splitlines()[:2] == [
        "owner,households,area_m2,voted", "o1,1-101;1-102;3-301,270.00,yes"]


def test_keys_that_cannot_be_written_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="cannot be written"):
        write_files(tmp_path, [Matter(1, MatterKind.DECISION, 1)],
                    [RollOwner("a;b", ("h",), 100, False)], [])


# --- the property: recount = tally -----------------------------------------------------------

KEY = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";"),
              min_size=1, max_size=6).filter(lambda key: key == key.strip())


@st.composite
def votes(draw):
    matters = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        kind = draw(st.sampled_from(MatterKind))
        if kind is MatterKind.DECISION:
            matters.append(Matter(number, kind, draw(st.integers(1, 9))))
            continue
        options = tuple(draw(st.lists(KEY, min_size=1, max_size=4)))
        seats = draw(st.integers(1, len(options))) if kind is MatterKind.ELECTION else \
            draw(st.none() | st.integers(1, len(options)))
        matters.append(Matter(number, kind, 3 if kind is MatterKind.ELECTION else None,
                              seats, options))
    keys = draw(st.lists(KEY, min_size=1, max_size=12, unique=True))
    households = draw(st.lists(KEY, min_size=len(keys) * 3, max_size=len(keys) * 3,
                               unique=True))
    roll = [RollOwner(key, tuple(households[3 * i:3 * i + draw(st.integers(1, 3))]),
                      draw(st.integers(0, 10**7)), draw(st.booleans()))
            for i, key in enumerate(keys)]
    voted = draw(st.permutations([owner.area for owner in roll if owner.voted]))
    ballots = [Ballot(f"b{i}", area, draw(st.sampled_from(["online", "paper", "assisted",
                                                            "on-site"])),
                      {m.number: draw(selection(m)) for m in matters})
               for i, area in enumerate(voted)]
    return matters, roll, ballots


def selection(matter: Matter):
    if matter.kind is MatterKind.DECISION:
        return st.sampled_from(Choice)
    return st.lists(st.integers(1, len(matter.options)), unique=True,
                    max_size=matter.choosable).map(tuple)


@settings(max_examples=150, deadline=None)
@given(vote=votes())
def test_the_recount_from_the_files_equals_the_tally(tmp_path_factory, vote):
    directory = tmp_path_factory.mktemp("recount")
    write_files(directory, *vote)
    recounted = read_files(directory)
    assert recounted == vote
    assert tally(*recounted) == tally(*vote)


# --- what is refused, with the file and line --------------------------------------------------

def change(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


R = ROLL
REFUSED = {
    "more ballots than voted owners": (
        dict(roll=change(R, "o4,2-202,89.50,yes", "o4,2-202,89.50,no")),
        "ballots.csv", 5, "ballot number 4, but roll.csv marks only 3 owners"),
    "fewer ballots than voted owners": (
        dict(roll=change(R, "o5,2-203,120.00,no", "o5,2-203,120.00,yes")),
        "roll.csv", 6, "voted owner number 5, but ballots.csv has only 4 ballots"),
    "a weight that is no voted owner's area": (
        dict(ballots=change(BALLOTS, "b4,89.50", "b4,120.00")),
        "ballots.csv", 5, "weighs 120.00 m²"),
    "a weight used twice where one owner has it": (
        dict(ballots=change(BALLOTS, "b2,270.00", "b2,89.50")),
        "ballots.csv", 5, "weighs 89.50 m²"),
    "an unknown choice": (dict(ballots=change(BALLOTS, "agree", "agreed")),
                          "ballots.csv", 2, "“agreed” in m1 is not a choice"),
    "an empty decision": (dict(ballots=change(BALLOTS, "abstain", "")),
                          "ballots.csv", 5, "“” in m1 is not a choice"),
    "an unknown option": (dict(ballots=change(BALLOTS, "1;3", "1;4")),
                          "ballots.csv", 4, "m3 chooses an option matter 3 does not have"),
    "option not a number": (dict(ballots=change(BALLOTS, "1;3", "1;张伟")),
                            "ballots.csv", 4, "is not a list of option numbers"),
    "more options than seats": (dict(ballots=change(BALLOTS, "1;3", "1;2;3")),
                                "ballots.csv", 4, "m3 chooses more options than matter 3"),
    "an option twice": (dict(ballots=change(BALLOTS, "1;3", "3;3")),
                        "ballots.csv", 4, "m3 chooses one option twice"),
    "two options in a single-choice poll": (dict(ballots=change(BALLOTS, "1;2,2", "1;2,1;2")),
                                            "ballots.csv", 2, "m4 chooses more options"),
    "a household on two owners": (dict(roll=change(R, "o4,2-202", "o4,1-102")),
                                  "roll.csv", 5, "household 1-102 is also on line 2"),
    "an owner twice": (dict(roll=change(R, "o4,", "o2,")), "roll.csv", 5,
                       "owner o2 is listed twice (first on line 3)"),
    "a ballot twice": (dict(ballots=change(BALLOTS, "b4,", "b1,")), "ballots.csv", 5,
                       "ballot b1 is listed twice (first on line 2)"),
    "a bad area in the roll": (dict(roll=change(R, "89.50,yes", "89.505,yes")), "roll.csv", 3,
                               "area_m2 “89.505” is not an area"),
    "a negative weight": (dict(ballots=change(BALLOTS, "b1,89.50", "b1,-89.50")),
                          "ballots.csv", 2, "area_m2 “-89.50” is not an area"),
    "an empty area": (dict(roll=change(R, "o5,2-203,120.00", "o5,2-203,")), "roll.csv", 6,
                      "area_m2 “” is not an area"),
    "a missing column": (dict(roll=R.replace(",voted", "").replace(",yes", "").replace(
        ",no", "")), "roll.csv", 1, "the column voted is missing"),
    "an extra column": (dict(matters=change(MATTERS, "candidates", "candidates,note")),
                        "matters.csv", 1, "found “note” too many or out of place"),
    "columns out of order": (dict(roll=change(R, "owner,households", "households,owner")),
                             "roll.csv", 1, "in this order"),
    "a matter's column missing": (dict(ballots=BALLOTS.replace(",m4", "", 1)),
                                  "ballots.csv", 1, "the column m4 for matter 4 is missing"),
    "a ballot column for no matter": (dict(matters=MATTERS.replace("4,poll,,,Tuesday;Saturday\n",
                                                                   "")),
                                      "ballots.csv", 1, "found “m4” too many"),
    "item 0": (dict(matters=change(MATTERS, "1,decision,4", "1,decision,0")), "matters.csv", 2,
               "item must be a whole number from 1 up"),
    "item 10": (dict(matters=change(MATTERS, "2,decision,6", "2,decision,10")), "matters.csv",
                3, "item must be an art. 278 item from 1 to 9"),
    "an election not of item 3": (dict(matters=change(MATTERS, "election,3", "election,4")),
                                  "matters.csv", 4, "(3 for an election)"),
    "a poll with an item": (dict(matters=change(MATTERS, "poll,,", "poll,5,")), "matters.csv",
                            5, "a poll has no art. 278 item"),
    "an unknown kind": (dict(matters=change(MATTERS, "4,poll", "4,survey")), "matters.csv", 5,
                        "kind must be decision, election or poll"),
    "an election without seats": (dict(matters=change(MATTERS, "3,2,张伟", "3,,张伟")),
                                  "matters.csv", 4, "seats is how many"),
    "more seats than candidates": (dict(matters=change(MATTERS, "3,2,张伟", "3,4,张伟")),
                                   "matters.csv", 4, "at most the 3 candidates"),
    "a decision with candidates": (dict(matters=change(MATTERS, "1,decision,4,,",
                                                       "1,decision,4,,甲;乙")),
                                   "matters.csv", 2, "a decision has no candidates"),
    "matters out of order": (dict(matters=change(MATTERS, "2,decision", "3,decision")),
                             "matters.csv", 3, "this one should be 2, not 3"),
    "no matters": (dict(matters="matter,kind,item,seats,candidates\n"), "matters.csv", 2,
                   "there are no matters"),
    "voted neither yes nor no": (dict(roll=change(R, "89.50,yes", "89.50,Y")), "roll.csv", 3,
                                 "voted must be yes or no, not “Y”"),
    "an unknown channel": (dict(ballots=change(BALLOTS, "online", "email")), "ballots.csv", 2,
                           "channel must be online, assisted, paper or on-site"),
    "a short row": (dict(ballots=change(BALLOTS, "b4,89.50,on-site,abstain,agree,,2",
                                        "b4,89.50,on-site,abstain,agree,")), "ballots.csv", 5,
                    "6 cells, but the header has 7 columns"),
    "an empty household key": (dict(roll=change(R, "1-101;1-102", "1-101;;1-102")),
                               "roll.csv", 2, "households has an empty entry"),
}


@pytest.mark.parametrize(("files", "file", "line", "words"), REFUSED.values(), ids=REFUSED)
def test_files_that_disagree_are_refused_with_the_file_and_line(tmp_path, files, file, line,
                                                                  words):
    with pytest.raises(RecountRefused) as refused:
        read_files(folder(tmp_path, **files))
    assert (refused.value.file, refused.value.line) == (file, line)
    assert words in str(refused.value)
    assert str(refused.value).startswith(f"{file}, line {line}: ")


def test_a_line_of_a_quoted_cell_over_two_lines_is_where_the_row_starts(tmp_path):
    ballots = change(BALLOTS, "b3,360.00,assisted", 'b3,360.00,"assi\nsted"')
    with pytest.raises(RecountRefused) as refused:
        read_files(folder(tmp_path, ballots=ballots))
    assert refused.value.line == 4
    ballots = change(ballots, "b4,89.50,on-site,abstain", "b4,89.50,on-site,abstained")
    with pytest.raises(RecountRefused) as refused:
        read_files(folder(tmp_path, ballots=change(ballots, '"assi\nsted"', '"a,\nb"')))
    assert refused.value.line == 4  # the first problem, on the row that starts on line 4


def test_a_file_that_is_not_utf8_is_refused_at_its_line(tmp_path):
    directory = folder(tmp_path)
    (directory / "matters.csv").write_bytes(MATTERS.encode("gbk"))
    with pytest.raises(RecountRefused) as refused:
        read_files(directory)
    assert (refused.value.file, refused.value.line) == ("matters.csv", 4)
    assert "not UTF-8" in str(refused.value)


def test_a_missing_file_is_named(tmp_path):
    directory = folder(tmp_path)
    (directory / "ballots.csv").unlink()
    with pytest.raises(RecountRefused, match="ballots.csv is missing"):
        read_files(directory)


def test_a_refusal_is_told_in_the_readers_language(tmp_path):
    with pytest.raises(RecountRefused) as refused:
        read_files(folder(tmp_path, ballots=change(BALLOTS, "b4,", "b1,")))
    _ = tr("zh_CN", dt.UTC)
    assert _(refused.value.message, **refused.value.params) == \
        "ballots.csv 第 5 行：选票 b1 重复出现（第一次在第 2 行）。"


# --- the CLI ---------------------------------------------------------------------------------

def test_the_cli_prints_the_table_in_the_readers_language(tmp_path, capsys):
    assert main(["votes", "recount", str(folder(tmp_path)), "--language", "en"]) == 0
    out = capsys.readouterr().out
    assert "Matter 1: art. 278 item 4 — not passed" in out
    assert "Matter 3: election (art. 278 item 3), 2 to elect — elected: 张伟" in out
    voted = next(line for line in out.splitlines() if line.startswith("Voted"))
    assert voted.split() == ["Voted", "4", "80.00%", "✓", "809.00", "87.08%", "✓", "≥", "2/3"]
    assert main(["votes", "recount", str(tmp_path), "--language", "zh_CN"]) == 0
    assert "第 3 项：选举（民法典第二百七十八条第 3 项），应选 2 名——当选：张伟" in \
        capsys.readouterr().out


def test_the_cli_prints_one_json_object(tmp_path, capsys):
    directory = folder(tmp_path)
    assert main(["votes", "recount", str(directory), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == result_json(tally(*read_files(directory)))
    assert printed["matters"][0]["passed"] is False


def test_the_cli_refuses_files_that_disagree_with_the_line_and_exit_1(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("LINLI_DEFAULT_LANGUAGE", "en")
    directory = folder(tmp_path, ballots=change(BALLOTS, "b4,89.50", "b4,120.00"))
    assert main(["votes", "recount", str(directory), "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("linli: ballots.csv, line 5: the ballot weighs 120.00 m²")


def test_the_cli_says_when_the_folder_is_not_one(tmp_path, capsys):
    assert main(["votes", "recount", str(tmp_path / "nowhere"), "--language", "en"]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_the_recount_help_explains_the_format(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["votes", "recount", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(words in out for words in ("matters.csv", "roll.csv", "ballots.csv", "--json",
                                          "README.md"))
