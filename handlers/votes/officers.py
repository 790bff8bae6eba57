"""The vote's ballot officers (models/votes/officers.py), for its convenors: "🧑‍💼 Ballot
officers" on an announced or open vote lists whom they may authorise — the estate's committee
members and the staff, grid workers and volunteers who work there — a button each, ✅ for
those authorised; a press authorises or takes it back (audited by the verb)."""

from __future__ import annotations

from html import escape

from bot.buttons import paged
from bot.feature import Call
from handlers.votes.buttons import Manage, Officers, ToggleOfficer
from handlers.votes.rendering import title
from models.telegram_limits import button_label
from models.votes import officers as officer_roles


async def show(call: Call[object], vote_id: int, page: int) -> None:
    _ = call._
    vote, people, chosen = await officer_roles.candidates(call.session, vote_id=vote_id,
                                                          author=call.actor)
    items = [(button_label(("✅ " if p.id in chosen else "") + p.name),
              ToggleOfficer(vote.id, p.id, page)) for p in people]
    names = [p.name for p in people if p.id in chosen]
    lines = [_("🧑‍💼 <b>Ballot officers</b> of «{title}» enter its paper and on-site ballots: by "
               "scanning a printed ballot's QR code, or picking the owner from the roll. Press "
               "a name to authorise them (✅), press it again to take it back.",
               title=title(_, vote)), "",
             _("Authorised: {names}", names=escape(_.names(names))) if names
             else _("Nobody is authorised yet.")]
    if not people:
        lines.append(_("Nobody works for this estate yet: its committee members and the "
                       "community's staff, grid workers and volunteers can be authorised."))
    await call.show("\n".join(lines), paged(
        items, page=page, page_data=lambda n: Officers(vote.id, n), columns=2,
        extra=[Manage(vote.id).button(_("◀ Back"))]))


async def officers(call: Call[Officers]) -> None:
    """Whom the convenor may authorise to enter ballots, ✅ those who are."""
    await show(call, call.data.vote_id, call.data.page)


async def toggle(call: Call[ToggleOfficer]) -> None:
    """Authorise the person, or take it back; the list again."""
    _, data = call._, call.data
    person = await officer_roles.person_of(call.session, data.person_id)
    granted = await officer_roles.grant(call.session, vote_id=data.vote_id,
                                        person_id=person.id, author=call.actor)
    if not granted:
        await officer_roles.revoke(call.session, vote_id=data.vote_id, person_id=person.id,
                                   author=call.actor)
    await call.toast(_("✅ {name} may enter this vote's paper ballots.", name=person.name)
                     if granted else _("{name} may no longer enter this vote's ballots.",
                                       name=person.name))
    await show(call, data.vote_id, data.page)


BUTTONS = {Officers: officers, ToggleOfficer: toggle}
