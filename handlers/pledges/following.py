"""Following a published pledge (staff and grid workers): its state, progress per building and
unit with who has not signed, reminders, signing on a resident's behalf (代签), CSV/XLSX exports
and QR posters. Each view is limited to the viewer's part of the pledge (a grid worker sees
their grid), and every button's pledge and place ids are re-checked by the verbs.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import keyboard, paged
from bot.exports import csv_bytes, xlsx_bytes
from bot.feature import Call
from bot.i18n import LANGUAGE_NAMES, N_
from bot.posters import poster_png
from handlers.pledges.buttons import (
    AssistConfirm,
    AssistList,
    AssistPick,
    Export,
    Manage,
    Poster,
    Progress,
    ProgressPage,
    Remind,
)
from handlers.pledges.drafting import show_step, staff
from handlers.pledges.rendering import (
    manage_keyboard,
    signer_word,
    signers_label,
    status_of,
    title,
)
from models import pledges
from models.places import PlaceKind
from models.pledges import NOT_SIGNED_SHOWN, PledgeStatus, Signers
from models.telegram_limits import CAPTION, button_label, fit_lines, shorten

EXPORT_HEADER = (N_("Name"), N_("Household"), N_("Version"), N_("Signed at"), N_("How"),
                 N_("Assisted by"), N_("Verification code"), N_("Language of the text"),
                 N_("Fingerprint of the text (SHA-256)"))
HOW = {"self": N_("self"), "assisted": N_("assisted")}


async def manage(call: Call[Manage]) -> None:
    """Show a pledge's state; drafts continue where they stopped."""
    _, me = call._, await staff(call)
    pledge = await pledges.get_pledge(call.session, call.data.pledge_id)
    if pledge.status == PledgeStatus.DRAFT:
        draft = await pledges.resume_draft(call.session, pledge_id=pledge.id, author=me)
        await show_step(call, draft, me)
        return
    seen = await pledges.summary(call.session, pledge=pledge, by=me)
    await call.edit("\n".join([
        f"📜 <b>{title(_, pledge)}</b>",
        _("{place} · signed by {signers}", place=escape(seen.where),
          signers=signers_label(_, pledge.signers)),
        _("Status: {status} · version {version} · until {date}", status=status_of(_, pledge),
          version=pledge.version, date=_.deadline(pledge.ended_at())),
        _("Signed: {signed} / {expected}", signed=seen.signed, expected=seen.expected),
    ]), manage_keyboard(_, pledge))


async def progress(call: Call[Progress | ProgressPage]) -> None:
    """Progress under a node (0: my part of the pledge), per child place, and at building or
    unit level the names of those who have not signed."""
    _, data = call._, call.data
    report = await pledges.progress_report(call.session, pledge_id=data.pledge_id,
                                           by=await staff(call), node_id=data.node_id)
    pid, node = report.pledge.id, report.node
    lines = [_("📊 <b>{title}</b> — {place}", title=title(_, report.pledge),
               place=escape(report.where)),
             _("Signed: {signed} / {expected} {what}", signed=report.signed,
               expected=report.expected, what=signer_word(_, report.pledge))]
    if not Signers(report.pledge.signers).per_household:
        # the lines below count households (a person with two flats is in two of them)
        lines[-1] += " · " + _("households where all have signed: {done} / {households}",
                               done=report.households_done, households=report.households)
    lines.append("")
    lines += [f"{escape(t.name)}: {t.households_done} / {t.households}"
              for t in report.tallies[:60]]
    if report.missing:
        lines += ["", _("<b>Not signed yet:</b>")]
        lines += [f"• {escape(m.building)} {escape(m.unit)} {escape(m.room)} — "
                  f"{escape(m.name)}" for m in report.missing[:NOT_SIGNED_SHOWN]]
        if len(report.missing) > NOT_SIGNED_SHOWN:
            lines.append(_("… and more: open a unit to see all of them."))
    rows: list[list[InlineKeyboardButton]] = []
    if node.kind != PlaceKind.UNIT:
        items = [(button_label(t.name, f" {t.households_done}/{t.households}"),
                  Progress(pid, t.place_id))
                 for t in report.tallies]
        rows += [list(r) for r in paged(items, page=data.page, per_page=24,
                                        page_data=lambda n: ProgressPage(pid, node.id, n),
                                        ).inline_keyboard]
    if node.kind == PlaceKind.BUILDING:
        rows.append([Poster(pid, node.id).button(_("🖼 Poster for {place}",
                                                   place=node.name_in(_.language)))])
    # one level up (a building's grid), or the pledge's page from the top of my part of it
    rows.append([(Manage(pid) if report.up is None else Progress(pid, report.up)).button(
        _("◀ Back"))])
    await call.edit(fit_lines(lines), InlineKeyboardMarkup(rows))


