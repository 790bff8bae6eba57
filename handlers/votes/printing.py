"""Printable ballots (models/votes/printing.py, drawn by bot/ballot_pdf.py): the convenor's
"🖨 Paper ballots (PDF)" on an announced or open vote sends them as one PDF, a page per roll
owner — the whole roll where it is small enough to draw while the convenor waits, else one
building at a time — and `linli votes ballots VOTE FILE` prints every owner's, with progress,
for an estate of thousands. Pages are drawn in a thread of their own, so the bot goes on
answering everyone else meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from bot.buttons import keyboard
from bot.cli import Fail, load_settings, progress_bar, with_db
from bot.config import Settings
from bot.db import Database
from bot.feature import Call
from handlers.votes.buttons import Manage, PrintBallots, ResultPoster
from handlers.votes.rendering import title
from models.errors import DomainError
from models.telegram_limits import CAPTION, button_label, shorten
from models.votes import poster, printing

IN_CHAT = 300  # owners whose ballots are drawn at once for the chat (a page takes ~0.2 s)


async def ballots(call: Call[PrintBallots]) -> None:
    """The ballots as a PDF: the whole roll, one building's, or first which building."""
    _, data = call._, call.data
    vote, owners, buildings = await printing.print_choices(call.session, vote_id=data.vote_id,
                                                           author=call.actor)
    if not data.building_id and owners > IN_CHAT and len(buildings) > 1:
        rows = [[(button_label(b.name_in(_.language), ""), PrintBallots(vote.id, b.id))]
                for b in buildings]
        await call.show(_("«{title}» has {count} owners on its roll: print their ballots one "
                          "building at a time. (All of them at once: «linli votes ballots "
                          "{vote} FILE» on the server.)", title=title(_, vote), count=owners,
                          vote=vote.id), keyboard(*rows, [(_("◀ Back"), Manage(vote.id))]))
        return
    await call.toast(_("Drawing the ballots: a moment, please."))
    printed = await printing.printable(call.session, vote_id=vote.id, author=call.actor,
                                       building_id=data.building_id or None)
    from bot.ballot_pdf import ballots_pdf  # (matplotlib: loaded when first drawn)

    pdf = await asyncio.to_thread(ballots_pdf, printed, call.context.bot.username, call.tz)
    await call.send_document(pdf, f"vote-{vote.id}-ballots.pdf", shorten(_(
        "Ballots of «{title}» to print: {count} pages, one per owner. Officers the convenors "
        "authorise enter them by scanning each ballot's QR code.",
        title=vote.title_for(_.language), count=len(printed.owners)), CAPTION))


async def result_poster(call: Call[ResultPoster]) -> None:
    """The results poster of a published vote, as an A4 PDF (a page in Chinese, one in
    English) to put up in the estate."""
    _ = call._
    link = poster.vote_link(call.context.bot.username, call.data.vote_id)
    posted = await poster.posted(call.session, vote_id=call.data.vote_id, author=call.actor,
                                 link=link)
    from bot.result_poster import poster_pdf  # (matplotlib: loaded when first drawn)

    pdf = await asyncio.to_thread(poster_pdf, posted, call.tz)
    title_shown = (posted.title_en or posted.title) if _.language == "en" else posted.title
    await call.send_document(pdf, f"vote-{posted.vote_id}-result.pdf", shorten(_(
        "Results poster of «{title}», to print and put up in the estate: {link}",
        title=title_shown, link=link), CAPTION))


# --- `linli votes ballots VOTE FILE` -----------------------------------------------------------


async def bot_username(settings: Settings, given: str | None) -> str:
    """The bot's username for the QR codes' links: given, or asked of Telegram with the
    token."""
    if given:
        return given.removeprefix("@")
    if settings.bot_token is None:
        raise Fail("Give the bot's username with --bot (its QR codes link to t.me/<bot>), or "
                   "set LINLI_BOT_TOKEN so that it can be asked of Telegram.")
    from telegram import Bot

    async with Bot(settings.require_token(), base_url=settings.api_base_url) as bot:
        return str(bot.username)


