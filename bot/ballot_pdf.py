"""The printable ballots of an owners' vote (业主表决票) as one A4 PDF, a page per roll owner, in
Chinese and English on the same page: the vote and its dates, the owner (the names linli knows,
or a line to write one), their homes and areas, each matter with its art. 278 item and a box
per choice (an election: a box per candidate, and how many may be ticked), the rules that make
a ballot invalid, a line to sign, and a QR code — the deep link `t.me/<bot>?start=pb_<token>`
an authorised officer scans to enter the ballot — with its code printed under it, to type
where a camera fails.

Drawn like the announcement (bot/announcement.py: its CJK font and QR code), with matplotlib,
which embeds the fonts in the PDF. The data is models/votes/printing.py's.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Iterator

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.announcement import A4, families, font_family, qr_image
from bot.i18n import N_, tr
from models.votes.core import ITEM_NAMES
from models.votes.printing import LINK_PREFIX, Printable, PrintedMatter, PrintedOwner
from models.votes.secret import receipt_text
from models.votes.tally import SPECIAL_ITEMS, MatterKind, area_text

LEFT, RIGHT, TOP = 0.07, 0.93, 0.955
BOTTOM = 0.27  # below: the signature, the rules and the QR code
COLUMNS = 108  # columns of a line at 10 pt across the page (a Chinese character takes two)
CHOICES = (N_("Agree"), N_("Disagree"), N_("Abstain"))
Line = tuple[str, float, str]  # (text, size, kind: "text", "heading", "boxes:…", "rule")


def link(bot_username: str, token: str) -> str:
    """The QR code's deep link: opens the bot with the ballot's token."""
    return f"https://t.me/{bot_username}?start={LINK_PREFIX}{token}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` (a Chinese character is two), broken at a space where one is
    near, anywhere in Chinese text."""
    lines: list[str] = []
    line = ""
    for char in text:
        if _width(line + char) <= columns:
            line += char
            continue
        cut = line.rfind(" ")
        if cut > len(line) * 2 // 3:
            lines.append(line[:cut])
            line = line[cut + 1:] + char
        else:
            lines.append(line)
            line = char.lstrip()
    return [*lines, line] if line else lines or [""]


class Both:
    """A message in Chinese, then English ("业主签名： Owner's signature:"); a parameter given as
    a pair is its Chinese and its English value."""

    def __init__(self, tz: dt.tzinfo) -> None:
        self.zh, self.en = tr("zh_CN", tz), tr("en", tz)

    def __call__(self, message: str, /, **params: object) -> str:
        zh, en = (t(message, **{k: v[i] if isinstance(v, tuple) else v
                                for k, v in params.items()})
                  for i, t in enumerate((self.zh, self.en)))
        return zh if zh == en else f"{zh} {en}"


def _named(zh: str, en: str | None) -> str:
    return f"{zh} {en}" if en and en != zh else zh


def _matter(both: Both, m: PrintedMatter) -> Iterator[Line]:
    item = ITEM_NAMES.get(m.item or 0, "")
    yield (f"{m.number}. {_named(m.title, m.title_en)}", 11, "heading")
    yield (both(N_("Civil Code art. 278 item {item}: {name}"), item=m.item,
                name=(both.zh(item), both.en(item))), 8.5, "text")
    if m.kind == MatterKind.ELECTION:
        yield (both(N_("Elect {seats}: tick at most {seats} candidates (none ticked: you "
                       "abstain)."), seats=m.seats or 1), 9, "text")
        for n in range(0, len(m.options), 3):
            yield ("\t".join(f"{k}. {name}" for k, name in enumerate(
                m.options[n:n + 3], start=n + 1)), 10, "boxes")
        return
    needs = (N_("passes with at least three quarters of the participating owners and of "
                "their area") if (m.item or 0) in SPECIAL_ITEMS else
             N_("passes with more than half of the participating owners and of their area"))
    yield (both(needs), 8.5, "text")
    yield ("\t".join(both(c) for c in CHOICES), 10, "boxes")


def _lines(both: Both, vote: Printable, owner: PrintedOwner) -> list[Line]:
    """What one page says, top to bottom, before wrapping."""
    title = _named(vote.title, vote.title_en)
    lines: list[Line] = [
        (both(N_("Owners' ballot")) + (" · " + both(N_("secret ballot")) if vote.secret else ""),
         17, "heading"),
        (title, 13, "heading"),
        (both(N_("Estate: {estate}"), estate=(vote.estate, vote.estate_en or vote.estate)),
         10, "text")]
    if vote.opens_at is not None and vote.closes_at is not None:
        voting = N_("Voting from {opens} until {closes}")
        lines.append((" / ".join(t(voting, opens=t.day(vote.opens_at),
                                   closes=t.deadline(vote.closes_at))
                                 for t in (both.zh, both.en)), 9, "text"))
    names = "、".join(owner.names) if owner.names else "_" * 24
    lines += [("", 4, "text"), (both(N_("Owner:")) + " " + names, 11, "heading")]
    for home in owner.homes:
        area = area_text(home.area) if home.area is not None else "—"
        lines.append((f"{_named(home.name, home.name_en)} · {area} m²", 10, "text"))
    if len(owner.homes) > 1 and owner.area is not None:
        lines.append((both(N_("Exclusive area in all: {area} m²"), area=area_text(owner.area)),
                      10, "text"))
    lines += [("", 4, "rule"), ("", 4, "text")]
    for matter in vote.matters:
        lines += [*_matter(both, matter), ("", 5, "text")]
    return lines


