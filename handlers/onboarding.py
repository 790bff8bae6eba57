"""Joining: /start → language → consent → community → building → unit → room → relation.

Nothing is kept in memory between steps: the language and a poster's join code ride in the
buttons (`ob:…`), and the place picked so far is the id in the button (`j:…`), re-read from
the database.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from bot import hints, menus
from bot.buttons import ButtonData, keyboard
from bot.feature import (
    Call,
    Command,
    Feature,
    MenuButton,
    MenuCommand,
    On,
    guess_language,
    translate_error,
)
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator, tr
from handlers import labels
from handlers.places_picker import HomePick, level
from models.errors import NotFound
from models.onboarding import (
    JOIN_REMINDER,
    accept_consent,
    home_pick,
    household_to_join,
    join_code_known,
    remind_pending_join,
    request_membership,
)
from models.people import Relation
from models.places import PlaceKind

Language = Literal[LANGUAGES]  # type: ignore[valid-type]
PICK_PROMPTS = {
    PlaceKind.COMMUNITY: N_("Which community do you live in?"),
    PlaceKind.BUILDING: N_("{place}: which building?"),
    PlaceKind.UNIT: N_("{place}: which unit (stairwell)?"),
    PlaceKind.HOUSEHOLD: N_("{place}: which room?"),
}
RELATION_CODES = {"o": Relation.OWNER, "t": Relation.TENANT, "f": Relation.FAMILY}


class ChooseLanguage(ButtonData, prefix="ob:l"):
    """The first /start's language; `code` is a poster's join code (or empty)."""

    language: Language
    code: str


class Agree(ButtonData, prefix="ob:y"):
    language: Language
    code: str


class Decline(ButtonData, prefix="ob:n"):
    language: Language
    code: str


class JoinHousehold(ButtonData, prefix="j:h"):
    """The room picked: ask for the relation."""

    household_id: int


class JoinAs(ButtonData, prefix="j:r"):
    household_id: int
    relation: Literal["o", "t", "f"]


def consent_text(_: Translator) -> str:
    return _(
        "<b>Before you join</b>\n"
        "linli keeps: your Telegram name and id, your language, the household you register "
        "at and your relation to it (owner, tenant or family member), and any roles the "
        "community gives you.\n"
        "Why: so your community office can confirm where you live and send you notices, "
        "votes and reminders that concern you.\n"
        "Your data stays in your community's own database; only staff responsible for your "
        "building can see it. If you decline, nothing is stored."
    )


async def start(call: Call[None]) -> None:
    """Greet a registered person, or begin joining with the choice of language."""
    arg = call.context.args[0] if call.context.args else ""
    code = arg.removeprefix("join_") if arg.startswith("join_") else ""
    if code:
        try:
            await join_code_known(call.session, code)
        except NotFound as error:  # a torn or old poster: say so, then carry on without it
            await call.reply(translate_error(error, call._))
            code = ""
    if call.person is not None:
        await call.reply(call._("Welcome back, {name}.", name=escape(call.person.name)))
        await show_pick(call, call._, join_code=code)
        return
    guessed = guess_language(call.update, call.context)
    both = " / ".join(tr(lang)("Please choose your language") for lang in LANGUAGES)
    await call.reply(both, keyboard([
        (("✓ " if lang == guessed else "") + LANGUAGE_NAMES[lang], ChooseLanguage(lang, code))
        for lang in LANGUAGES]))


async def show_pick(call: Call[object], _: Translator, *, join_code: str = "",
                    place_id: int | None = None, page: int = 0, edit: bool = False) -> None:
    """Offer the next level of the place tree as buttons (a new message, or in place)."""
    pick = await home_pick(call.session, place_id=place_id, join_code=join_code,
                           language=_.language)
    if not pick.options:
        text = _("There is nothing to choose here yet. Please contact your community office.")
        markup = None
    else:
        text = _(PICK_PROMPTS[pick.kind], place=escape(pick.label))
        at = pick.place.id if pick.place is not None else 0
        markup = level(_, pick.options, page=page, page_data=lambda n: HomePick(at, n),
                       open_=lambda p: JoinHousehold(p.id) if pick.kind == PlaceKind.HOUSEHOLD
                       else HomePick(p.id, 0),
                       up=None if pick.up is None else HomePick(pick.up, 0))
    await (call.edit if edit else call.reply)(text, markup)


async def consent(call: Call[ChooseLanguage]) -> None:
    """Show what is stored and why, in the chosen language."""
    lang, code = call.data.language, call.data.code
    _ = tr(lang, call.tz)
    # a double tap edits to the same text twice: call.edit lets that pass
    await call.edit(consent_text(_), keyboard([(_("I agree"), Agree(lang, code)),
                                               (_("Decline"), Decline(lang, code))]))


async def decline(call: Call[Decline]) -> None:
    """Store nothing."""
    _ = tr(call.data.language, call.tz)
    text = _("Nothing was stored. Send /start any time if you change your mind.")
    await call.edit(text, hints.for_text(_, text))


async def agree(call: Call[Agree]) -> None:
    """Store the person, then start picking their home."""
    user = call.update.effective_user
    _ = tr(call.data.language, call.tz)
    # Telegram's first name may be empty (then PTB's full_name is None)
    person = await accept_consent(call.session, telegram_id=user.id,
                                  language=call.data.language,
                                  name=user.full_name or user.username or str(user.id))
    await call.edit(_("Thank you. Now let us find your home."))
    await show_pick(call, _, join_code=call.data.code)
    await menus.refresh_for(call.context.bot, call.session, person)
    await call.toast(_("Thank you."))


async def pick(call: Call[HomePick]) -> None:
    """Walk down the place tree."""
    _registered = call.me  # registered people only
    await show_pick(call, call._, place_id=call.data.place_id or None, page=call.data.page,
                    edit=True)


async def ask_relation(call: Call[JoinHousehold]) -> None:
    """Ask whether the person owns, rents or is family in the room they picked."""
    _registered = call.me
    _ = call._
    household, where = await household_to_join(call.session, call.data.household_id,
                                               language=_.language)
    await call.edit(_("{place}: are you the owner, a tenant or a family member?",
                      place=escape(where)), keyboard(
        [(labels.relation(_, rel), JoinAs(household.id, code))
         for code, rel in RELATION_CODES.items()],
        [(_("◀ Back"), HomePick(household.parent_id or 0, 0))]))


async def join(call: Call[JoinAs]) -> None:
    """Send the request to join the household to the community office."""
    _ = call._
    relation = RELATION_CODES[call.data.relation]
    request = await request_membership(
        call.session, person=call.me, household_id=call.data.household_id, relation=relation,
        remind_after=call.settings.join_reminder_delta)
    call.wake_outbox()
    await call.edit(_("Your request to join {place} as {relation} was sent to your community "
                      "office. You will get a message when it is approved.",
                      place=escape(request.label), relation=labels.relation(_, relation))
                    if request.created else
                    _("Your request for {place} is still waiting for approval.",
                      place=escape(request.label)))


FEATURE = Feature(
    name="onboarding",
    commands=[Command("start", start, hint=N_("🏠 Join my community"))],
    buttons=[On(ChooseLanguage, consent), On(Agree, agree), On(Decline, decline),
             On(HomePick, pick), On(JoinHousehold, ask_relation), On(JoinAs, join)],
    effects={JOIN_REMINDER: remind_pending_join},
    menu=[MenuCommand("start", N_("Join your community or add a household"), "resident", 10)],
    menu_buttons=[MenuButton(N_("Join your community"),
                             lambda _: ChooseLanguage(_.language, ""), "guest", 0)],
)
