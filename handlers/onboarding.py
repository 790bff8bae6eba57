"""Joining: /start → language → consent → community → building → unit → room → relation.

Nothing is kept in memory between steps: the language and a poster's join code ride in the
callback data, and the place picked so far is the id in the button, re-read from the database.
"""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import menus
from bot.deps import deps
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator, tr
from bot.keyboards import Callback, StaleButton, button, paged, parse
from handlers import common, labels
from handlers.common import current, domain_errors, guess_language, translate_error
from models.errors import Invalid, NotFound
from models.onboarding import household_label, pick_below, request_membership
from models.people import Relation, record_consent
from models.places import PlaceKind, by_join_code, get_place

PICK_PROMPTS = {
    PlaceKind.COMMUNITY: N_("Which community do you live in?"),
    PlaceKind.BUILDING: N_("{place}: which building?"),
    PlaceKind.UNIT: N_("{place}: which unit (stairwell)?"),
    PlaceKind.HOUSEHOLD: N_("{place}: which room?"),
}
RELATION_CODES = {"o": Relation.OWNER, "t": Relation.TENANT, "f": Relation.FAMILY}


def language_keyboard(selected: str, code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        button(("✓ " if lang == selected else "") + LANGUAGE_NAMES[lang], f"ob:l:{lang}:{code}")
        for lang in LANGUAGES
    ]])


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


@domain_errors
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a registered person, or begin joining with the choice of language."""
    arg = context.args[0] if context.args else ""
    code = arg.removeprefix("join_") if arg.startswith("join_") else ""
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if code:
            try:
                await by_join_code(session, code)
            except NotFound as error:  # a torn or old poster: say so, then carry on without it
                await update.effective_message.reply_text(translate_error(error, _))
                code = ""
        if person is not None:
            await update.effective_message.reply_text(
                _("Welcome back, {name}.", name=escape(person.name)), parse_mode=ParseMode.HTML
            )
            await show_pick(update, context, session, _, start_at=code)
            return
    guessed = guess_language(update, context)
    both = " / ".join(tr(lang)("Please choose your language") for lang in LANGUAGES)
    await update.effective_message.reply_text(both, reply_markup=language_keyboard(guessed, code))


async def show_pick(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, _: Translator,
    *, start_at: str = "", place_id: int | None = None, page: int = 0, edit: bool = False,
) -> None:
    """Offer the next level of the place tree as buttons (a new message, or in place)."""
    if start_at:
        place = await by_join_code(session, start_at)
        place_id = place.id
    pick = await pick_below(session, place_id)
    if pick.kind == PlaceKind.COMMUNITY and len(pick.options) == 1:
        pick = await pick_below(session, pick.options[0].id)
    if not pick.options:
        text = _("There is nothing to choose here yet. Please contact your community office.")
        markup = None
    else:
        text = _(PICK_PROMPTS[pick.kind], place=escape(pick.label))
        to = "h" if pick.kind == PlaceKind.HOUSEHOLD else "p"
        items = [(p.name, f"j:{to}:{p.id}" + ("" if to == "h" else ":0")) for p in pick.options]
        back = []
        if pick.place is not None and pick.place.parent_id is not None:
            back = [button(_("◀ Back"), "j:p:0:0")]
        markup = paged(items, page=page, page_data=f"j:p:{place_id or 0}:{{page}}", extra=back)
    message = update.effective_message
    if edit and update.callback_query is not None:
        await common.edit(update, text, markup)
    else:
        await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)


@domain_errors
async def onboarding_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle the language and consent buttons of the first /start."""
    query = update.callback_query
    data = parse(query.data)
    if data is None or len(data.args) < 2 or data.args[0] not in LANGUAGES:
        await query.answer()
        return
    lang, code = data.args[0], data.args[1]
    _ = tr(lang)
    if data.action == "l":
        # a double tap edits to the same text twice: common.edit lets that pass
        await common.edit(update, consent_text(_), InlineKeyboardMarkup(
            [[button(_("I agree"), f"ob:y:{lang}:{code}"),
              button(_("Decline"), f"ob:n:{lang}:{code}")]]))
        await query.answer()
    elif data.action == "n":
        await common.edit(update, _("Nothing was stored. Send /start any time if you change "
                                    "your mind."))
        await query.answer()
    elif data.action == "y":
        user = update.effective_user
        async with deps(context).db.session() as session:
            # Telegram's first name may be empty (then PTB's full_name is None)
            person = await record_consent(
                session, telegram_id=user.id, language=lang,
                name=user.full_name or user.username or str(user.id))
            await session.commit()
            await common.edit(update, _("Thank you. Now let us find your home."))
            await show_pick(update, context, session, _, start_at=code)
            await menus.refresh_for(context.bot, session, person)
        await query.answer(_("Thank you."))


@domain_errors
async def pick_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Walk down the place tree, then ask for the relation, then send the request."""
    query = update.callback_query
    data = parse(query.data) or Callback("j", "", ())
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            await query.answer(_("You are not registered yet. Send /start to join your "
                                 "community."), show_alert=True)
            return
        if data.action == "p":
            place_id = data.int(0) or None
            await show_pick(update, context, session, _, place_id=place_id,
                            page=data.int(1), edit=True)
            await query.answer()
        elif data.action == "h":
            await ask_relation(update, _, session, data)
        elif data.action == "r":
            relation = RELATION_CODES.get(data.args[1] if len(data.args) > 1 else "")
            if relation is None:
                raise StaleButton()
            request = await request_membership(
                session, person=person, household_id=data.int(0), relation=relation,
                remind_after=deps(context).settings.join_reminder_delta,
            )
            deps(context).wake_outbox()
            text = (_("Your request to join {place} as {relation} was sent to your community "
                      "office. You will get a message when it is approved.",
                      place=escape(request.label), relation=labels.relation(_, relation))
                    if request.created else
                    _("Your request for {place} is still waiting for approval.",
                      place=escape(request.label)))
            await common.edit(update, text)
            await query.answer()
        else:
            raise StaleButton()


async def ask_relation(
    update: Update, _: Translator, session: AsyncSession, data: Callback
) -> None:
    household = await get_place(session, data.int(0))
    if household.kind != PlaceKind.HOUSEHOLD:
        raise Invalid(N_("Please choose a room (household), not a building or unit."))
    where = await household_label(session, household)
    markup = InlineKeyboardMarkup([
        [button(labels.relation(_, rel), f"j:r:{household.id}:{code}")
         for code, rel in RELATION_CODES.items()],
        [button(_("◀ Back"), f"j:p:{household.parent_id}:0")],
    ])
    await common.edit(update, _("{place}: are you the owner, a tenant or a family member?",
                         place=escape(where)), markup)
    await update.callback_query.answer()
