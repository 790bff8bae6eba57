"""Answers to what a poll's draft asked its writer to type (models/asks.py routes them here,
and only here): the question, then the options one by one. Anything but text gets the usual
pointer."""

from __future__ import annotations

from bot.feature import Call
from handlers.polls.drafting import show_step
from models.asks import Ask
from models.polls import drafting
from models.polls.tables import Step


async def take_text(call: Call[Ask]) -> None:
    """Typed text for the step that asked, then the draft's next step (as a new message)."""
    if not call.message.text:
        await call.not_understood()
        return
    poll = await drafting.answer(call.session, poll_id=call.data.object_id or 0,
                                 author=call.actor, step=call.data.step, text=call.message.text)
    await show_step(call, poll, in_place=False)


INPUTS = {str(Step.QUESTION): take_text, str(Step.OPTIONS): take_text}
