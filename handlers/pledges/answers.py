"""Answers to what a pledge's step asked for (models/asks.py routes them here, and only here):
a title, the text in one or more messages, a closing date, a new version's text — or a
document or image to attach. A message of another kind gets the usual pointer."""

from __future__ import annotations

from bot.buttons import keyboard
from bot.feature import Call
from handlers.pledges.buttons import BodyDone, SaveText
from handlers.pledges.drafting import show_step
from models import pledges
from models.asks import Ask
from models.pledges import Step
from models.telegram_limits import utf16_len


async def take_text(call: Call[Ask]) -> None:
    """Typed text for the step that asked (title, text, closing date, new text)."""
    message, asked = call.message, Step(call.data.step)
    if not message.text:
        await call.not_understood()
        return
    pledge = await pledges.add_text(call.session, author=call.me, text=message.text,
                                    tz=call.tz, pledge_id=call.data.object_id)
    if asked not in (Step.BODY, Step.EDIT):
        await show_step(call, pledge, call.me, in_place=False)
        return
    body = pledge.step == Step.BODY
    done = ((call._("Done ▶"), BodyDone(pledge.id)) if body
            else (call._("💾 Save as new version"), SaveText(pledge.id)))
    size = utf16_len(pledge.body if body else pledge.pending_body or "")
    await message.reply_text(
        call._("Added ({count} characters so far). Send more, or press the button when the "
               "text is complete.", count=size), reply_markup=keyboard([done]))


async def take_attachment(call: Call[Ask]) -> None:
    """A document or image to attach to the draft (too large: refused, asked again)."""
    message = call.message
    if not (message.photo or message.document):
        await call.not_understood()
        return
    sent = message.photo[-1] if message.photo else message.document
    pledge = await pledges.set_attachment(
        call.session, pledge_id=call.data.object_id or 0, author=call.me,
        file_id=sent.file_id, kind="photo" if message.photo else "document",
        size=sent.file_size)
    await show_step(call, pledge, call.me, in_place=False)


INPUTS = {str(Step.TITLE): take_text, str(Step.BODY): take_text, str(Step.DATES): take_text,
          str(Step.EDIT): take_text, str(Step.ATTACHMENT): take_attachment}
