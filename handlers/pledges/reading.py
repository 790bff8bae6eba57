"""Residents and pledges: /pledges lists the open ones for my places; a pledge is read in full
(in parts if long) from its button or from a poster's deep link (`/start pledge_12[_7]`), with
where I stand under it — signed already, closed, not for me (and why), or the sign button.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import hints
from bot.buttons import keyboard
from bot.feature import Call, translate_error
from bot.i18n import Translator
from handlers.pledges.buttons import Read, Sign
from handlers.pledges.rendering import full_text, title
from models import pledges
from models.base import utcnow
from models.errors import N_, NotAllowed, NotFound, StaleButton
from models.people import Person
from models.pledges import Pledge, PledgeStatus
from models.telegram_limits import fit_lines

NOT_REGISTERED = N_("You are not registered yet. Send /start to join your community.")


async def sign_state(call: Call[object], pledge: Pledge,
                     person: Person | None) -> tuple[str, InlineKeyboardMarkup | None]:
    """The line under the pledge: signed already, closed, not for you, or the sign button."""
    standing = await pledges.reading(call.session, pledge_id=pledge.id, person=person,
                                     language=call._.language)
    return state_line(call._, standing, person)


def state_line(_: Translator, standing: pledges.Standing,
               person: Person | None) -> tuple[str, InlineKeyboardMarkup | None]:
    """Where the reader stands, from what was read with the pledge (no further queries)."""
    pledge = standing.pledge
    if person is None:
        return _(NOT_REGISTERED), hints.for_text(_, _(NOT_REGISTERED))
    signature = pledges.covering(standing)
    if signature is not None and signature.version == pledge.version:
        return _("✅ Already signed on {date}.",
                 date=_.when(signature.signed_at, zone=True)), None
    if not pledge.is_open(utcnow()):
        return _("This pledge closed on {date}; signing is no longer possible.",
                 date=_.day(pledge.ended_at())), None
    try:
        pledges.eligible_home(standing)
    except NotAllowed as error:
        text = translate_error(error, _)  # (a place's name in it is escaped)
        return text, hints.for_text(_, text)
    prompt = (_("You signed an earlier version. Please sign the new text.")
              if signature is not None else _("Have you read it? Sign below."))
    read_in = pledges.text_in(pledge, _.language).language  # the text the reader was shown
    return prompt, keyboard([(_("✍️ I agree and sign"), Sign(pledge.id, pledge.version,
                                                          read_in))])


async def show_pledge(call: Call[object], pledge_id: int) -> None:
    """Send the whole pledge (in parts if long), its attachment, then where I stand."""
    standing = await pledges.reading(call.session, pledge_id=pledge_id, person=call.person,
                                     language=call._.language)
    pledge = standing.pledge
    if pledge.status == PledgeStatus.DRAFT:
        raise NotFound(N_("This pledge no longer exists."))
    state, markup = state_line(call._, standing, call.person)
    for part in full_text(call._, pledge, standing.where):
        await call.reply(part)
    if pledge.attachment_id and pledge.attachment_kind == "photo":
        await call.send_photo(pledge.attachment_id)
    elif pledge.attachment_id:
        await call.context.bot.send_document(call.chat_id, pledge.attachment_id)
    await call.reply(state, markup)


async def read(call: Call[Read]) -> None:
    """Show the pledge in full."""
    await show_pledge(call, call.data.pledge_id)


async def deep_link(call: Call[None]) -> None:
    """`/start pledge_12[_building]` from a poster: open the pledge straight away."""
    arg = call.context.args[0] if call.context.args else ""
    parts = arg.removeprefix("pledge_").split("_")
    if not parts[0].isdigit() or len(parts[0]) > 12:
        raise StaleButton()
    await show_pledge(call, int(parts[0]))


def _listing(_: Translator, mine: list[pledges.MyPledge]) -> tuple[str, InlineKeyboardMarkup]:
    lines, buttons = [_("<b>Open pledges</b>")], []
    for item in mine:
        signed = item.signature is not None and item.signature.version == item.pledge.version
        mark = "✅" if signed else "⬜"
        lines.append(_("{mark} {title} (until {date})", mark=mark,
                       title=title(_, item.pledge), date=_.deadline(item.pledge.closes_at)))
        buttons.append([(f"{mark} {pledges.text_in(item.pledge, _.language).title}",
                         Read(item.pledge.id))])
    return fit_lines(lines), keyboard(*buttons)


async def my_pledges(call: Call[object]) -> None:
    """List open pledges for my places and whether I (or my household) signed."""
    mine = await pledges.open_for(call.session, person=call.me)
    if not mine:
        await call.show(call._("There are no open pledges for your places."))
        return
    await call.show(*_listing(call._, mine))
