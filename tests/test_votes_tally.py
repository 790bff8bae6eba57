"""The art. 278 tally, exactly (#14, #15): the double quorum ("以上" includes the bound), the
majorities ("过半数" excludes exactly half, items 6–8 need 3/4 inclusive), headcount by owner,
elections with a tie at the last seat, and polls. Pure Python: no database, no Telegram."""

from __future__ import annotations

from fractions import Fraction

import pytest

from models.votes.headcount import DEVELOPER, Household, owners_of
from models.votes.tally import (
    SPECIAL_ITEMS,
    BadArea,
    BadBallot,
    BadMatter,
    Ballot,
    Choice,
    Matter,
    MatterKind,
    RollOwner,
    area_from_text,
    area_text,
    tally,
)

A, D, X = Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN


def roll(*areas: int, voted: int) -> list[RollOwner]:
    """Owners o1, o2 … with these areas (0.01 m²); the first `voted` of them voted."""
    return [RollOwner(f"o{i}", (f"h{i}",), area, i <= voted)
            for i, area in enumerate(areas, start=1)]


def ballots(*pairs: tuple[int, Choice | tuple[int, ...]], matter: int = 1) -> list[Ballot]:
    """One ballot per (area, choice) on one matter."""
    return [Ballot(f"b{i}", area, "online", {matter: choice})
            for i, (area, choice) in enumerate(pairs, start=1)]


def decide(item: int, owners: list[RollOwner], cast: list[Ballot]):
    [result] = tally([Matter(1, MatterKind.DECISION, item)], owners, cast)
    return result


# --- areas ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "area"), [("89.50", 8950), ("89.5", 8950), ("89", 8900),
                                            ("0", 0), ("0.01", 1), ("120000.00", 12000000)])
def test_areas_are_read_as_hundredths_of_a_square_metre(text, area):
    assert area_from_text(text) == area
    assert area_from_text(area_text(area)) == area


def test_areas_are_written_with_two_decimals_exactly():
    assert [area_text(a) for a in (8950, 8900, 1, 0)] == ["89.50", "89.00", "0.01", "0.00"]


@pytest.mark.parametrize("text", ["", "-1", "89.505", "1e3", "NaN", "inf", " 89", "89.",
                                  ".5", "８９", "89,50", "+89"])
def test_anything_but_a_plain_area_is_refused(text):
    with pytest.raises(BadArea) as refused:
        area_from_text(text)
    assert refused.value.params == {"text": text}


# --- participation: 以上 includes the bound -------------------------------------------------

def test_exactly_two_thirds_of_owners_and_area_meets_the_quorum():
    result = decide(1, roll(100, 100, 100, voted=2), ballots((100, A), (100, A)))
    assert (result.owners_voted, result.owners_total) == (2, 3)
    assert (result.area_voted, result.area_total) == (200, 300)
    assert result.quorum is True and result.passed is True
    assert result.owners_share_of_needed == result.area_share_of_needed == 1


def test_one_hundredth_of_a_square_metre_under_two_thirds_misses_the_quorum():
    # 3 owners, 2 voted (2/3 of owners), but 19999 of 30000 hundredths is just under 2/3
    result = decide(1, roll(10001, 10000, 9999, voted=2), ballots((10000, A), (9999, A)))
    assert result.quorum_owners.met and not result.quorum_area.met
    assert result.quorum is False and result.passed is False
    assert result.area_share_of_needed == Fraction(19999, 20000)


def test_one_owner_under_two_thirds_misses_the_quorum_whatever_the_area():
    # 2 of 4 owners hold 90% of the area: area enough, headcount not
    result = decide(1, roll(4500, 4500, 500, 500, voted=2), ballots((4500, A), (4500, A)))
    assert result.quorum_area.met and not result.quorum_owners.met
    assert result.quorum is False and result.passed is False
    assert result.owners_share_of_needed == Fraction(3, 4)  # "owners 75% of the 2/3 needed"


def test_the_share_of_the_needed_reads_as_the_bot_says_it():
    # 61 of 150 owners voted: 61/150 of all owners is 61% of the 2/3 (100 owners) needed
    owners = roll(*[100] * 150, voted=61)
    result = decide(1, owners, ballots(*[(100, A)] * 61))
    assert result.quorum_owners.share == Fraction(61, 150)
    assert result.owners_share_of_needed == Fraction(61, 100)
    assert result.quorum_needed == Fraction(2, 3)


# --- majorities: 过半数 excludes exactly half --------------------------------------------------

def test_exactly_half_agreeing_is_not_a_majority():
    result = decide(1, roll(100, 100, 100, 100, voted=4),
                    ballots((100, A), (100, A), (100, D), (100, D)))
    assert result.quorum is True
    assert result.majority_owners.share == result.majority_area.share == Fraction(1, 2)
    assert result.passed is False
    assert result.agree_owners_share_of_needed == 1  # at the bar, which is not enough


def test_one_more_than_half_is_a_majority():
    result = decide(1, roll(100, 100, 100, voted=3), ballots((100, A), (100, A), (100, D)))
    assert result.passed is True and result.majority_needed == Fraction(1, 2)