async def remind(call: Call[Remind]) -> None:
    """Remind those in my part of the pledge who have not signed (once a day at most)."""
    sent = await pledges.remind_non_signers(call.session, pledge_id=call.data.pledge_id,
                                            by=await staff(call))
    call.wake_outbox()
    await call.toast(call._("Reminders sent to {count} people who have not signed (each person "
                            "at most once a day).", count=sent), alert=True)


async def assist_list(call: Call[AssistList]) -> None:
    """Whom to sign for: those in my part of the pledge who have not signed, a page at a time."""
    _, pid = call._, call.data.pledge_id
    _pledge, missing = await pledges.assist_choices(call.session, pledge_id=pid,
                                                    by=await staff(call))
    items = [(shorten(f"{m.name} {m.building}{m.unit}{m.room}", 40),
              AssistPick(pid, m.person_id)) for m in missing]
    markup = paged(items, page=call.data.page, page_data=lambda n: AssistList(pid, n),
                   per_page=12, columns=1, extra=[Manage(pid).button(_("◀ Back"))])
    await call.edit(_("Whom do you sign for? Only for a resident who read the pledge (or had it "
                      "read to them) and agreed in person.") if missing
                    else _("Everyone in your area has signed."), markup)


async def assist_pick(call: Call[AssistPick]) -> None:
    """Confirm signing for this resident (their name shown only to someone responsible)."""
    _, data = call._, call.data
    pledge, resident = await pledges.assisted_candidate(
        call.session, pledge_id=data.pledge_id, resident_id=data.person_id, by=await staff(call))
    await call.edit(_("Sign «{title}» on behalf of {name}? They agreed in person; the "
                      "signature is recorded as assisted by you.",
                      title=escape(pledge.title), name=escape(resident.name)),
                    keyboard([(_("✅ Confirm"), AssistConfirm(pledge.id, resident.id,
                                                             pledge.version)),
                              (_("Cancel"), AssistList(pledge.id, 0))]))


async def assist_confirm(call: Call[AssistConfirm]) -> None:
    """Sign as assisted; the resident gets the certificate."""
    _, data = call._, call.data
    done = await pledges.sign_for_resident(
        call.session, pledge_id=data.pledge_id, resident_id=data.person_id,
        version=data.version, by=await staff(call), tz=call.tz)
    call.wake_outbox()
    await call.edit(_("✅ Signed for {name} (assisted). Code: <code>{code}</code>",
                      name=escape(done.person.name), code=done.signature.code),
                    keyboard([(_("Sign for another resident"), AssistList(data.pledge_id, 0))],
                             [(_("◀ Back"), Manage(data.pledge_id))]))


async def export(call: Call[Export]) -> None:
    """Send the signatures in my part of the pledge as CSV or XLSX."""
    _, kind = call._, call.data.file_format
    pledge, rows = await pledges.export_signatures(
        call.session, pledge_id=call.data.pledge_id, by=await staff(call), file_format=kind)
    header = [_(h) for h in EXPORT_HEADER]
    table = [(r.name, r.household, r.version, r.signed_at.astimezone(call.tz), _(HOW[r.how]),
              r.assisted_by or "", r.code, LANGUAGE_NAMES.get(r.language, r.language),
              r.text_hash) for r in rows]
    payload = (csv_bytes(header, table) if kind == "csv"
               else xlsx_bytes(header, table, sheet=_("Signatures")))
    await call.send_document(payload, f"pledge-{pledge.id}.{kind}", shorten(
        _("{title}: {count} signatures", title=pledge.title, count=len(rows)), CAPTION))


async def poster(call: Call[Poster]) -> None:
    """A printable QR poster that opens the pledge (optionally for one building)."""
    _ = call._
    pledge, where, start = await pledges.poster_target(
        call.session, pledge_id=call.data.pledge_id, by=await staff(call),
        building_id=call.data.building_id)
    link = f"https://t.me/{call.context.bot.username}?start={start}"
    png = poster_png(title=pledge.title, link=link, place=where,
                     caption=_("Scan to read and sign"))
    await call.send_photo(png, shorten(_("Poster for «{title}»: {link}", title=pledge.title,
                                         link=link), CAPTION), filename=f"pledge-{pledge.id}.png")