def fitted(lines: list[Line]) -> tuple[list[Line], float]:
    """The lines wrapped to the page, and the scale that fits them above BOTTOM."""
    scale = 1.0
    while True:
        out = [(part, size * scale, kind) for text, size, kind in lines
               for part in (wrap(text, int(COLUMNS * 10 / (size * scale)))
                            if kind in ("text", "heading") else [text])]
        height = sum(step(size) for _text, size, _kind in out)
        if height <= TOP - BOTTOM or scale <= 0.55:
            return out, scale
        scale *= 0.92


def step(size: float) -> float:
    """A line's height in figure units."""
    return size / 72 / A4[1] * 1.5


def _box(figure: Figure, x: float, y: float, size: float) -> None:
    side = size * 0.85 / 72
    figure.add_artist(Rectangle((x, y - side / A4[1]), side / A4[0], side / A4[1],
                                transform=figure.transFigure, fill=False, linewidth=0.8))


def page(vote: Printable, owner: PrintedOwner, bot_username: str, tz: dt.tzinfo,
         both: Both | None = None, family: str | None = None) -> Figure:
    """One owner's ballot: an A4 page in Chinese and English."""
    both = both or Both(tz)
    fonts = families(family if family is not None else font_family())
    figure = Figure(figsize=A4)

    def text(x: float, y: float, line: str, size: float, **style: object) -> None:
        figure.text(x, y, line, fontsize=size, va="top", family=fonts, **style)

    lines, scale = fitted(_lines(both, vote, owner))
    y = TOP
    for line, size, kind in lines:
        if kind == "rule":
            figure.add_artist(Rectangle((LEFT, y - step(size) / 2), RIGHT - LEFT, 0.0008,
                                        transform=figure.transFigure, color="#555555"))
        elif kind == "boxes":
            for n, label in enumerate(line.split("\t")):
                x = LEFT + 0.02 + n * (RIGHT - LEFT) / 3
                _box(figure, x, y, size)
                text(x + size * 1.3 / 72 / A4[0], y, label, size)
        elif line:
            text(LEFT, y, line, size, color="black" if kind == "heading" else "#222222")
        y -= step(size)
    _foot(figure, text, both, vote, owner, bot_username)
    return figure


def _foot(figure: Figure, text: Callable[..., object], both: Both, vote: Printable,
          owner: PrintedOwner, bot_username: str) -> None:
    """The rules, the signature line and the QR code with its code."""
    rules = both.zh(RULES) + "\n" + both.en(RULES)
    y = BOTTOM - 0.005
    for line in [part for paragraph in rules.split("\n") for part in wrap(paragraph, 98)]:
        text(LEFT, y, line, 7.5, color="#333333")
        y -= step(7.5)
    y -= 0.012
    text(LEFT, y, both(N_("Owner's signature:")) + " " + "_" * 26, 11)
    text(LEFT, y - 0.035, both(N_("Date:")) + " " + "_" * 16, 11)
    if vote.secret:
        text(LEFT, y - 0.07, both(N_("Receipt code (given when the ballot is entered):")) + " "
             + "_" * 16, 9)
    axes = figure.add_axes((0.74, 0.035, 0.19, 0.19 * A4[0] / A4[1]))
    axes.imshow(qr_image(link(bot_username, owner.token)), cmap="gray")
    axes.set_axis_off()
    text(0.835, 0.03, both(N_("Ballot code")) + "\n" + receipt_text(owner.token), 7.5,
         ha="center", linespacing=1.4)


RULES = N_("Tick one box for each matter (an election: at most as many candidates as it "
           "elects). A matter with no box ticked, or with two or more on a decision, is "
           "invalid: the owner still takes part, and it counts as neither agreeing nor "
           "disagreeing. A ballot that is not signed is invalid and does not count as taking "
           "part. The first ballot recorded for an owner counts, in the chat or on paper.")


def ballots_pdf(vote: Printable, bot_username: str, tz: dt.tzinfo,
                progress: Callable[[int, int], None] | None = None) -> bytes:
    """Every owner's page, in order, as one PDF; `progress(done, total)` after each page."""
    buffer = io.BytesIO()
    both, family = Both(tz), font_family()
    metadata = {"Title": vote.title, "Subject": vote.title_en or vote.title, "Creator": "linli"}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for done, owner in enumerate(vote.owners, start=1):
            pdf.savefig(page(vote, owner, bot_username, tz, both, family))
            if progress is not None:
                progress(done, len(vote.owners))
    return buffer.getvalue()
