"""Assisted voting (models/votes/assisted.py), from a home's door (handlers/votes/knocking.py):
"🤝 Assisted ballot" asks for the photo of the written proxy (委托书) the owner signed; the
photo sent, the owner's choices are entered by the paper entry's buttons (handlers/votes/
paper.py with `how` "a": the same steps, review and record); the owners of the home get a
copy of the ballot in their chats (the renderer here)."""

from __future__ import annotations

from typing import Any

from bot.buttons import keyboard
from bot.feature import Call, Session
from bot.i18n import Translator
from bot.outbox import Rendered
from handlers.votes import ballot_state as bs
from handlers.votes.ballot_text import cast_summary
from handlers.votes.buttons import OpenVote
from handlers.votes.knock_buttons import Assist, KnockDoor
from handlers.votes.paper import show_entry
from handlers.votes.paper_text import entered_for, owner_lines
from handlers.votes.rendering import title
from models.asks import Ask
from models.votes import assisted, ballots, fixed


async def assist(call: Call[Assist]) -> None:
    """Begin an assisted ballot: the proxy's photo is asked for."""
    _, data = call._, call.data
    found = await assisted.start(call.session, vote_id=data.vote_id,
                                 household_id=data.household_id, by=call.actor,
                                 language=_.language)
    await call.show("\n".join([
        _("🤝 <b>Assisted ballot</b> — «{title}»", title=title(_, found.vote)),
        *owner_lines(_, found), "",
        _("Send a <b>photo</b> of the written proxy (委托书) the owner signed, asking you to "
          "vote for them in this vote. It is kept with the ballot. Then you enter the "
          "owner's choices, as they tell you.")]),
        keyboard([(_("◀ Back"), KnockDoor(data.vote_id, data.household_id))]))


async def take_proxy(call: Call[Ask]) -> None:
    """The proxy's photo (kept as Telegram's file id); then the owner's ballot, blank."""
    photo = call.message.photo
    found = await assisted.take_proxy(
        call.session, owner_id=call.data.object_id or 0,
        file_id=photo[-1].file_id if photo else None, by=call.actor, language=call._.language)
    matters = (await fixed.of_vote(call.session, found.vote.id)).matters
    await call.reply(call._("📎 The written proxy is kept with the ballot."))
    await show_entry(call, found, bs.decode(bs.blank(matters), matters), "a")


async def render_assisted(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    """To the owners of a home: the copy of the ballot a grid worker entered for them."""
    found = await entered_for(session, payload, _)
    if found is None:
        return None
    vote, homes, name = found
    matters = (await fixed.of_vote(session, vote.id)).matters
    cast = await ballots.choices_of(session, int(payload["ballot_id"]))
    return Rendered("\n".join([
        _("🤝 In «{title}», {name} entered the ballot for {homes} with your written proxy. "
          "Your copy:", title=title(_, vote), name=name, homes=homes),
        *cast_summary(_, matters, cast), "",
        _("It is the ballot of these homes now. If this is not what you chose, or you gave "
          "no proxy, tell the owners' committee.")]),
        keyboard([(_("📋 See the vote"), OpenVote(vote.id))]))


BUTTONS = {Assist: assist}
INPUTS = {assisted.PROXY: take_proxy}
RENDERERS = {assisted.ASSISTED: render_assisted}
