"""Result charts of owners' votes, as PNG (matplotlib, drawn off-screen with the Agg backend):
per matter, the share of owners and of area that took part, agreed, disagreed and abstained
(an election: each candidate's share of those taking part), owners and area side by side,
with the thresholds art. 278 sets drawn across their bars (2/3 of all owners and area to take
part; more than half, or 3/4 for items 6–8, of those taking part to agree; more than half for
a candidate). matplotlib rather than drawing bars by hand with Pillow: axes, ticks, legends
and text layout come with it, and it is the library people read charts from.

Chinese needs a CJK font: the same one the posters use (bot/posters.py); without one the
chart still draws, Chinese characters shown as boxes, never failing.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only (before pyplot is imported)

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.posters import cjk_font_path  # noqa: E402

OWNERS_COLOUR, AREA_COLOUR, LINE_COLOUR = "#3b7dd8", "#f0a030", "#c0392b"


@dataclass(frozen=True)
class MatterBars:
    """One matter's shares (fractions of 1): took part (of all), agree / disagree / abstain
    (of those taking part), each by owners and by area; the thresholds."""

    title: str
    took_part: tuple[Fraction, Fraction]
    agree: tuple[Fraction, Fraction]
    disagree: tuple[Fraction, Fraction]
    abstain: tuple[Fraction, Fraction]
    quorum: Fraction
    majority: Fraction
    outcome: str


@dataclass(frozen=True)
class CandidateBars:
    """An election's candidates: each one's share of the owners and of the area taking part
    (fractions of 1), the majority a candidate needs, and who was elected."""

    title: str
    names: tuple[str, ...]
    owners: tuple[Fraction, ...]
    area: tuple[Fraction, ...]
    elected: tuple[bool, ...]
    majority: Fraction
    outcome: str


@dataclass(frozen=True)
class Labels:
    """The chart's words, in the reader's language."""

    took_part: str
    agree: str
    disagree: str
    abstain: str
    owners: str
    area: str
    threshold: str


def _family() -> list[str]:
    path = cjk_font_path()
    if path is None:
        return ["DejaVu Sans"]
    font_manager.fontManager.addfont(path)
    return [font_manager.FontProperties(fname=path).get_name(), "DejaVu Sans"]


def result_png(title: str, matters: Sequence[MatterBars | CandidateBars],
               labels: Labels) -> bytes:
    """The chart as owners get it: `result_figure`, as a PNG."""
    figure = result_figure(title, matters, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the font lacks: a box, not an error
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def result_figure(title: str, matters: Sequence[MatterBars | CandidateBars],
                  labels: Labels) -> Figure:
    """The chart: one panel per matter, bars in percent, thresholds as dashed lines (an
    election: one pair of bars per candidate, the elected ones' names marked ✓). A figure,
    not yet a picture, so that what it draws can be read back (tests/test_votes_chart.py)."""
    rows = max(1, len(matters))
    figure = Figure(figsize=(8, 2.6 * rows + 0.8), dpi=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the font lacks: a box, not an error
        family = _family()
        figure.suptitle(title, fontsize=14, family=family)
        for n, matter in enumerate(matters):
            axes = figure.add_subplot(rows, 1, n + 1)
            if isinstance(matter, CandidateBars):
                _candidates(axes, matter, labels, family)
            else:
                _decision(axes, matter, labels, family)
            axes.set_ylim(0, 105)
            axes.set_ylabel("%")
            axes.set_title(f"{matter.title} — {matter.outcome}", fontsize=11, family=family)
            axes.legend(loc="upper right", fontsize=8, prop={"family": family, "size": 8})
        figure.tight_layout()
    return figure


def _pairs(axes: Any, shares: Sequence[tuple[Fraction, Fraction]], labels: Labels) -> None:
    xs = range(len(shares))
    width = 0.38
    axes.bar([x - width / 2 for x in xs], [float(s[0]) * 100 for s in shares], width,
             color=OWNERS_COLOUR, label=labels.owners)
    axes.bar([x + width / 2 for x in xs], [float(s[1]) * 100 for s in shares], width,
             color=AREA_COLOUR, label=labels.area)


def _decision(axes: Any, matter: MatterBars, labels: Labels, family: list[str]) -> None:
    groups = (labels.took_part, labels.agree, labels.disagree, labels.abstain)
    _pairs(axes, (matter.took_part, matter.agree, matter.disagree, matter.abstain), labels)
    for x, bar in ((0, matter.quorum), (1, matter.majority)):
        axes.hlines(float(bar) * 100, x - 0.45, x + 0.45, colors=LINE_COLOUR,
                    linestyles="dashed", label=labels.threshold if x == 0 else None)
    axes.set_xticks(list(range(len(groups))), groups, family=family)


def _candidates(axes: Any, matter: CandidateBars, labels: Labels, family: list[str]) -> None:
    _pairs(axes, list(zip(matter.owners, matter.area, strict=True)), labels)
    count = len(matter.names)
    axes.hlines(float(matter.majority) * 100, -0.5, count - 0.5, colors=LINE_COLOUR,
                linestyles="dashed", label=labels.threshold)
    names = [("✓ " if elected else "") + name
             for name, elected in zip(matter.names, matter.elected, strict=True)]
    axes.set_xticks(list(range(count)), names, family=family)