async def write(db: Database, vote_id: int, file: Path, username: str, tz: dt.tzinfo,
                building_id: int | None = None) -> int:
    """Write vote `vote_id`'s ballots into `file`: how many pages."""
    async with db.session() as session:
        try:
            printed = await printing.printable(session, vote_id=vote_id, author=None,
                                               building_id=building_id)
        except DomainError as error:
            raise Fail(f"Vote {vote_id}: {error}") from None
    from bot.ballot_pdf import ballots_pdf

    print(f"Drawing {len(printed.owners)} ballots of vote {vote_id} «{printed.title}» …",
          file=sys.stderr)
    show = progress_bar("ballots")
    pdf = await asyncio.to_thread(ballots_pdf, printed, username, tz, show)
    await asyncio.to_thread(file.write_bytes, pdf)
    return len(printed.owners)


def cmd_ballots(args: argparse.Namespace) -> None:
    file = Path(args.file)
    if file.is_dir():
        raise Fail(f"{file} is a folder: give the PDF file to write.")
    settings = load_settings()

    async def work(db: Database) -> int:
        username = await bot_username(settings, args.bot)
        return await write(db, args.vote, file, username, settings.tz, args.building)

    pages = asyncio.run(with_db(settings, work))
    print(f"Wrote {pages} ballots (one A4 page per owner) to {file}.")


def add(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser(
        "ballots", help="print a vote's paper ballots, one A4 page per owner, as a PDF",
        description="Write the printable ballots of vote VOTE into FILE (PDF, A4, Chinese and "
                    "English): one page per owner on the roll, with their homes and areas, "
                    "each matter's boxes to tick, a line to sign and a QR code that an "
                    "authorised officer scans to enter the ballot. Printing again gives the "
                    "same QR codes. From the vote's announcement until voting closes.")
    p.add_argument("vote", metavar="VOTE", type=int, help="the vote's number")
    p.add_argument("file", metavar="FILE", help="the PDF file to write")
    p.add_argument("--bot", metavar="USERNAME",
                   help="the bot's username for the QR codes' links (default: asked of "
                        "Telegram with LINLI_BOT_TOKEN)")
    p.add_argument("--building", metavar="PLACE_ID", type=int,
                   help="only the owners whose first home is in this building (its place id)")
    p.set_defaults(func=cmd_ballots)
    p = actions.add_parser(
        "poster", help="write a published vote's results poster (PDF) to put up in the estate",
        description="Write the results poster of vote VOTE into FILE (PDF, A4, a page in "
                    "Chinese and one in English): each matter's outcome with the owners and "
                    "area against the art. 278 thresholds, the elected candidates, the "
                    "ballots online, on paper and on site, the turnout, the scrutineers who "
                    "confirmed the count, and a QR code that opens the vote in the bot. Once "
                    "the result is published.")
    p.add_argument("vote", metavar="VOTE", type=int, help="the vote's number")
    p.add_argument("file", metavar="FILE", help="the PDF file to write")
    p.add_argument("--bot", metavar="USERNAME",
                   help="the bot's username for the QR code's link (default: asked of "
                        "Telegram with LINLI_BOT_TOKEN)")
    p.set_defaults(func=cmd_poster)


async def write_poster(db: Database, vote_id: int, file: Path, username: str,
                       tz: dt.tzinfo) -> str:
    """Write vote `vote_id`'s results poster into `file`: the vote's title."""
    async with db.session() as session:
        try:
            posted = await poster.posted(session, vote_id=vote_id, author=None,
                                         link=poster.vote_link(username, vote_id))
        except DomainError as error:
            raise Fail(f"Vote {vote_id}: {error}") from None
    from bot.result_poster import poster_pdf

    pdf = await asyncio.to_thread(poster_pdf, posted, tz)
    await asyncio.to_thread(file.write_bytes, pdf)
    return posted.title


def cmd_poster(args: argparse.Namespace) -> None:
    file = Path(args.file)
    if file.is_dir():
        raise Fail(f"{file} is a folder: give the PDF file to write.")
    settings = load_settings()

    async def work(db: Database) -> str:
        username = await bot_username(settings, args.bot)
        return await write_poster(db, args.vote, file, username, settings.tz)

    title = asyncio.run(with_db(settings, work))
    print(f"Wrote the results poster of vote {args.vote} «{title}» (two A4 pages) to {file}.")