@pytest.mark.parametrize("item", sorted(SPECIAL_ITEMS))
def test_exactly_three_quarters_passes_items_6_to_8(item):
    result = decide(item, roll(*[100] * 4, voted=4),
                    ballots((100, A), (100, A), (100, A), (100, D)))
    assert result.majority_needed == Fraction(3, 4)
    assert result.passed is True


@pytest.mark.parametrize("item", sorted(SPECIAL_ITEMS))
def test_just_under_three_quarters_of_the_area_fails_items_6_to_8(item):
    # 3 of 4 owners agree, but with 29999 of 40000 hundredths: just under 3/4 of the area
    result = decide(item, roll(10000, 10000, 9999, 10001, voted=4),
                    ballots((10000, A), (10000, A), (9999, A), (10001, D)))
    assert result.majority_owners.met and not result.majority_area.met
    assert result.passed is False


def test_two_thirds_agreeing_passes_an_ordinary_item_but_not_item_6():
    owners, cast = roll(100, 100, 100, voted=3), ballots((100, A), (100, A), (100, D))
    assert decide(4, owners, cast).passed is True
    assert decide(6, owners, cast).passed is False


def test_an_area_majority_without_the_headcount_fails():
    # one big owner agrees (80% of the area), two small ones disagree
    result = decide(1, roll(800, 100, 100, voted=3), ballots((800, A), (100, D), (100, D)))
    assert result.majority_area.met and not result.majority_owners.met
    assert result.passed is False


def test_a_headcount_majority_without_the_area_fails():
    result = decide(1, roll(800, 100, 100, voted=3), ballots((800, D), (100, A), (100, A)))
    assert result.majority_owners.met and not result.majority_area.met
    assert result.passed is False


def test_abstentions_participate_and_count_against_a_majority():
    # 2 agree, 2 abstain: abstainers take part (the quorum is met only with them) and make
    # the 2 agreeing exactly half of the participants, which is not a majority
    result = decide(1, roll(*[100] * 5, voted=4),
                    ballots((100, A), (100, A), (100, X), (100, X)))
    assert result.quorum is True
    assert (result.abstain.owners, result.abstain.area) == (2, 200)
    assert result.passed is False


def test_without_the_quorum_nothing_is_decided_even_when_all_agree():
    result = decide(1, roll(100, 100, 100, voted=1), ballots((100, A)))
    assert result.majority_owners.met and result.majority_area.met
    assert (result.quorum, result.passed) == (False, False)


def test_each_matter_is_tallied_on_its_own():
    matters = [Matter(1, MatterKind.DECISION, 1), Matter(2, MatterKind.DECISION, 6)]
    cast = [Ballot(f"b{i}", 100, "online", {1: A, 2: A if i < 3 else D}) for i in range(4)]
    first, second = tally(matters, roll(*[100] * 4, voted=4), cast)
    assert (first.number, first.passed) == (1, True)
    assert (second.number, second.passed, second.agree.owners) == (2, True, 3)


# --- headcount (art. 9 of the interpretation) ------------------------------------------------

def test_an_owner_of_three_households_is_one_owner_with_the_areas_added():
    owners = owners_of([Household("3-101", 8950, "P-7"), Household("3-102", 9000, "P-7"),
                        Household("5-301", 12050, "P-7"), Household("5-302", 9000)])
    assert len(owners) == 2
    buyer = next(o for o in owners if o.households == ("3-101", "3-102", "5-301"))
    assert buyer.area == 30000
    # that owner's one ballot carries all three households' area
    result = decide(1, [o if o is not buyer else RollOwner(o.key, o.households, o.area, True)
                        for o in owners], ballots((30000, A)))
    assert (result.owners_voted, result.owners_total) == (1, 2)
    assert (result.area_voted, result.area_total) == (30000, 39000)


def test_co_owners_of_a_household_are_one_owner_and_cast_one_ballot():
    # two co-owners of 101 are one household: one owner on the roll, one ballot for both
    owners = owners_of([Household("101", 10000, voted=True), Household("102", 5000)])
    assert [o.households for o in owners] == [("101",), ("102",)]
    result = decide(1, owners, ballots((10000, A)))
    assert (result.owners_voted, result.owners_total, result.agree.owners) == (1, 2, 1)


def test_the_developers_units_are_together_one_owner():
    owners = owners_of([Household("1-101", 9000, developer=True),
                        Household("1-102", 9000, "P-1", developer=True),
                        Household("2-201", 9000, developer=True),
                        Household("2-202", 9000, "P-2")])
    assert len(owners) == 2
    developer = next(o for o in owners if o.key == DEVELOPER)
    assert (developer.households, developer.area) == (("1-101", "1-102", "2-201"), 27000)


# --- elections (#15) -------------------------------------------------------------------------

ELECTION = Matter(1, MatterKind.ELECTION, 3, seats=2, options=("张伟", "李娜", "王强", "赵敏"))


def elect(owners: list[RollOwner], *pairs: tuple[int, tuple[int, ...]]):
    [result] = tally([ELECTION], owners, ballots(*pairs))
    return result


