"""Answers to what a pledge's step asked for (models/asks.py routes them here, and only here):
a title, the text in one or more messages, a closing date, a new version's text — or a
document or image to attach. A message of another kind gets the usual pointer."""

from __future__ import annotations

from bot.buttons import keyboard
from bot.feature import Call
from handlers.pledges.buttons import BodyDone, SaveText, TranslationDone
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
    if asked not in (Step.BODY, Step.EDIT, Step.BODY_EN):
        await show_step(call, pledge, call.me, in_place=False)
        return
    if asked == Step.BODY:
        done, size = (call._("Done ▶"), BodyDone(pledge.id)), utf16_len(pledge.body)
    elif asked == Step.BODY_EN:
        pending = pledges.pending_text(pledge, asked.language or "")
        done = (call._("Done ▶"), TranslationDone(pledge.id))
        size = utf16_len(pending.get("body", ""))
    else:
        done = (call._("💾 Save as new version"), SaveText(pledge.id))
        size = utf16_len(pledge.pending_body or "")
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


INPUTS = {**{str(step): take_text for step in pledges.TEXT_STEPS},
          str(Step.ATTACHMENT): take_attachment}
