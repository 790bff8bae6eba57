"""Changing a published pledge: a new version of its text (and asking earlier signers to sign
it), seven more days, closing now (after a confirmation)."""

from __future__ import annotations

from bot.buttons import keyboard
from bot.feature import Call
from handlers.pledges.buttons import (
    AskClose,
    AskResign,
    CloseNow,
    Extend,
    Manage,
    NewText,
    SaveText,
    Translate,
)
from handlers.pledges.drafting import staff
from handlers.pledges.rendering import back, title
from models import pledges
from models.errors import StaleButton


async def new_text(call: Call[NewText]) -> None:
    """Collect a new text: the editor's next messages are it."""
    pid = call.data.pledge_id
    await pledges.begin_edit(call.session, pledge_id=pid, by=await staff(call))
    await call.edit(call._("Send the new full text of the pledge (in several messages if "
                           "long), then press Save. Signatures of the current version stay "
                           "valid for it."), back(call._, pid))


async def save_text(call: Call[SaveText]) -> None:
    """Make the collected text the next version; offer to ask earlier signers again."""
    _, pid = call._, call.data.pledge_id
    new = await pledges.save_version(call.session, pledge_id=pid, by=await staff(call))
    rows = [[(_("Ask them to sign again"), AskResign(pid))]] if new.older_signatures else []
    text = _("Saved as version {version}. {count} signature(s) are for an earlier version.",
             version=new.pledge.version, count=new.older_signatures)
    if new.dropped_languages:
        text += "\n" + _("🌐 The English text was of the old version; until you add the new "
                         "one, English-speaking residents read the Chinese text.")
        rows.append([(_("🌐 Add the English text"), Translate(pid, "en"))])
    await call.show(text,
                    keyboard(*rows, [(_("◀ Back"), Manage(pid))]))


async def ask_resign(call: Call[AskResign]) -> None:
    pid = call.data.pledge_id
    asked = await pledges.ask_to_resign(call.session, pledge_id=pid, by=await staff(call))
    call.wake_outbox()
    await call.edit(call._("Asked {count} people to sign the new version.", count=asked),
                    back(call._, pid))


async def extend(call: Call[Extend]) -> None:
    """Seven more days (reopens a closed pledge)."""
    me, pid = await staff(call), call.data.pledge_id
    if call.data.days != 7:
        raise StaleButton()
    pledge = await pledges.extend_pledge(call.session, pledge_id=pid, by=me, days=7, tz=call.tz)
    await call.edit(call._("Extended: signing is open until {date}.",
                           date=call._.deadline(pledge.closes_at)),
                    back(call._, pid))


async def ask_close(call: Call[AskClose]) -> None:
    _, pid = call._, call.data.pledge_id
    pledge = await pledges.closing_pledge(call.session, pledge_id=pid, by=await staff(call))
    await call.edit(_("Close «{title}» now? Nobody can sign after that.",
                      title=title(_, pledge)),
                    keyboard([(_("⏹ Close now"), CloseNow(pid)), (_("Cancel"), Manage(pid))]))


async def close_now(call: Call[CloseNow]) -> None:
    pid = call.data.pledge_id
    pledge = await pledges.close_pledge(call.session, pledge_id=pid, by=await staff(call))
    call.wake_outbox()  # the final tally, to the author
    await call.edit(call._("Closed on {date}.", date=call._.day(pledge.closed_at)),
                    back(call._, pid))
