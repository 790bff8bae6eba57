"""What waits for a new member among resident polls (#13): the open polls of their homes they
have not answered yet, as their welcome lists them."""

from __future__ import annotations

from html import escape

from bot.feature import Session
from bot.i18n import Translator
from bot.waiting import Waits
from handlers.polls.buttons import OpenPoll
from models.people import Person
from models.polls import following
from models.telegram_limits import shorten


async def waiting(session: Session, person: Person, _: Translator) -> list[Waits]:
    """Open polls of my homes still waiting for my answer."""
    return [Waits(_("📊 Resident poll: {question}", question=escape(shorten(poll.question, 80))),
                  "📊 " + shorten(poll.question, 40), OpenPoll(poll.id))
            for poll in await following.to_answer(session, person)]
