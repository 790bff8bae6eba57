"""Everyday commands for anyone: /me, /language and /help, each also reachable by button; and
`linli admin`, where roles are granted by hand (the first staff member is made there), and
`linli admin committee`, where staff seat an estate's owners' committee."""

from __future__ import annotations

import argparse
import asyncio
from html import escape
from typing import Literal

from bot import menus
from bot.buttons import ButtonData, keyboard
from bot.cli import Fail, load_settings, with_db
from bot.db import Database
from bot.feature import Call, CliCommand, Command, Feature, MenuButton, MenuCommand, On
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, tr
from handlers import labels
from handlers.places_picker import HomePick
from models import roles
from models.estates import Body
from models.onboarding import memberships_of
from models.people import Role, roles_of, set_language

Language = Literal[LANGUAGES]  # type: ignore[valid-type]


class ShowMe(ButtonData, prefix="me"):
    """My information (any `me:…` shows it)."""

    what: str = "show"


class LanguageMenu(ButtonData, prefix="lang:menu"):
    pass


class SetLanguage(ButtonData, prefix="lang:set"):
    language: Language


async def me(call: Call[ShowMe | None]) -> None:
    """Show my households (with their approval state) and my roles."""
    person, _ = call.me, call._
    lines = [_("<b>{name}</b> · {language}", name=escape(person.name),
               language=LANGUAGE_NAMES[person.language])]
    views = await memberships_of(call.session, person.id, language=_.language)
    lines.append(_("<b>My households</b>"))
    lines += [f"• {escape(v.label)} — {labels.relation(_, v.membership.relation)} "
              f"({labels.status(_, v.membership.status)})" for v in views]
    if not views:
        lines.append(_("none yet"))
    roles = await roles_of(call.session, person.id, language=_.language)
    if roles:
        lines.append(_("<b>My roles</b>"))
        lines += [f"• {labels.role(_, role)} — {escape(where)}" for role, where in roles]
    await call.show("\n".join(lines), keyboard([(_("Add a household"), HomePick(0, 0))]))


async def language(call: Call[LanguageMenu | None]) -> None:
    """Offer the languages as buttons."""
    person = call.me
    await call.show(call._("Please choose your language"), keyboard([
        (("✓ " if lang == person.language else "") + LANGUAGE_NAMES[lang], SetLanguage(lang))
        for lang in LANGUAGES]))


async def choose_language(call: Call[SetLanguage]) -> None:
    """Store the chosen language and answer in it."""
    chosen = call.data.language
    person = await set_language(call.session, person_id=call.me.id, language=chosen)
    await menus.refresh_for(call.context.bot, call.session, person)
    _ = tr(chosen, call.tz)
    await call.show(_("Language set to {language}.", language=LANGUAGE_NAMES[chosen]))


async def help_command(call: Call[None]) -> None:
    """List what I can do here, for my roles, with a button for each."""
    _ = call._
    if call.update.effective_chat is not None and call.update.effective_chat.type != "private":
        await call.reply(_("I am linli, your community's assistant. Talk to me in a private "
                           "chat: open my profile and press Start."))
        return
    staff, markup = await call.menu()
    lines = [_("<b>What I can do</b>")]
    lines += [f"/{c.name} — {_(c.description)}" for c in menus.commands_for(staff)]
    await call.show("\n".join(lines), markup)


# --- linli admin grant / revoke / list ------------------------------------------------------


def _place_names(text: str) -> list[str]:
    names = [part.strip() for part in text.split("/") if part.strip()]
    if not names:
        raise Fail("--place needs the place's names from the top, e.g. '城东街道/阳光社区'.")
    return names


def cmd_admin_grant(args: argparse.Namespace, *, revoke: bool = False) -> None:
    settings = load_settings()
    names, role = _place_names(args.place), Role(args.role)

    async def work(db: Database) -> str:
        async with db.session() as session:
            if revoke:
                if not await roles.revoke(session, telegram_id=args.telegram_id,
                                          place_names=names, role=role):
                    return f"Nothing to revoke: {args.telegram_id} is not {args.role} there."
                return f"Revoked {args.role} on {args.place} from {args.telegram_id}."
            if not await roles.grant(session, telegram_id=args.telegram_id, place_names=names,
                                     role=role, name=args.name or str(args.telegram_id),
                                     language=settings.default_language):
                return f"{args.telegram_id} already is {args.role} on {args.place}."
            return (f"Granted {args.role} on {args.place} to {args.telegram_id}. Their command "
                    "menu updates when the bot next starts.")

    print(asyncio.run(with_db(settings, work)))


def cmd_admin_list(args: argparse.Namespace) -> None:
    async def work(db: Database) -> list[str]:
        async with db.session() as session:
            held = await roles.role_holders(session, Role(args.role) if args.role else None)
        return [f"{h.role:<12} {h.telegram_id:<14} {h.name:<20} {'/'.join(h.place_names)}"
                for h in held]

    lines = asyncio.run(with_db(load_settings(), work))
    print("\n".join(lines) if lines else "No roles granted yet. Use `linli admin grant`.")


