"""Result charts of owners' votes and resident polls, as PNG (matplotlib, drawn off-screen
with the Agg backend): per matter, the share of owners and of area that took part, agreed,
disagreed and abstained (an election: each candidate's share of those taking part), owners
and area side by side, with the thresholds art. 278 sets drawn across their bars (2/3 of all
owners and area to take part; more than half, or 3/4 for items 6–8, of those taking part to
agree; more than half for a candidate); a resident poll: a bar per option, its share of those
who answered, and the turnout against the poll's minimum where it has one. matplotlib rather
than drawing bars by hand with Pillow: axes, ticks, legends and text layout come with it, and
it is the library people read charts from.

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
class OptionBars:
    """A poll's options: each one's share of those who answered (fractions of 1; several
    options may be chosen, so they can add up to more than 1), and the turnout with the
    minimum it needs (None: none); the words of its bars, in the reader's language."""

    title: str
    names: tuple[str, ...]
    shares: tuple[Fraction, ...]
    counts: tuple[int, ...]  # how many chose each option (written above its bar)
    turnout: Fraction
    minimum: Fraction | None
    outcome: str
    answered: str  # the bars' legend: "share of those who answered"
    took_part: str  # the turnout bar's label


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


Panel = MatterBars | CandidateBars | OptionBars


def result_png(title: str, matters: Sequence[Panel], labels: Labels | None = None) -> bytes:
    """The chart as owners get it: `result_figure`, as a PNG."""
    figure = result_figure(title, matters, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the font lacks: a box, not an error
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def result_figure(title: str, matters: Sequence[Panel], labels: Labels | None = None
                  ) -> Figure:
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
            if isinstance(matter, OptionBars):
                _options(axes, matter, family)
            elif labels is None:
                raise ValueError("a vote's chart needs its labels")
            elif isinstance(matter, CandidateBars):
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


def _options(axes: Any, matter: OptionBars, family: list[str]) -> None:
    """A bar per option (its share of those who answered), then the turnout's bar with the
    minimum it needs as a dashed line, where the poll has one."""
    count = len(matter.names)
    drawn = axes.bar(list(range(count)), [float(s) * 100 for s in matter.shares], 0.6,
                     color=OWNERS_COLOUR, label=matter.answered)
    axes.bar_label(drawn, labels=[f"{n} · {round(s * 100)}%"
                                  for n, s in zip(matter.counts, matter.shares, strict=True)],
                   fontsize=9, padding=2)
    names = [f"{n}. {name}" for n, name in enumerate(matter.names, start=1)]
    if matter.minimum is not None:
        axes.bar([count], [float(matter.turnout) * 100], 0.6, color=AREA_COLOUR,
                 label=matter.took_part)
        axes.hlines(float(matter.minimum) * 100, count - 0.45, count + 0.45,
                    colors=LINE_COLOUR, linestyles="dashed")
        names.append(matter.took_part)
    axes.set_xticks(list(range(len(names))), names, family=family)
