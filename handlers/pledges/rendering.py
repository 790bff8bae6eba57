"""How pledges read: the header, the full text in parts, the certificate, the staff's menu of a
pledge, and the outbox renderers (the announcement, reminders, a request to sign again, an
assisted signature, the final tally to the author). Times are shown in the community's time
zone, which the translator carries (`_.tz`). A reader reads the pledge in their language where
it has a text in it (`pledges.text_in`), and is told plainly when it exists only in Chinese.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.buttons import keyboard
from bot.feature import Session
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.outbox import Rendered
from handlers.pledges.buttons import (
    AllPledges,
    AskClose,
    AssistList,
    Export,
    Extend,
    Manage,
    NewText,
    Poster,
    Progress,
    Read,
    Remind,
    Translate,
)
from models import pledges
from models.base import utcnow
from models.people import Person
from models.pledges import Pledge, PledgeStatus, Signature, SignedHow, Signers
from models.telegram_limits import MESSAGE, shorten, split, visible_len

# Under each part of a long pledge: "\n(3/12)".
COUNTER_ROOM = 12
TEASER = 300  # UTF-16 units of the text shown in a notice about the pledge
SIGNERS = {
    Signers.RESIDENT: N_("every registered resident"),
    Signers.HOUSEHOLD: N_("one person per household"),
    Signers.OWNER: N_("owners only"),
    Signers.LANDLORD: N_("landlords of rented households"),
}
STATUS = {PledgeStatus.DRAFT: N_("draft"), PledgeStatus.OPEN: N_("open"),
          PledgeStatus.CLOSED: N_("closed")}


def signers_label(_: Translator, signers: str) -> str:
    return _(SIGNERS[Signers(signers)])


def signer_word(_: Translator, pledge: Pledge) -> str:
    return _("households") if Signers(pledge.signers).per_household else _("people")


def status_of(_: Translator, pledge: Pledge) -> str:
    if pledge.status == PledgeStatus.OPEN and not pledge.is_open(utcnow()):
        return _(STATUS[PledgeStatus.CLOSED])
    return _(STATUS[PledgeStatus(pledge.status)])


def title(_: Translator, pledge: Pledge) -> str:
    """The pledge's title in the reader's language (or its own), escaped."""
    return escape(pledges.text_in(pledge, _.language).title)


def header(_: Translator, pledge: Pledge, where: str) -> str:
    text = pledges.text_in(pledge, _.language)
    head = _("📜 <b>{title}</b>\n{place} · signed by {signers} · until {date}",
             title=escape(text.title), place=escape(where),
             signers=signers_label(_, pledge.signers), date=_.deadline(pledge.closes_at))
    if text.language != _.language:
        head += "\n" + _("ℹ️ This pledge exists only in Chinese. You can still read it and sign "
                         "it.")
    return head


def full_text(_: Translator, pledge: Pledge, where: str) -> list[str]:
    """The pledge as messages, HTML-escaped, the header on the first; each within Telegram's
    limit as it counts it (escaping adds nothing to what it counts)."""
    head = header(_, pledge, where)
    room = MESSAGE - COUNTER_ROOM
    body = pledges.text_in(pledge, _.language).body
    parts = split(body, room, first=room - visible_len(head) - 2)
    out = [escape(p) for p in parts]
    out[0] = head + "\n\n" + out[0]
    if len(out) > 1:
        out = [f"{p}\n({i}/{len(out)})" for i, p in enumerate(out, 1)]
    return out


def certificate(_: Translator, pledge: Pledge, person: Person, signature: Signature) -> str:
    """What was signed, by whom and when: the text's language, version and fingerprint."""
    signed = pledges.text_in(pledge, signature.language)
    lines = [_("✅ <b>Signed</b>: {title}", title=escape(signed.title)),
             _("Name: {name}", name=escape(person.name)),
             _("Time: {time}", time=_.when(signature.signed_at, zone=True)),
             _("Text: {language}, version {version}", version=signature.version,
               language=LANGUAGE_NAMES.get(signature.language, signature.language)),
             _("Fingerprint of the text (SHA-256): <code>{hash}</code>",
               hash=signature.text_hash[:16]),
             _("Verification code: <code>{code}</code>", code=signature.code)]
    if signature.how == SignedHow.ASSISTED:
        lines.append(_("Signed on your behalf by your grid worker, with your agreement."))
    return "\n".join(lines)


