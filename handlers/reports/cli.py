"""`linli reports departments add|list`: the departments (责任部门) of a community — a name and
its members by Telegram id — until staff get buttons for them. The command line is trusted:
its actor is nobody, as `linli admin` (audited all the same)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from bot.cli import Fail, load_settings, with_db
from bot.db import Database
from models.errors import DomainError
from models.people import person_by_telegram
from models.places import find_by_names
from models.reports import departments


async def add(db: Database, place: str, name: str, members: Sequence[int]) -> str:
    async with db.session() as session:
        try:
            community = await find_by_names(session, place.split("/"))
        except DomainError:
            raise Fail(f"No place named {place}.") from None
        ids = []
        for telegram_id in members:
            person = await person_by_telegram(session, telegram_id)
            if person is None:
                raise Fail(f"Nobody with Telegram id {telegram_id} has used the bot yet.")
            ids.append(person.id)
        try:
            made = await departments.create(session, community=community, by=None, name=name,
                                            members=ids)
        except DomainError as error:
            raise Fail(str(error)) from None
        return f"Department «{made.name}» of {place} made, with {len(ids)} member(s)."


async def listing(db: Database, place: str) -> str:
    async with db.session() as session:
        try:
            community = await find_by_names(session, place.split("/"))
        except DomainError:
            raise Fail(f"No place named {place}.") from None
        rows = await departments.in_community(session, community)
        if not rows:
            return f"{place} has no departments yet."
        return "\n".join(f"{d.name}: " + (", ".join(f"{p.name} ({p.telegram_id})" for p in people)
                                          or "no members") for d, people in rows)


def cmd_add(args: argparse.Namespace) -> None:
    print(asyncio.run(with_db(load_settings(), lambda db: add(db, args.place, args.name,
                                                              args.member or []))))


def cmd_list(args: argparse.Namespace) -> None:
    print(asyncio.run(with_db(load_settings(), lambda db: listing(db, args.place))))


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reports = sub.add_parser("reports", help="photo reports: the departments that fix them",
                             description="Photo reports: the departments (责任部门) a report "
                                         "can be assigned to.")
    actions = reports.add_subparsers(dest="reports_command", required=True, metavar="ACTION")
    p = actions.add_parser("departments", help="add or list a community's departments",
                           description="Add or list the departments of a community.")
    what = p.add_subparsers(dest="departments_command", required=True, metavar="ACTION")
    a = what.add_parser("add", help="add a department with its members",
                        description="Add a department to the community PLACE (names from the "
                                    "top, joined by /), with members by Telegram id.")
    a.add_argument("--place", required=True, help="e.g. 城东街道/阳光社区")
    a.add_argument("--name", required=True, help="the department's name, e.g. 维修队")
    a.add_argument("--member", type=int, action="append",
                   help="a member's Telegram id (repeat for several)")
    a.set_defaults(func=cmd_add)
    ls = what.add_parser("list", help="list a community's departments and their members",
                         description="List the departments of the community PLACE.")
    ls.add_argument("--place", required=True, help="e.g. 城东街道/阳光社区")
    ls.set_defaults(func=cmd_list)