def test_the_candidates_with_a_majority_of_both_and_the_most_owners_are_elected():
    result = elect(roll(*[100] * 5, voted=5), (100, (1, 2)), (100, (1, 2)), (100, (1, 3)),
                   (100, (2, 3)), (100, ()))
    assert [(o.name, o.owners, o.area) for o in result.options] == [
        ("张伟", 3, 300), ("李娜", 3, 300), ("王强", 2, 200), ("赵敏", 0, 0)]
    assert result.elected == (1, 2) and result.tie_at_last_seat == ()
    assert (result.abstain.owners, result.passed) == (1, None)


def test_the_most_owners_fill_the_seats_and_area_breaks_a_tie_in_owners():
    # all three have more than half of both; 1 has the most owners, 2 and 3 have three
    # owners each and 3 has more area, so 1 and 3 are elected
    result = elect(roll(100, 100, 150, 100, 200, voted=5), (100, (1, 2)), (100, (1, 2)),
                   (150, (1, 3)), (100, (1, 3)), (200, (2, 3)))
    assert [(o.owners, o.area) for o in result.options[:3]] == [(4, 450), (3, 400), (3, 450)]
    assert result.elected == (1, 3) and result.tie_at_last_seat == ()


def test_a_tie_at_the_last_seat_is_reported_and_neither_is_elected():
    result = elect(roll(*[100] * 5, voted=5), (100, (1, 2)), (100, (1, 3)), (100, (1, 2)),
                   (100, (1, 3)), (100, (2, 3)))
    assert [o.owners for o in result.options] == [4, 3, 3, 0]
    assert result.elected == (1,)
    assert result.tie_at_last_seat == (2, 3)
    assert [o.elected for o in result.options] == [True, False, False, False]


def test_a_candidate_with_exactly_half_the_owners_is_not_elected():
    result = elect(roll(*[100] * 4, voted=4), (100, (1, 2)), (100, (1, 2)), (100, (1,)),
                   (100, (3,)))
    assert result.options[1].owners == 2 and not result.options[1].owners_bar.met
    assert result.elected == (1,)


def test_a_candidate_without_an_area_majority_is_not_elected():
    result = elect(roll(100, 100, 800, voted=3), (100, (1, 2)), (100, (1, 2)), (800, (1,)))
    assert result.options[1].owners_bar.met and not result.options[1].area_bar.met
    assert result.elected == (1,)


def test_an_election_without_the_quorum_elects_nobody():
    result = elect(roll(*[100] * 4, voted=2), (100, (1, 2)), (100, (1, 2)))
    assert result.quorum is False and result.elected == ()


# --- polls -----------------------------------------------------------------------------------

def test_a_poll_counts_owners_and_area_per_option_with_no_quorum_or_outcome():
    poll = Matter(1, MatterKind.POLL, None, options=("Tuesday", "Saturday"))
    [result] = tally([poll], roll(*[100] * 10, voted=3),
                     ballots((100, (1,)), (250, (2,)), (100, (2,))))
    assert [(o.owners, o.area, o.elected) for o in result.options] == [(1, 100, None),
                                                                        (2, 350, None)]
    assert (result.quorum, result.passed) == (None, None)


# --- what the tally refuses ------------------------------------------------------------------

@pytest.mark.parametrize(("choice", "problem"), [
    ((1, 2, 3), "more options"), ((5,), "does not have"), ((0,), "does not have"),
    ((2, 2), "twice"), (Choice.AGREE, "option numbers")])
def test_a_ballot_that_does_not_fit_an_election_is_refused(choice, problem):
    with pytest.raises(BadBallot) as refused:
        tally([ELECTION], roll(100, voted=1), ballots((100, choice)))
    assert problem in str(refused.value)
    assert refused.value.params == {"ballot": "b1", "matter": 1}


def test_a_ballot_without_a_choice_for_a_matter_is_refused():
    with pytest.raises(BadBallot, match="no choice for matter 2"):
        tally([Matter(1, MatterKind.DECISION, 1), Matter(2, MatterKind.DECISION, 1)],
              roll(100, voted=1), ballots((100, A)))


@pytest.mark.parametrize("matter", [Matter(1, MatterKind.DECISION, 10),
                                    Matter(1, MatterKind.DECISION, None),
                                    Matter(1, MatterKind.ELECTION, 3, options=("a",)),
                                    Matter(1, MatterKind.ELECTION, 3, seats=2, options=("a",)),
                                    Matter(1, MatterKind.POLL, None)])
def test_a_matter_that_cannot_be_tallied_is_refused(matter):
    with pytest.raises(BadMatter):
        tally([matter], roll(100, voted=0), [])


def test_nothing_in_the_count_uses_floats():
    import ast
    from pathlib import Path

    import models.votes as package

    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        source = ast.parse(path.read_text())
        floats = [n.lineno for n in ast.walk(source)
                  if isinstance(n, ast.Constant) and isinstance(n.value, float)
                  or isinstance(n, ast.Name) and n.id == "float"]
        assert not floats, f"{path.name}: floats on lines {floats}"
