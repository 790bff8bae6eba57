"""What waits for a new member among owners' votes (#13): the open votes of their homes where
they may still cast a ballot, as their welcome lists them."""

from __future__ import annotations

from bot.feature import Session
from bot.i18n import Translator
from bot.waiting import Waits
from handlers.votes.buttons import OpenVote
from handlers.votes.rendering import title
from models.people import Person
from models.telegram_limits import shorten
from models.votes import reading


async def waiting(session: Session, person: Person, _: Translator) -> list[Waits]:
    """Open owners' votes of my homes whose ballot is not cast yet."""
    return [Waits(_("🗳 Owners' vote: {title} (until {date})", title=title(_, vote),
                    date=_.deadline(vote.closes_at)),
                  "🗳 " + shorten(vote.title_for(_.language), 40), OpenVote(vote.id))
            for vote in await reading.to_vote(session, person)]
