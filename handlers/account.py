"""Everyday commands for anyone: /me, /language and /help, each also reachable by button."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import menus
from bot.deps import deps
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, tr
from bot.keyboards import button, parse
from handlers import labels
from handlers.common import answer_or_reply, current, domain_errors
from models.errors import N_, NotFound
from models.onboarding import memberships_of
from models.people import Person, grants_of, set_language
from models.permissions import MANAGERS
from models.places import ancestors, label

NOT_REGISTERED = N_("You are not registered yet. Send /start to join your community.")


@domain_errors
async def me(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show my households (with their approval state) and my roles."""
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotFound(NOT_REGISTERED)
        lines = [_("<b>{name}</b> · {language}", name=escape(person.name),
                   language=LANGUAGE_NAMES[person.language])]
        views = await memberships_of(session, person.id)
        lines.append(_("<b>My households</b>"))
        lines += [f"• {escape(v.label)} — {labels.relation(_, v.membership.relation)} "
                  f"({labels.status(_, v.membership.status)})" for v in views]
        if not views:
            lines.append(_("none yet"))
        grants = await grants_of(session, person.id)
        if grants:
            lines.append(_("<b>My roles</b>"))
            for grant, place in grants:
                where = label(await ancestors(session, place)) or place.name
                lines.append(f"• {labels.role(_, grant.role)} — {escape(where)}")
    markup = InlineKeyboardMarkup([[button(_("Add a household"), "j:p:0:0")]])
    await answer_or_reply(update, "\n".join(lines), markup, answer_query=True)


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the languages as buttons."""
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
    if person is None:
        await answer_or_reply(update, _(NOT_REGISTERED), answer_query=True)
        return
    markup = InlineKeyboardMarkup([[
        button(("✓ " if lang == person.language else "") + LANGUAGE_NAMES[lang],
               f"lang:set:{lang}") for lang in LANGUAGES
    ]])
    await answer_or_reply(update, _("Please choose your language"), markup, answer_query=True)


@domain_errors
async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language and answer in it."""
    data = parse(update.callback_query.data)
    if data is None or data.action == "menu":
        await language(update, context)
        return
    chosen = data.args[0] if data.args and data.args[0] in LANGUAGES else None
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None or chosen is None:
            await update.callback_query.answer(_(NOT_REGISTERED), show_alert=True)
            return
        person = await set_language(session, person_id=person.id, language=chosen)
        await session.commit()
        await menus.refresh_for(context.bot, session, person)
    _ = tr(chosen)
    await answer_or_reply(update, _("Language set to {language}.",
                                    language=LANGUAGE_NAMES[chosen]), answer_query=True)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what I can do here, for my roles, with a button for each."""
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if update.effective_chat is not None and update.effective_chat.type != "private":
            await answer_or_reply(update, _("I am linli, your community's assistant. Talk to "
                                            "me in a private chat: open my profile and press "
                                            "Start."))
            return
        staff, markup = await menu_for(session, person, _)
    lines = [_("<b>What I can do</b>")]
    lines += [f"/{name} — {_(text)}"
              for name, text in menus.RESIDENT_COMMANDS + (menus.STAFF_COMMANDS if staff else ())]
    await answer_or_reply(update, "\n".join(lines), markup, answer_query=True)


async def menu_for(session: AsyncSession, person: Person | None,
                   _: Translator) -> tuple[bool, InlineKeyboardMarkup]:
    """The buttons of what this person can do (and whether they are staff)."""
    if person is None:
        return False, InlineKeyboardMarkup([[button(_("Join your community"),
                                                    f"ob:l:{_.language}:")]])
    roles = {g.role for g, _p in await grants_of(session, person.id)}
    staff = bool(roles & set(MANAGERS))
    keyboard = [[button(_("Join a household"), "j:p:0:0"), button(_("My information"), "me:show")],
                [button(_("Language"), "lang:menu")]]
    keyboard.append([button(_("Notices"), "nl"), button(_("Pledges"), "pl:list")])
    if staff:
        keyboard.append([button(_("Join requests"), "m:list")])
        keyboard.append([button(_("📢 New notice"), "nt:new"),
                         button(_("Groups of people"), "tg:start")])
        keyboard.append([button(_("📜 Write or follow pledges"), "pa:list")])
    return staff, InlineKeyboardMarkup(keyboard)
