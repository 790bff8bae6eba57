"""Answers to what a vote's dialog asked a convenor to type (models/asks.py routes them here,
and only here): the title, a matter's title, the opening or closing day, the reason for
cancelling (an election's title, candidates and photos: handlers/votes/candidates.py).
Anything but text gets the usual pointer."""

from __future__ import annotations

from bot.buttons import keyboard
from bot.feature import Call
from handlers.votes import candidates
from handlers.votes.buttons import Manage
from handlers.votes.drafting import ask_changeable, ask_closing, show_draft
from handlers.votes.rendering import title
from models.asks import Ask
from models.votes import dialogs


async def take_text(call: Call[Ask]) -> None:
    """Typed text for the step that asked, then the draft's next step."""
    message, step, vote_id = call.message, call.data.step, call.data.object_id or 0
    if not message.text:
        await call.not_understood()
        return
    if step == dialogs.REASON:
        vote = await dialogs.answer_reason(call.session, vote_id=vote_id, text=message.text,
                                           author=call.actor)
        call.wake_outbox()  # the owners are told, where it had been announced
        await call.reply(call._("❌ «{title}» is cancelled; the owners who were told about it "
                                "are told why.", title=title(call._, vote)),
                         keyboard([(call._("📋 Open the vote"), Manage(vote.id))]))
        return
    vote = await dialogs.answer(call.session, vote_id=vote_id, step=step, text=message.text,
                                author=call.actor, tz=call.tz,
                                max_voting=call.settings.vote_max_voting)
    if step == dialogs.OPENS:
        await ask_closing(call, vote)
    elif step == dialogs.CLOSES:
        await ask_changeable(call, vote)
    else:
        await show_draft(call, vote)


INPUTS = {**{step: take_text for step in dialogs.STEPS}, **candidates.INPUTS}
