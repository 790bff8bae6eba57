"""Following a published pledge (staff and grid workers): its state, progress per building and
unit with who has not signed, reminders, signing on a resident's behalf (代签), CSV/XLSX exports,
QR posters, a new version of the text, extending and closing early.

Each view is limited to the viewer's part of the pledge (`viewer_paths`: a grid worker sees
their grid), and every button's pledge and place ids are re-checked by the services.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.exports import csv_bytes, xlsx_bytes
from bot.i18n import N_, Translator
from bot.keyboards import StaleButton, button, paged, parse
from bot.outbox import Rendered
from bot.posters import poster_png
from handlers.common import domain_errors, edit
from handlers.pledge_admin import (
    closed_rows,
    manage_keyboard,
    say,
    show_step,
    staff,
    status_of,
)
from handlers.pledges import place_label, signers_label
from handlers.pledges import tz as community_tz
from models.base import utcnow
from models.errors import NotAllowed, NotFound
from models.people import Person
from models.permissions import MANAGERS, require_scope_over_person
from models.places import Place, PlaceKind, ancestors, get_place, label
from models.pledge_changes import ask_to_resign, begin_edit, close_early, extend, save_version
from models.pledge_progress import (
    non_signers,
    progress,
    remind,
    signature_rows,
    tally_by_child,
    totals,
    viewer_paths,
)
from models.pledge_signing import local_date, local_time, sign
from models.pledges import Pledge, PledgeStatus, Signers, get_pledge, place_of, require_manager
from models.telegram_limits import CAPTION, button_label, fit_lines, shorten

NOT_SIGNED_SHOWN = 40


async def render_closed(session: AsyncSession, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    """To the author when signing has ended: the final tally over the whole pledge, with
    what to do next (see who has not signed, export, give them a week more)."""
    pledge = await session.get(Pledge, int(payload["pledge_id"]))
    if pledge is None or pledge.is_open(utcnow()):
        return None  # extended meanwhile
    expected, signed = await totals(session, pledge=pledge,
                                    paths=[(await place_of(session, pledge)).path])
    text = "\n".join([
        _("🔒 Signing ended on {date}: <b>{title}</b> — {place}",
          date=local_date(pledge.ended_at(), community_tz()), title=escape(pledge.title),
          place=escape(await place_label(session, pledge))),
        _("Signed: {signed} / {expected} {what}", signed=signed, expected=expected,
          what=signer_word(_, pledge)),
        _("Download the signatures for your records, or give those who have not signed 7 "
          "more days."),
    ])
    return Rendered(text, InlineKeyboardMarkup(closed_rows(_, pledge.id)))


def signer_word(_: Translator, pledge: Pledge) -> str:
    return _("households") if Signers(pledge.signers).per_household else _("people")


RENDERERS = {"pledge.closed": render_closed}


@domain_errors
async def manage_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a pledge's state; drafts continue where they stopped."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    tz = deps(context).settings.tz
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        pledge = await get_pledge(session, data.int(0))
        if pledge.status == PledgeStatus.DRAFT:
            if pledge.created_by_id != person.id:
                raise NotAllowed()
            await show_step(update, context, session, _, pledge, person)
            await query.answer()
            return
        paths = await viewer_paths(session, person, pledge)
        expected, signed = await totals(session, pledge=pledge, paths=paths)
        where = await place_label(session, pledge)
    text = "\n".join([
        f"📜 <b>{escape(pledge.title)}</b>",
        _("{place} · signed by {signers}", place=escape(where),
          signers=signers_label(_, pledge.signers)),
        _("Status: {status} · version {version} · until {date}", status=status_of(_, pledge),
          version=pledge.version, date=local_time(pledge.ended_at(), tz)),
        _("Signed: {signed} / {expected}", signed=signed, expected=expected),
    ])
    await edit(update, text, manage_keyboard(_, pledge))
    await query.answer()


@domain_errors
async def progress_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Progress under a node (0: my part of the pledge), per child place, and at building or
    unit level the names of those who have not signed."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    pid, node_id = data.int(0), data.int(1)
    page = data.int(2) if len(data.args) > 2 else 0
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        pledge = await get_pledge(session, pid)
        paths = await viewer_paths(session, person, pledge)
        if node_id:
            node = await get_place(session, node_id)
            if not any(node.path.startswith(p) for p in paths):
                raise NotAllowed()
            paths = [node.path]
        else:
            node = await place_of_path(session, paths[0])
        units = await progress(session, pledge=pledge, paths=paths)
        tallies = await tally_by_child(session, units, node)
        where = label(await ancestors(session, node)) or node.name
        missing = []
        if node.kind in (PlaceKind.BUILDING, PlaceKind.UNIT):
            missing = await non_signers(session, pledge=pledge, paths=paths,
                                        limit=NOT_SIGNED_SHOWN + 1)
        # each signer once: a person with homes in two buildings is in two of the tallies
        expected, signed = await totals(session, pledge=pledge, paths=paths)
    lines = [_("📊 <b>{title}</b> — {place}", title=escape(pledge.title), place=escape(where)),
             _("Signed: {signed} / {expected} {what}", signed=signed, expected=expected,
               what=signer_word(_, pledge)), ""]
    lines += [f"{escape(t.name)}: {t.signed} / {t.expected}" for t in tallies[:60]]
    if missing:
        lines += ["", _("<b>Not signed yet:</b>")]
        lines += [f"• {escape(m.building)} {escape(m.unit)} {escape(m.room)} — "
                  f"{escape(m.name)}" for m in missing[:NOT_SIGNED_SHOWN]]
        if len(missing) > NOT_SIGNED_SHOWN:
            lines.append(_("… and more: open a unit to see all of them."))
    rows: list[list[InlineKeyboardButton]] = []
    if node.kind != PlaceKind.UNIT:
        items = [(button_label(t.name, f" {t.signed}/{t.expected}"), f"pa:pg:{pid}:{t.place_id}")
                 for t in tallies]
        rows += [list(r) for r in paged(items, page=page,
                                        page_data=f"pa:pg:{pid}:{node.id}:{{page}}",
                                        per_page=24).inline_keyboard]
    if node.kind == PlaceKind.BUILDING:
        rows.append([button(_("🖼 Poster for {place}", place=node.name),
                            f"pa:qr:{pid}:{node.id}")])
    rows.append([button(_("◀ Back"), f"pa:m:{pid}")])
    await edit(update, fit_lines(lines), InlineKeyboardMarkup(rows))
    await query.answer()


async def place_of_path(session: AsyncSession, path: str) -> Place:
    return await get_place(session, int(path.strip("/").split("/")[-1]))


@domain_errors
async def remind_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind those in my part of the pledge who have not signed (once a day at most)."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        sent = await remind(session, pledge_id=data.int(0), by=person)
    deps(context).wake_outbox()
    await query.answer(_("Reminders sent to {count} people who have not signed (each person "
                         "at most once a day).", count=sent), show_alert=True)


@domain_errors
async def assist_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sign for a resident who agreed in person: pick them, confirm, sign as assisted."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    pid = data.int(0)
    async with deps(context).db.session() as session:
        helper, _ = await staff(session, update, context)
        pledge = await get_pledge(session, pid)
        if data.action == "as":  # the list of those who have not signed, a page at a time
            paths = await viewer_paths(session, helper, pledge)
            missing = await non_signers(session, pledge=pledge, paths=paths, limit=240)
            items = [(shorten(f"{m.name} {m.building}{m.unit}{m.room}", 40),
                      f"pa:ap:{pid}:{m.person_id}") for m in missing]
            markup = paged(items, page=data.int(1), page_data=f"pa:as:{pid}:{{page}}",
                           per_page=12, columns=1, extra=[button(_("◀ Back"), f"pa:m:{pid}")])
            text = (_("Whom do you sign for? Only for a resident who read the pledge (or had it "
                      "read to them) and agreed in person.") if missing
                    else _("Everyone in your area has signed."))
            await edit(update, text, markup)
        elif data.action == "ap":
            resident = await session.get(Person, data.int(1))
            if resident is None:
                raise NotFound()
            await require_manager_or_view(session, helper, pledge)
            # a name is shown only to someone responsible for one of the resident's homes
            await require_scope_over_person(session, person_id=resident.id, by=helper,
                                            roles=MANAGERS)
            await edit(update, _("Sign «{title}» on behalf of {name}? They agreed in person; the "
                                 "signature is recorded as assisted by you.",
                                 title=escape(pledge.title), name=escape(resident.name)),
                       InlineKeyboardMarkup([[button(
                           _("✅ Confirm"), f"pa:ac:{pid}:{resident.id}:{pledge.version}"),
                           button(_("Cancel"), f"pa:as:{pid}:0")]]))
        elif data.action == "ac":
            resident = await session.get(Person, data.int(1))
            if resident is None:
                raise NotFound()
            done = await sign(session, pledge_id=pid, person=resident, version=data.int(2),
                              assisted_by=helper, tz=deps(context).settings.tz)
            deps(context).wake_outbox()
            await edit(update, _("✅ Signed for {name} (assisted). Code: <code>{code}</code>",
                                 name=escape(resident.name), code=done.signature.code),
                       InlineKeyboardMarkup([[button(_("Sign for another resident"),
                                                     f"pa:as:{pid}:0")],
                                             [button(_("◀ Back"), f"pa:m:{pid}")]]))
        else:
            raise StaleButton()
    await query.answer()


async def require_manager_or_view(session: AsyncSession, person: Person, pledge: Pledge) -> None:
    await viewer_paths(session, person, pledge)


EXPORT_HEADER = (N_("Name"), N_("Household"), N_("Version"), N_("Signed at"), N_("How"),
                 N_("Assisted by"), N_("Verification code"))
HOW = {"self": N_("self"), "assisted": N_("assisted")}


@domain_errors
async def export_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the signatures in my part of the pledge as CSV or XLSX."""
    query = update.callback_query
    data = parse(query.data)
    if data is None or len(data.args) < 2 or data.args[1] not in ("csv", "xlsx"):
        raise StaleButton()
    tz = deps(context).settings.tz
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        pledge, rows = await signature_rows(session, pledge_id=data.int(0), by=person)
    header = [_(h) for h in EXPORT_HEADER]
    table = [(r.name, r.household, r.version, r.signed_at.astimezone(tz), _(HOW[r.how]),
              r.assisted_by or "", r.code) for r in rows]
    if data.args[1] == "csv":
        payload, name = csv_bytes(header, table), f"pledge-{pledge.id}.csv"
    else:
        payload = xlsx_bytes(header, table, sheet=_("Signatures"))
        name = f"pledge-{pledge.id}.xlsx"
    await context.bot.send_document(
        update.effective_chat.id, InputFile(payload, filename=name),
        caption=shorten(_("{title}: {count} signatures", title=pledge.title, count=len(rows)),
                        CAPTION))
    await query.answer()


