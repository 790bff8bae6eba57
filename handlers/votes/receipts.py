"""Secret ballots in the chat (models/votes/secret.py): casting one (its copy with the receipt
code), the receipts published with the result (in the message, and as a CSV file), and a
voter checking a code by typing it after pressing "🔎 Check my receipt".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.buttons import keyboard
from bot.exports import csv_bytes
from bot.feature import Call
from bot.i18n import Translator
from handlers.votes import ballot_state as bs
from handlers.votes.ballot_text import owner_line, summary_lines
from handlers.votes.buttons import CheckReceipt, Receipts
from handlers.votes.rendering import chosen, title
from models.asks import Ask
from models.base import utcnow
from models.telegram_limits import CAPTION, shorten
from models.votes import secret
from models.votes.reading import BallotView
from models.votes.tables import Vote


async def cast(call: Call[object], view: BallotView, picks: list[bs.Pick]) -> None:
    """Cast the secret ballot; its copy carries the receipt code, which nothing else keeps
    with the voter."""
    _ = call._
    code = await secret.cast(call.session, vote_id=view.vote.id, owner_id=view.owner.id,
                             person=call.me, choices=bs.as_choices(picks, view.matters))
    call.wake_outbox()  # the co-owners are told
    await call.mark(_("✅ Cast · {day}", day=_.short_day(utcnow())))
    await call.reply(secret_copy(_, view.vote, [
        owner_line(_, view.owner), *summary_lines(_, view.matters, picks)],
        secret.receipt_text(code)))
    await call.toast(_("Your ballot is cast."))


def secret_copy(_: Translator, vote: Vote, lines: Sequence[str], code: str) -> str:
    """The voter's copy of a secret ballot: the vote, `lines` (whose and what), the receipt
    code (as read) and what it is for."""
    return "\n".join([
        _("🧾 <b>Your secret ballot</b> (copy) — {title}", title=title(_, vote)), *lines, "",
        _("🔑 Your receipt code: <code>{code}</code>", code=code),
        _("Keep it: your name is not kept with your ballot, so this code is the only way to "
          "find it. With the result, every receipt code is published with its choices: look "
          "yours up to see that your ballot was counted as you cast it. A secret ballot "
          "cannot be changed.")])


async def receipts(call: Call[Receipts]) -> None:
    """Send the published receipt codes and their choices as a CSV file."""
    _ = call._
    vote, matters, listed = await secret.receipts(call.session, vote_id=call.data.vote_id,
                                                  viewer=call.me)
    header = [_("Receipt code"), *[m.title_for(_.language) for m in matters]]
    rows = [(code, *[chosen(_, [m], choices) for m in matters]) for code, choices in listed]
    await call.send_document(csv_bytes(header, rows), f"vote-{vote.id}-receipts.csv", shorten(
        _("{title}: {count} receipt codes", title=vote.title_for(_.language),
          count=len(listed)), CAPTION))


async def check_ask(call: Call[CheckReceipt]) -> None:
    """Ask for the receipt code to check (typed)."""
    vote = await secret.ask_code(call.session, vote_id=call.data.vote_id, person=call.me)
    await call.reply(call._("Send the <b>receipt code</b> of your ballot in «{title}», as your "
                            "copy of the ballot shows it (for example 7KQ2-M9XD-4HPA).",
                            title=title(call._, vote)))


async def take_code(call: Call[Ask]) -> None:
    """The typed code: its ballot's choices, as published (or that no ballot has it)."""
    _ = call._
    if not call.message.text:
        await call.not_understood()
        return
    vote, matters, code, choices = await secret.check(
        call.session, vote_id=call.data.object_id or 0, text=call.message.text, viewer=call.me)
    await call.reply("\n".join([
        _("✅ The receipt code <code>{code}</code> is in the published list of «{title}». "
          "Its ballot chose:", code=code, title=title(_, vote)),
        *[_("{number}. {title} — {choice}", number=m.number,
            title=escape(m.title_for(_.language)), choice=escape(chosen(_, [m], choices)))
          for m in matters]]),
        keyboard([(_("🔎 Check another code"), CheckReceipt(vote.id))]))


BUTTONS = {Receipts: receipts, CheckReceipt: check_ask}
INPUTS = {secret.CHECK: take_code}
