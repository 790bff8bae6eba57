"""The results poster of a published vote (业主大会表决结果公告): an A4 PDF to put up in the
estate, a page in Chinese and one in English, with the vote's title and estate, each matter's
outcome with the owners and area behind it against its art. 278 thresholds (an election: each
candidate's, and who is elected), how many ballots came online, on paper and on site, the
turnout, the scrutineers who confirmed the count, and the QR code of the same deep link the
announcement carries (t.me/<bot>?start=vote_<id>).

Drawn with the announcement's font and QR code (bot/announcement.py) and the ballots' line
fitting (bot/ballot_pdf.py); the data is models/votes/poster.py's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from bot.announcement import A4, LANGUAGES, families, font_family, qr_image
from bot.ballot_pdf import LEFT, TOP, Line, fitted, step
from bot.i18n import Translator, tr
from models.votes.poster import Posted
from models.votes.report import matter_heading, percent
from models.votes.tally import Bar, Count, MatterKind, MatterResult, area_text


def _needs(bar: Bar) -> str:
    return f"{'≥' if bar.inclusive else '>'} {bar.needed.numerator}/{bar.needed.denominator}"


def _mark(bar: Bar) -> str:
    return "✓" if bar.met else "✗"


def _against(_: Translator, label: str, count: Count, owners: Bar, area: Bar) -> str:
    """"Agree: 3 owners, 75.00% (needs > 1/2 ✓); 250.00 m², 80.00% (✓)"."""
    return _("{label}: {owners} owners, {owners_share} (needs {needs} {owners_mark}); "
             "{area} m², {area_share} ({area_mark})", label=label, owners=count.owners,
             owners_share=percent(owners.share), needs=_needs(owners),
             owners_mark=_mark(owners), area=area_text(count.area),
             area_share=percent(area.share), area_mark=_mark(area))


def _plain(_: Translator, label: str, count: Count) -> str:
    return _("{label}: {owners} owners; {area} m²", label=label, owners=count.owners,
             area=area_text(count.area))


def _matter(_: Translator, title: str, r: MatterResult) -> Iterator[Line]:
    yield (f"{r.number}. {title}", 12, "heading")
    yield (matter_heading(r, _), 10.5, "heading")
    if r.matter.kind is MatterKind.DECISION:
        yield (_against(_, _("Agree"), r.agree, r.majority_owners, r.majority_area), 10, "text")
        yield (_plain(_, _("Disagree"), r.disagree), 10, "text")
        yield (_plain(_, _("Abstain"), r.abstain), 10, "text")
    else:
        for o in r.options:
            label = f"{o.option}. {o.name}"
            if r.matter.kind is MatterKind.ELECTION:
                line = _against(_, label, o.count, o.owners_bar, o.area_bar)
                if o.elected:
                    line = _("{line} — elected", line=line)
                yield (line, 10, "text")
            else:
                yield (_plain(_, label, o.count), 10, "text")
        yield (_plain(_, _("Abstain"), r.abstain), 10, "text")
        if r.tie_at_last_seat:
            names = _.names([r.matter.options[o - 1] for o in r.tie_at_last_seat])
            yield (_("Tied for the last seat, so none of them is elected (a run-off is "
                     "needed): {names}", names=names), 10, "text")
    if r.invalid.owners:
        yield (_plain(_, _("Invalid"), r.invalid), 10, "text")
    yield ("", 5, "text")


def _lines(_: Translator, poster: Posted) -> list[Line]:
    english = _.language == "en"
    title = (poster.title_en or poster.title) if english else poster.title
    estate = (poster.estate_en or poster.estate) if english else poster.estate
    lines: list[Line] = [(_("Result of an owners' vote"), 20, "heading"), (title, 15, "heading"),
                         (_("Estate: {estate}", estate=estate), 11, "text"),
                         (_("Published on {day}.", day=_.day(poster.published_at)), 10, "text"),
                         ("", 6, "text")]
    if poster.results:
        first = poster.results[0]
        lines.append((_("Turnout: {voted} of {total} owners took part ({owners_share}), holding "
                        "{area} of {area_total} m² ({area_share}); a decision needs at least "
                        "two thirds of both (Civil Code art. 278).", voted=first.owners_voted,
                        total=first.owners_total, owners_share=percent(first.quorum_owners.share),
                        area=area_text(first.area_voted), area_total=area_text(first.area_total),
                        area_share=percent(first.quorum_area.share)), 10.5, "text"))
    channels = poster.channels
    lines.append((_("Ballots: {online} in the chat, {assisted} with help, {paper} on paper, "
                    "{onsite} on site.", online=channels["online"],
                    assisted=channels["assisted"], paper=channels["paper"],
                    onsite=channels["on-site"]), 10.5, "text"))
    lines.append(("", 6, "text"))
    for matter, result in zip(poster.matters, poster.results, strict=True):
        name = (matter.title_en or matter.title) if english else matter.title
        lines += list(_matter(_, name, result))
    names = [_("{name} (community office)", name=s.name) if s.staff else
             _("{name} (owners' committee)", name=s.name) for s in poster.scrutineers]
    lines += [(_("The count was confirmed by: {names}", names=_.names(names)), 10.5, "text")]
    if poster.secret:
        lines.append((_("Secret ballot: each voter finds their ballot by its receipt code in "
                        "the published list, in the bot."), 9.5, "text"))
    lines += [("", 6, "text"),
              (_("Open the vote in the bot with the QR code or this link:"), 10, "text"),
              (poster.link, 9, "text")]
    return lines


def page(poster: Posted, language: str, tz: dt.tzinfo, family: str | None = None) -> Figure:
    """One A4 page of the poster, in `language`."""
    _ = tr(language, tz)
    fonts = families(family if family is not None else font_family())
    figure = Figure(figsize=A4)
    lines, _scale = fitted(_lines(_, poster))
    y = TOP
    for text, size, kind in lines:
        if text:
            figure.text(LEFT, y, text, fontsize=size, va="top", family=fonts,
                        color="black" if kind == "heading" else "#222222")
        y -= step(size)
    axes = figure.add_axes((0.72, 0.03, 0.21, 0.21 * A4[0] / A4[1]))
    axes.imshow(qr_image(poster.link), cmap="gray")
    axes.set_axis_off()
    return figure


def poster_pdf(poster: Posted, tz: dt.tzinfo) -> bytes:
    """The two-page A4 PDF (Chinese, then English)."""
    buffer = io.BytesIO()
    family = font_family()
    metadata = {"Title": poster.title, "Subject": poster.title_en or poster.title,
                "Creator": "linli"}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for language in LANGUAGES:
            pdf.savefig(page(poster, language, tz, family))
    return buffer.getvalue()
