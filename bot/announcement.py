"""The printable announcement of an owners' vote (业主大会表决公告): an A4 PDF to post in the
estate and send to the residents' committee, one page in Chinese and one in English, with
what is decided, when voting opens and closes (in the community's zone), what passing needs,
and a QR code that opens the vote in the bot.

matplotlib writes the PDF (it is already how linli draws charts, and it embeds the fonts);
Chinese needs a CJK font, the same one the posters and charts use (bot/posters.py). Without
one the English page is still right and the Chinese page shows boxes, never failing.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # files only, no display (before anything imports pyplot)

import qrcode  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from bot.i18n import Translator, tr  # noqa: E402
from bot.posters import cjk_font_path  # noqa: E402
from models.votes.core import ITEM_NAMES, estate_of_vote, matters_of  # noqa: E402
from models.votes.tables import Vote  # noqa: E402
from models.votes.tally import SPECIAL_ITEMS  # noqa: E402

A4 = (8.27, 11.69)  # inches
LANGUAGES = ("zh_CN", "en")


@dataclass(frozen=True)
class Matter:
    number: int
    item: int
    title: str
    title_en: str | None
    item_name: str  # the art. 278 item's words, untranslated (an N_ id)
    special: bool  # items 6–8: three quarters to pass
    seats: int | None = None  # an election: how many it elects, of `candidates`
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Announced:
    """What the announcement says, in data: the vote, its estate, its matters and dates."""

    vote_id: int
    title: str
    title_en: str | None
    estate: str
    estate_en: str | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    announced_at: dt.datetime
    matters: Sequence[Matter]
    link: str  # the deep link that opens the vote in the bot


def font_family() -> str | None:
    """matplotlib's name for the CJK font (registered with it), or None without one: what
    every printable page of linli sets its text in (this one, the printable ballots)."""
    path = cjk_font_path()
    if path is None:
        return None
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


def qr_image(link: str):  # type: ignore[no-untyped-def]
    """The QR code of `link`, as a greyscale image to draw on a page."""
    image = qrcode.make(link, box_size=6, border=2).get_image().convert("L")
    return image


def families(family: str | None) -> list[str] | str:
    """The font list a page's text is set in: the CJK font first, where there is one."""
    return [family, "DejaVu Sans"] if family else "DejaVu Sans"


def _lines(_: Translator, vote: Announced) -> list[tuple[str, float, bool]]:
    """(text, font size, heading) per line of one page, wrapped for A4."""
    english = _.language == "en"
    title = (vote.title_en or vote.title) if english else vote.title
    estate = (vote.estate_en or vote.estate) if english else vote.estate
    paragraphs: list[tuple[str, float, bool]] = [
        (_("Announcement of an owners' vote"), 20, True), (title, 16, True), ("", 8, False),
        (_("Estate: {estate}", estate=estate), 11, False),
        (_("Voting opens {opens} and closes {closes} ({zone}).", opens=_.when(vote.opens_at),
           closes=_.deadline(vote.closes_at), zone=_.zone()), 11, False),
        ("", 6, False), (_("Matters to decide:"), 12, True)]
    for matter in vote.matters:
        name = (matter.title_en or matter.title) if english else matter.title
        needs = (_("passes with three quarters of the participating owners and area")
                 if matter.special else
                 _("passes with more than half of the participating owners and area"))
        if matter.candidates:
            needs = _("elects {seats} of the candidates {names}, each needing more than half "
                      "of the participating owners and area", seats=matter.seats or 1,
                      names="、".join(matter.candidates))
        paragraphs.append((_("{number}. {title} (art. 278 item {item}: {item_name}); {needs}.",
                             number=matter.number, title=name, item=matter.item,
                             item_name=_(matter.item_name), needs=needs), 11, False))
    paragraphs += [
        ("", 6, False),
        (_("The vote counts only if owners holding at least two thirds of the exclusive area "
           "and at least two thirds of all owners take part (Civil Code art. 278). Each "
           "exclusive unit is one owner; one buyer of several units counts once; the "
           "developer's unsold units count together as one. Abstaining is taking part."),
         10, False), ("", 6, False),
        (_("How to vote: open the bot in Telegram with the QR code, or the link below, and "
           "press its Vote button. Owners who cannot vote in the chat can ask the owners' "
           "committee or the community office for help."), 10, False),
        (vote.link, 9, False), ("", 6, False),
        (_("Announced on {day}.", day=_.day(vote.announced_at)), 10, False)]
    out = []
    for text, size, heading in paragraphs:
        # characters per line at this size: a Chinese character is about as wide as it is
        # high, a Latin one about half that
        width = int(440 / size * (1.9 if english else 1.0))
        out += [(line, size, heading) for line in textwrap.wrap(text, width)] or [("", size,
                                                                                    heading)]
    return out


def page(vote: Announced, language: str, tz: dt.tzinfo) -> Figure:
    """One A4 page of the announcement, in `language`."""
    family = font_family()
    _ = tr(language, tz)
    figure = Figure(figsize=A4)
    y = 0.94
    for text, size, bold in _lines(_, vote):
        if text:
            # (the CJK font has no bold face: headings are set larger and darker)
            figure.text(0.08, y, text, fontsize=size, va="top",
                        color="black" if bold else "#222222",
                        family=families(family))
        y -= size / A4[1] / 72 * 1.6
    axes = figure.add_axes((0.66, 0.03, 0.26, 0.26 * A4[0] / A4[1]))
    axes.imshow(qr_image(vote.link), cmap="gray")
    axes.set_axis_off()
    return figure


def announcement_pdf(vote: Announced, tz: dt.tzinfo) -> bytes:
    """The two-page A4 PDF (Chinese, then English)."""
    buffer = io.BytesIO()
    metadata = {"Title": vote.title, "Subject": vote.title_en or vote.title,
                "Creator": "linli"}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for language in LANGUAGES:
            pdf.savefig(page(vote, language, tz))
    return buffer.getvalue()


async def announced(session: AsyncSession, vote: Vote, link: str) -> Announced:
    """The announcement's data for a vote, from the database."""
    estate = await estate_of_vote(session, vote)
    assert vote.opens_at is not None and vote.closes_at is not None
    matters = [Matter(m.number, m.item or 9, m.title, m.title_en, ITEM_NAMES[m.item or 9],
                      (m.item or 0) in SPECIAL_ITEMS, m.seats, tuple(m.options or ()))
               for m in await matters_of(session, vote.id)]
    return Announced(vote.id, vote.title, vote.title_en, estate.name, estate.name_en,
                     vote.opens_at, vote.closes_at, vote.announced_at or vote.created_at,
                     matters, link)