@domain_errors
async def poster_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A printable QR poster that opens the pledge (optionally for one building)."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    pid, building_id = data.int(0), data.int(1)
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        pledge = await get_pledge(session, pid)
        paths = await viewer_paths(session, person, pledge)
        where = await place_label(session, pledge)
        start = f"pledge_{pid}"
        if building_id:
            building = await get_place(session, building_id)
            if not any(building.path.startswith(p) for p in paths):
                raise NotAllowed()
            where = label(await ancestors(session, building))
            start += f"_{building_id}"
    link = f"https://t.me/{context.bot.username}?start={start}"
    png = poster_png(title=pledge.title, link=link, place=where,
                     caption=_("Scan to read and sign"))
    await context.bot.send_photo(update.effective_chat.id,
                                 InputFile(png, filename=f"pledge-{pid}.png"),
                                 caption=shorten(_("Poster for «{title}»: {link}",
                                                   title=pledge.title, link=link), CAPTION))
    await query.answer()


@domain_errors
async def change_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """New text, re-sign requests, +7 days, close now (with a confirmation)."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    pid, action = data.int(0), data.action
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        back = InlineKeyboardMarkup([[button(_("◀ Back"), f"pa:m:{pid}")]])
        if action == "ed":
            await begin_edit(session, pledge_id=pid, by=person)
            await edit(update, _("Send the new full text of the pledge (in several messages if "
                                 "long), then press Save. Signatures of the current version "
                                 "stay valid for it."), back)
        elif action == "sv":
            new = await save_version(session, pledge_id=pid, by=person)
            rows = [[button(_("Ask them to sign again"), f"pa:rs:{pid}")]] \
                if new.older_signatures else []
            await say(update, _("Saved as version {version}. {count} signature(s) are for an "
                                "earlier version.", version=new.pledge.version,
                                count=new.older_signatures),
                      InlineKeyboardMarkup(rows + list(back.inline_keyboard)))
        elif action == "rs":
            asked = await ask_to_resign(session, pledge_id=pid, by=person)
            deps(context).wake_outbox()
            await edit(update, _("Asked {count} people to sign the new version.", count=asked),
                       back)
        elif action == "xt":
            days = data.int(1)
            if days != 7:
                raise StaleButton()
            pledge = await extend(session, pledge_id=pid, by=person, days=days)
            await edit(update, _("Extended: signing is open until {date}.",
                                 date=local_time(pledge.closes_at, deps(context).settings.tz)),
                       back)
        elif action == "cl":
            pledge = await get_pledge(session, pid)
            await require_manager(session, person, pledge)
            await edit(update, _("Close «{title}» now? Nobody can sign after that.",
                                 title=escape(pledge.title)),
                       InlineKeyboardMarkup([[button(_("⏹ Close now"), f"pa:cc:{pid}"),
                                              button(_("Cancel"), f"pa:m:{pid}")]]))
        elif action == "cc":
            pledge = await close_early(session, pledge_id=pid, by=person)
            deps(context).wake_outbox()  # the final tally, to the author
            await edit(update, _("Closed on {date}.",
                                 date=local_date(pledge.closed_at, deps(context).settings.tz)),
                       back)
        else:
            raise StaleButton()
    await query.answer()
