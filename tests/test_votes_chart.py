"""The result chart draws what the count says: read back from the figure owners get as a PNG
(bot/charts.py), each panel's bars by owners and by area are the shares of the tally, the
dashed threshold lines sit at the 2/3 participation needs and at the majority the matter's
art. 278 item needs (more than half; 3/4 for items 6–8; more than half for a candidate), and
its words are the reader's language.

Six owners, 500 m²: four take part (exactly 2/3 of the owners, 350 m² = 70% of the area).
Matter 1 (item 4, hiring the property company): two agree (half the owners: not passed),
one disagrees, one abstains. Matter 2 (item 6, the maintenance fund): three of four agree,
exactly 3/4 (passed). Matter 3 elects two of three candidates: 张伟 by three owners, 李娜 by
two (half: not elected), 王强 by none."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.charts import result_figure, result_png
from bot.i18n import tr
from handlers.votes.following import bars, chart_labels
from models.votes import tally
from models.votes.tables import VoteMatter

M2 = 100  # 1 m² in the tally's hundredths
AREAS = {"A": 100, "B": 100, "C": 100, "D": 100, "E": 50, "F": 50}
BALLOTS = {  # owner → matter 1, matter 2, the candidates ticked in matter 3
    "A": ("agree", "agree", (1, 2)),
    "B": ("agree", "agree", (1, 2)),
    "C": ("disagree", "agree", (1,)),
    "E": ("abstain", "disagree", ()),
}
CANDIDATES = ("张伟", "李娜", "王强")
WORDS = {  # the chart's words, as each reader reads them
    "en": {"groups": ["took part", "agree", "disagree", "abstain"],
           "legend": ["owners", "area", "needed"],
           "titles": ["1. Hire Green Leaf Property — not passed",
                      "2. Renew the maintenance fund — passed",
                      "3. 第三届业主委员会选举 — elected: 张伟"]},
    "zh_CN": {"groups": ["参与", "同意", "反对", "弃权"], "legend": ["人数", "面积", "所需"],
              "titles": ["1. 选聘绿叶物业 — 未通过", "2. 续筹维修资金 — 通过",
                         "3. 第三届业主委员会选举 — 当选：张伟"]},
}


def counted() -> tuple[list[VoteMatter], list[tally.MatterResult]]:
    """The three matters as the vote holds them, and the tally of the four ballots."""
    matters = [VoteMatter(number=1, kind="decision", item=4, title="选聘绿叶物业",
                          title_en="Hire Green Leaf Property", options=[]),
               VoteMatter(number=2, kind="decision", item=6, title="续筹维修资金",
                          title_en="Renew the maintenance fund", options=[]),
               VoteMatter(number=3, kind="election", item=3, title="第三届业主委员会选举",
                          seats=2, options=list(CANDIDATES))]
    counting = [tally.Matter(1, tally.MatterKind.DECISION, 4),
                tally.Matter(2, tally.MatterKind.DECISION, 6),
                tally.Matter(3, tally.MatterKind.ELECTION, 3, seats=2, options=CANDIDATES)]
    roll = [tally.RollOwner(key, (key,), area * M2, key in BALLOTS)
            for key, area in AREAS.items()]
    ballots = [tally.Ballot(key, AREAS[key] * M2, "online",
                            {1: tally.Choice(first), 2: tally.Choice(second), 3: ticked})
               for key, (first, second, ticked) in BALLOTS.items()]
    return matters, tally.tally(counting, roll, ballots)


def drawn(axes) -> dict:
    """What one panel shows: each series of bars (its legend label and heights in %), the
    dashed lines (height, from, to), the words under the bars, the legend, the title."""
    return {"bars": [(c.get_label(), [round(r.get_height(), 2) for r in c])
                     for c in axes.containers],
            "lines": [(round(y0, 2), round(x0, 2), round(x1, 2))
                      for lines in axes.collections
                      for (x0, y0), (x1, _y1) in lines.get_segments()],
            "groups": [t.get_text() for t in axes.get_xticklabels()],
            "legend": [t.get_text() for t in axes.get_legend().get_texts()],
            "title": axes.get_title()}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_chart_draws_the_tallys_shares_against_each_items_thresholds(language):
    _ = tr(language)
    matters, results = counted()
    figure = result_figure("2027年业主大会", bars(_, matters, results), chart_labels(_))
    assert figure.get_suptitle() == "2027年业主大会"
    first, second, election = (drawn(axes) for axes in figure.axes)
    words = WORDS[language]
    owners, area, needed = words["legend"]

    # took part: 4 of 6 owners, 350 of 500 m²; then each choice of those taking part
    assert first["bars"] == [(owners, [66.67, 50.0, 25.0, 25.0]),
                             (area, [70.0, 57.14, 28.57, 14.29])]
    assert second["bars"] == [(owners, [66.67, 75.0, 25.0, 0.0]),
                              (area, [70.0, 85.71, 14.29, 0.0])]
    # the lines: 2/3 across "took part"; across "agree" more than half (item 4), 3/4 (item 6)
    assert first["lines"] == [(66.67, -0.45, 0.45), (50.0, 0.55, 1.45)]
    assert second["lines"] == [(66.67, -0.45, 0.45), (75.0, 0.55, 1.45)]
    for panel, title in zip((first, second), words["titles"][:2], strict=True):
        assert panel["groups"] == words["groups"]
        assert set(panel["legend"]) == {owners, area, needed}
        assert panel["title"] == title

    # the election: each candidate's share of the owners and of the area taking part, one
    # line at half across them all, the elected one ticked
    assert election["bars"] == [(owners, [75.0, 50.0, 0.0]), (area, [85.71, 57.14, 0.0])]
    assert election["lines"] == [(50.0, -0.5, 2.5)]
    assert election["groups"] == ["✓ 张伟", "李娜", "王强"]
    assert set(election["legend"]) == {owners, area, needed}
    assert election["title"] == words["titles"][2]


def test_short_of_the_quorum_the_lines_still_show_what_was_needed():
    """Two of six owners took part: the bars stop short of the 2/3 line, and the panel says
    the matter was not decided."""
    _ = tr("en")
    matters, _results = counted()
    roll = [tally.RollOwner(key, (key,), area * M2, key in "AB") for key, area in AREAS.items()]
    ballots = [tally.Ballot(key, AREAS[key] * M2, "online", {1: tally.Choice.AGREE})
               for key in "AB"]
    results = tally.tally([tally.Matter(1, tally.MatterKind.DECISION, 4)], roll, ballots)
    [panel] = (drawn(axes) for axes in result_figure(
        "x", bars(_, matters[:1], results), chart_labels(_)).axes)
    assert panel["bars"] == [("owners", [33.33, 100.0, 0.0, 0.0]),
                             ("area", [40.0, 100.0, 0.0, 0.0])]
    assert panel["lines"] == [(66.67, -0.45, 0.45), (50.0, 0.55, 1.45)]
    assert panel["title"] == "1. Hire Green Leaf Property — not decided: quorum not met"


def test_owners_get_that_figure_as_a_png():
    _ = tr("zh_CN")
    matters, results = counted()
    drawn_bars, labels = bars(_, matters, results), chart_labels(_)
    figure = result_figure("2027年业主大会", drawn_bars, labels)
    picture = Image.open(io.BytesIO(result_png("2027年业主大会", drawn_bars, labels)))
    assert picture.format == "PNG"
    assert picture.size == (round(figure.get_figwidth() * figure.dpi),
                            round(figure.get_figheight() * figure.dpi))
