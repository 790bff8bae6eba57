"""What waits for a new member among pledges (#13): the open ones over their homes that
their household has not signed yet, as their welcome lists them."""

from __future__ import annotations

from bot.feature import Session
from bot.i18n import Translator
from bot.waiting import Waits
from handlers.pledges.buttons import Read
from handlers.pledges.rendering import title
from models import pledges
from models.people import Person
from models.telegram_limits import shorten


async def waiting(session: Session, person: Person, _: Translator) -> list[Waits]:
    """Open pledges for my places that I may sign and have not signed yet."""
    return [Waits(_("✍️ Pledge to sign: {title} (until {date})",
                    title=title(_, pledge), date=_.deadline(pledge.closes_at)),
                  "✍️ " + shorten(pledges.text_in(pledge, _.language).title, 40),
                  Read(pledge.id))
            for pledge in await pledges.to_sign(session, person=person)]