def back(_: Translator, pledge_id: int) -> InlineKeyboardMarkup:
    return keyboard([(_("◀ Back"), Manage(pledge_id))])


def closed_rows(_: Translator, pid: int) -> list[list[tuple[str, Any]]]:
    """A closed pledge: what is left is to look, download or reopen."""
    return [[(_("📊 Progress"), Progress(pid, 0)), (_("+7 days"), Extend(pid, 7))],
            [(_("⬇ CSV"), Export(pid, "csv")), (_("⬇ XLSX"), Export(pid, "xlsx"))]]


def manage_keyboard(_: Translator, pledge: Pledge) -> InlineKeyboardMarkup:
    pid = pledge.id
    if not pledge.is_open(utcnow()):
        return keyboard(*closed_rows(_, pid), [(_("◀ All pledges"), AllPledges())])
    translate = ([[(_("🌐 Add the English text"), Translate(pid, "en"))]]
                 if "en" not in pledges.translated(pledge) else [])
    return keyboard(
        [(_("📊 Progress"), Progress(pid, 0)),
         (_("⏰ Remind those who have not signed"), Remind(pid))],
        [(_("✍️ Sign for a resident"), AssistList(pid, 0)), (_("🖼 QR poster"), Poster(pid, 0))],
        [(_("⬇ CSV"), Export(pid, "csv")), (_("⬇ XLSX"), Export(pid, "xlsx"))],
        [(_("✏️ New version of the text"), NewText(pid)), (_("+7 days"), Extend(pid, 7)),
         (_("⏹ Close now"), AskClose(pid))],
        *translate,
        [(_("◀ All pledges"), AllPledges())],
    )


# --- outbox renderers -----------------------------------------------------------------------


async def _teaser(session: Session, payload: dict[str, Any], _: Translator,
                  intro: str) -> Rendered | None:
    pledge = await pledges.find_pledge(session, int(payload["pledge_id"]))
    if pledge is None or pledge.status != PledgeStatus.OPEN:
        return None  # closed or withdrawn meanwhile: nothing to ask any more
    where = await pledges.where(session, pledge, language=_.language)
    body = shorten(pledges.text_in(pledge, _.language).body, TEASER)
    text = f"{intro}\n{header(_, pledge, where)}\n\n{escape(body)}"
    return Rendered(text, keyboard([(_("📖 Read and sign"), Read(pledge.id))]))


async def render_published(session: Session, payload: dict[str, Any],
                           _: Translator) -> Rendered | None:
    return await _teaser(session, payload, _, _("<b>New pledge</b> for your community:"))


async def render_reminder(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _teaser(session, payload, _,
                         _("⏰ <b>Reminder</b>: you have not signed this pledge yet."))


async def render_resign(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    return await _teaser(session, payload, _, _(
        "✏️ The text of a pledge you signed has changed. Please read the new version and sign "
        "again."))


async def render_assisted(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    view = await pledges.signature_view(session, int(payload["signature_id"]))
    if view is None:
        return None
    return Rendered(certificate(_, view.pledge, view.person, view.signature))


async def render_closed(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    """To the author when signing has ended: the final tally over the whole pledge, with
    what to do next (see who has not signed, export, give them a week more)."""
    pledge = await pledges.find_pledge(session, int(payload["pledge_id"]))
    if pledge is None or pledge.is_open(utcnow()):
        return None  # extended meanwhile
    tally = await pledges.summary(session, pledge=pledge, by=None, language=_.language)
    text = "\n".join([
        _("🔒 Signing ended on {date}: <b>{title}</b> — {place}",
          date=_.day(pledge.ended_at()), title=title(_, pledge),
          place=escape(tally.where)),
        _("Signed: {signed} / {expected} {what}", signed=tally.signed, expected=tally.expected,
          what=signer_word(_, pledge)),
        _("Download the signatures for your records, or give those who have not signed 7 "
          "more days."),
    ])
    return Rendered(text, keyboard(*closed_rows(_, pledge.id)))


RENDERERS = {pledges.PUBLISHED: render_published, pledges.REMINDER: render_reminder,
             pledges.RESIGN: render_resign, pledges.ASSISTED: render_assisted,
             pledges.CLOSED: render_closed}
