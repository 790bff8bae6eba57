"""A poll's chart draws what its count says (bot/charts.py, read back from the figure): a bar
per option at its share of those who answered, with how many chose it written above; where
the poll has a minimum turnout, a bar of the turnout with the minimum as a dashed line across
it; the words in the reader's language.

Four households, three answered, several options allowed: 洗车位 by all three, 充电桩 by two,
快递柜 by none; the minimum turnout is half."""

from __future__ import annotations

import pytest

from bot.charts import result_figure
from bot.i18n import tr
from handlers.polls.rendering import bars
from models.polls.core import matter_of
from models.polls.tables import Poll
from models.votes import tally
from tests.test_votes_chart import drawn

WORDS = {"en": ("share of those who answered", "took part",
                "Which should the old bike shed become? — minimum turnout reached"),
         "zh_CN": ("占作答者比例", "参与", "旧车棚改成什么？ — 达到最低参与率")}


def counted(minimum: int | None, question: str = "旧车棚改成什么？"
            ) -> tuple[Poll, tally.MatterResult]:
    poll = Poll(id=1, question=question, options=["洗车位", "充电桩", "快递柜"],
                unit="household", multiple=True, anonymous=False, min_turnout=minimum)
    roll = [tally.RollOwner(f"H{n}", (f"H{n}",), 0, n < 3) for n in range(4)]
    ballots = [tally.Ballot(f"A{n}", 0, "online", {1: chosen})
               for n, chosen in enumerate([(1, 2), (1, 2), (1,)])]
    return poll, tally.tally([matter_of(poll)], roll, ballots)[0]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_bar_per_option_and_the_turnout_against_its_minimum(language):
    _ = tr(language)
    poll, result = counted(50, "旧车棚改成什么？" if language == "zh_CN"
                           else "Which should the old bike shed become?")
    [axes] = result_figure("x", [bars(_, poll, result)]).axes
    panel = drawn(axes)
    answered, took_part, title = WORDS[language]
    assert panel["bars"] == [(answered, [100.0, 66.67, 0.0]), (took_part, [75.0])]
    assert panel["lines"] == [(50.0, 2.55, 3.45)]
    assert panel["groups"] == ["1. 洗车位", "2. 充电桩", "3. 快递柜", took_part]
    assert panel["title"] == title
    assert [t.get_text() for t in axes.texts] == ["3 · 100%", "2 · 67%", "0 · 0%"]


def test_without_a_minimum_only_the_options_are_drawn():
    _ = tr("zh_CN")
    poll, result = counted(None)
    [axes] = result_figure("x", [bars(_, poll, result)]).axes
    panel = drawn(axes)
    assert panel["bars"] == [("占作答者比例", [100.0, 66.67, 0.0])] and panel["lines"] == []
    assert panel["title"] == "旧车棚改成什么？ — 参与率：75%"
