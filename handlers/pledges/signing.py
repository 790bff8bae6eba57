"""Signing, for a resident: "I agree and sign" → confirm (name, household, what is recorded)
→ the certificate. The buttons carry the version read (`pl:c:12:2`): a button for a text that
has changed since, or a forged one, signs nothing."""

from __future__ import annotations

from html import escape

from bot import hints
from bot.buttons import keyboard
from bot.feature import Call
from handlers.pledges.buttons import Confirm, NotNow, Sign
from handlers.pledges.rendering import certificate
from models import pledges


async def ask_to_confirm(call: Call[Sign]) -> None:
    """Ask for confirmation before signing."""
    _, data, me = call._, call.data, call.me
    pledge, where = await pledges.signing_as(call.session, pledge_id=data.pledge_id, person=me)
    read = pledges.text_in(pledge, data.language)
    text = _("Sign «{title}» as {name} ({place})? Your name, the time, and the version and "
             "language of the text will be recorded.", title=escape(read.title),
             name=escape(me.name), place=escape(where))
    await call.edit(text, keyboard([(_("✅ Confirm and sign"), Confirm(data.pledge_id,
                                                                       data.version,
                                                                       data.language)),
                                    (_("Cancel"), NotNow(data.pledge_id))]))


async def confirm(call: Call[Confirm]) -> None:
    """Sign, and answer with the certificate."""
    done = await pledges.sign_pledge(call.session, pledge_id=call.data.pledge_id,
                                     person=call.me, version=call.data.version,
                                     language=call.data.language, tz=call.tz)
    # the confirm button stays as a lasting mark; pressing it again signs nothing twice
    mark = call._("✅ Signed · {day}", day=call._.short_day(done.signature.signed_at))
    await call.edit(certificate(call._, done.pledge, done.person, done.signature),
                    keyboard([(mark, call.data)]))
    await call.toast(call._("Signed."))


async def not_now(call: Call[NotNow]) -> None:
    text = call._("Not signed. You can sign later with /pledges.")
    await call.edit(text, hints.for_text(call._, text))