def _estate_names(text: str) -> list[str]:
    names = [part.strip() for part in text.split("/") if part.strip()]
    if len(names) < 2:
        raise Fail("--estate needs the community's names from the top and the estate's name, "
                   "e.g. '城东街道/阳光社区/阳光花园'.")
    return names


def cmd_committee_grant(args: argparse.Namespace, *, revoke: bool = False) -> None:
    settings = load_settings()
    names, who = _estate_names(args.estate), args.telegram_id

    async def work(db: Database) -> str:
        async with db.session() as session:
            if revoke:
                if not await roles.revoke_seat(session, telegram_id=who, estate_names=names):
                    return f"Nothing to revoke: {who} holds no seat of {args.estate}."
                return f"Revoked {who}'s seat of {args.estate}."
            if not await roles.grant_seat(session, telegram_id=who, estate_names=names,
                                          body=Body(args.body), name=args.name or str(who),
                                          language=settings.default_language):
                return f"{who} already sits on the {args.body} of {args.estate}."
            return f"Seated {who} on the {args.body} of {args.estate}."

    print(asyncio.run(with_db(settings, work)))


def cmd_committee_list(args: argparse.Namespace) -> None:
    names = None if args.estate is None else _estate_names(args.estate)

    async def work(db: Database) -> list[str]:
        async with db.session() as session:
            held = await roles.seat_holders(session, names)
        return [f"{h.body:<12} {h.telegram_id:<14} {h.name:<20} {'/'.join(h.estate_names)}"
                for h in held]

    lines = asyncio.run(with_db(load_settings(), work))
    print("\n".join(lines) if lines else "No seats yet. Use `linli admin committee grant`.")


def add_committee(adms: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    com = adms.add_parser(
        "committee", help="seats of an estate's owners' committee or preparatory group",
        description="Grant, revoke and list the seats of an estate's owners' committee "
                    "(业主委员会) or preparatory group (筹备组). Their members convene the "
                    "estate's owners' decisions with the community's staff.")
    coms = com.add_subparsers(dest="committee_command", required=True, metavar="ACTION")
    estate_help = ("the estate: its community's names from the top and its own name, "
                   "separated by '/', e.g. '城东街道/阳光社区/阳光花园'")
    for name, helptext in (("grant", "give a person a seat (or move them to the other body)"),
                           ("revoke", "take a person's seat away")):
        g = coms.add_parser(name, help=helptext, description=helptext.capitalize() + ".")
        g.add_argument("--telegram-id", type=int, required=True,
                       help="the person's numeric Telegram user id")
        g.add_argument("--estate", required=True, help=estate_help)
        if name == "grant":
            g.add_argument("--body", choices=[b.value for b in Body], default="committee",
                           help="the owners' committee (default) or the preparatory group")
            g.add_argument("--name", help="display name until the person opens the bot")
            g.set_defaults(func=cmd_committee_grant)
        else:
            g.set_defaults(func=lambda a: cmd_committee_grant(a, revoke=True))
    lst = coms.add_parser("list", help="list the seats", description="List the seats.")
    lst.add_argument("--estate", help="only this estate (" + estate_help + ")")
    lst.set_defaults(func=cmd_committee_list)


def add_admin(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    adm = sub.add_parser("admin", help="grant and revoke roles",
                         description="Grant, revoke and list roles (the first staff member is "
                                     "made here).")
    adms = adm.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    choices = [r.value for r in Role]
    for name, helptext in (("grant", "grant a role on a place and everything under it"),
                           ("revoke", "take a role away")):
        g = adms.add_parser(name, help=helptext, description=helptext.capitalize() + ".")
        g.add_argument("--telegram-id", type=int, required=True,
                       help="the person's numeric Telegram user id")
        g.add_argument("--role", choices=choices, required=True)
        g.add_argument("--place", required=True,
                       help="place names from the top, separated by '/', e.g. "
                            "'城东街道/阳光社区'")
        if name == "grant":
            g.add_argument("--name", help="display name until the person opens the bot")
            g.set_defaults(func=cmd_admin_grant)
        else:
            g.set_defaults(func=lambda a: cmd_admin_grant(a, revoke=True))
    lst = adms.add_parser("list", help="list granted roles", description="List granted roles.")
    lst.add_argument("--role", choices=choices, help="only this role")
    lst.set_defaults(func=cmd_admin_list)
    add_committee(adms)


FEATURE = Feature(
    name="account",
    commands=[Command("me", me, hint=N_("👤 My information")), Command("language", language),
              Command("help", help_command, chats="all", hint=N_("❓ Help"))],
    buttons=[On(ShowMe, me), On(LanguageMenu, language), On(SetLanguage, choose_language)],
    menu=[MenuCommand("me", N_("My households and roles"), "resident", 20),
          MenuCommand("language", N_("Change language"), "resident", 90),
          MenuCommand("help", N_("What I can do here"), "resident", 99),
          MenuCommand("help", N_("What I can do here"), "group", 10)],
    menu_buttons=[MenuButton(N_("Join a household"), HomePick(0, 0), "resident", 10),
                  MenuButton(N_("My information"), ShowMe(), "resident", 10),
                  MenuButton(N_("Language"), LanguageMenu(), "resident", 20)],
    cli=[CliCommand(add_admin)],
)
