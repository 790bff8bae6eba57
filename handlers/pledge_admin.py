"""Staff and grid workers and pledges: /pledge lists them and starts a new one; the draft is
written step by step (title → text → attachment → place → who signs → closing date → preview →
publish), then followed: progress per building and unit, who has not signed, reminders,
signing on someone's behalf, exports, posters, a new version, extending or closing.

The draft lives in the database (its `step`), so the next typed message from its author goes to
it whichever process serves it. Buttons are `pa:<action>:<pledge id>[:…]`; each service re-checks
the presser's role and scope.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import N_, Translator
from bot.keyboards import StaleButton, button, paged, parse
from handlers.common import current, domain_errors, edit
from handlers.pledges import full_text, place_label, signers_label
from models.base import utcnow
from models.errors import NotAllowed
from models.people import Person
from models.places import ancestors, children, get_place, label
from models.pledge_changes import (
    pledges_for_manager,
)
from models.pledges import (
    SCOPE_KINDS,
    Pledge,
    PledgeStatus,
    Signers,
    Step,
    add_text,
    attachment_step,
    audience_size,
    cancel_draft,
    finish_body,
    get_pledge,
    go_to_step,
    manager_places,
    publish,
    set_attachment,
    set_closing,
    set_scope,
    set_signers,
    start_draft,
    waiting_for_text,
)
from models.telegram_limits import utf16_len

SIGNER_CODES = {"r": Signers.RESIDENT, "h": Signers.HOUSEHOLD, "o": Signers.OWNER,
                "l": Signers.LANDLORD}
PRESET_DAYS = (7, 14, 30)
STATUS = {PledgeStatus.DRAFT: N_("draft"), PledgeStatus.OPEN: N_("open"),
          PledgeStatus.CLOSED: N_("closed")}


async def staff(session: AsyncSession, update: Update,
                context: ContextTypes.DEFAULT_TYPE) -> tuple[Person, Translator]:
    person, _ = await current(session, update, context)
    if person is None or not await manager_places(session, person.id):
        raise NotAllowed(N_("Only staff and grid workers can write pledges."))
    return person, _


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None,
              *, in_place: bool = True) -> None:
    """Edit the pressed message, or send a new one for typed input."""
    if update.callback_query is not None and in_place:
        await edit(update, text, markup)
    else:
        await update.effective_chat.send_message(text, reply_markup=markup,
                                                 parse_mode=ParseMode.HTML)


def status_of(_: Translator, pledge: Pledge) -> str:
    now = dt.datetime.now(dt.UTC)
    if pledge.status == PledgeStatus.OPEN and not pledge.is_open(now):
        return _(STATUS[PledgeStatus.CLOSED])
    return _(STATUS[PledgeStatus(pledge.status)])


# --- the list and a new draft ---------------------------------------------------------------


@domain_errors
async def pledge_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the pledges I may follow, and offer to write a new one."""
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        pledges = await pledges_for_manager(session, person=person)
    rows = [[button(f"{p.title or _('(untitled)')} · {status_of(_, p)}", f"pa:m:{p.id}")]
            for p in pledges]
    rows.append([button(_("➕ New pledge"), "pa:new:0")])
    text = _("<b>Pledges</b>") if pledges else _("No pledges yet.")
    await say(update, text, InlineKeyboardMarkup(rows))
    if update.callback_query is not None:
        await update.callback_query.answer()


PROMPTS = {
    Step.TITLE: N_("<b>New pledge</b> — step 1 of 6: send the <b>title</b>."),
    Step.BODY: N_("Step 2 of 6: send the <b>full text</b>. A long text can come in several "
                  "messages; press Done when it is complete."),
    Step.ATTACHMENT: N_("Step 3 of 6: send a <b>document or image</b> to attach (for example "
                        "the signed paper version), or press Skip."),
    Step.SCOPE: N_("Step 4 of 6: <b>where</b> does the pledge apply?"),
    Step.SIGNERS: N_("Step 5 of 6: <b>who signs</b>?"),
    Step.DATES: N_("Step 6 of 6: <b>until when</b> can people sign? Press a button or send a "
                   "date as YYYY-MM-DD."),
}


async def show_step(update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession,
                    _: Translator, pledge: Pledge, person: Person, *,
                    in_place: bool = True, browse: int | None = None, page: int = 0) -> None:
    """Ask for what the draft's step needs, with its buttons."""
    pid = pledge.id
    cancel = button(_("🗑 Discard draft"), f"pa:cx:{pid}")
    step = Step(pledge.step) if pledge.step else Step.PREVIEW
    if step == Step.PREVIEW:
        await show_preview(update, context, session, _, pledge, in_place=in_place)
        return
    rows: list[list[InlineKeyboardButton]] = []
    text = _(PROMPTS[step]) if step in PROMPTS else ""
    if step == Step.BODY:
        rows = [[button(_("Done ▶"), f"pa:bd:{pid}")]]
        if pledge.body:
            text += "\n" + _("So far: {count} characters.", count=utf16_len(pledge.body))
    elif step == Step.ATTACHMENT:
        rows = [[button(_("Skip ▶"), f"pa:na:{pid}")]]
    elif step == Step.SCOPE:
        text, rows = await scope_picker(session, _, pledge, person, browse, page)
    elif step == Step.SIGNERS:
        rows = [[button(signers_label(_, s), f"pa:sg:{pid}:{code}")]
                for code, s in SIGNER_CODES.items()]
    elif step == Step.DATES:
        rows = [[button(_("{days} days", days=d), f"pa:dt:{pid}:{d}") for d in PRESET_DAYS]]
    rows.append([cancel])
    await say(update, text, InlineKeyboardMarkup(rows), in_place=in_place)


async def scope_picker(
    session: AsyncSession, _: Translator, pledge: Pledge, person: Person, browse: int | None,
    page: int = 0,
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """Places within my own scope: choose one, or open it to choose something under it."""
    text = _(PROMPTS[Step.SCOPE])
    mine = await manager_places(session, person.id)
    if browse is None and len(mine) == 1:
        browse = mine[0].id
    if browse is None:
        return text, [[button(p.name, f"pa:sp:{pledge.id}:{p.id}:0")] for p in mine]
    place = await get_place(session, browse)
    if not any(place.path.startswith(p.path) for p in mine):
        raise NotAllowed()
    where = label(await ancestors(session, place)) or place.name
    rows = [[button(_("✅ All of {place}", place=where), f"pa:sc:{pledge.id}:{place.id}")]]
    under = [c for c in await children(session, place.id) if c.kind in SCOPE_KINDS]
    items = [(c.name, f"pa:sp:{pledge.id}:{c.id}:0") for c in under]
    if items:
        rows += paged(items, page=page, page_data=f"pa:sp:{pledge.id}:{place.id}:{{page}}",
                      per_page=24).inline_keyboard
    return text + "\n" + _("Or open one of the places below."), [list(r) for r in rows]


async def show_preview(update: Update, context: ContextTypes.DEFAULT_TYPE,
                       session: AsyncSession, _: Translator, pledge: Pledge, *,
                       in_place: bool = True) -> None:
    """The pledge as residents will see it, who it reaches, and Publish."""
    where = await place_label(session, pledge)
    reach = await audience_size(session, pledge)
    for part in full_text(_, pledge, where):
        await update.effective_chat.send_message(part, parse_mode=ParseMode.HTML)
    pid = pledge.id
    text = _("<b>Preview</b> — this is how residents will see it. Publishing sends it to "
             "{count} people now.", count=reach)
    if pledge.attachment_id:
        text += "\n" + _("With an attachment.")
    markup = InlineKeyboardMarkup([
        [button(_("📢 Publish"), f"pa:pub:{pid}")],
        [button(_("Title"), f"pa:go:{pid}:title"), button(_("Text"), f"pa:go:{pid}:body"),
         button(_("Attachment"), f"pa:go:{pid}:attachment")],
        [button(_("Place"), f"pa:go:{pid}:scope"), button(_("Who signs"), f"pa:go:{pid}:signers"),
         button(_("Closing date"), f"pa:go:{pid}:dates")],
        [button(_("🗑 Discard draft"), f"pa:cx:{pid}")],
    ])
    await update.effective_chat.send_message(text, reply_markup=markup,
                                             parse_mode=ParseMode.HTML)


async def take_input(update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession,
                     person: Person, _: Translator) -> bool:
    """A typed message or a file while my pledge waits for one (see handlers/inputs.py)."""
    message = update.effective_message
    if message.text:
        waiting = await waiting_for_text(session, person.id)
        if waiting is None:
            return False
        before = waiting.step
        pledge = await add_text(session, author=person, text=message.text,
                                tz=deps(context).settings.tz)
        if before in (Step.BODY, Step.EDIT):
            done = (button(_("Done ▶"), f"pa:bd:{pledge.id}") if pledge.step == Step.BODY
                    else button(_("💾 Save as new version"), f"pa:sv:{pledge.id}"))
            size = utf16_len(pledge.body if pledge.step == Step.BODY else
                             pledge.pending_body or "")
            await message.reply_text(
                _("Added ({count} characters so far). Send more, or press the button when the "
                  "text is complete.", count=size),
                reply_markup=InlineKeyboardMarkup([[done]]))
        else:
            await show_step(update, context, session, _, pledge, person, in_place=False)
        return True
    if message.photo or message.document:
        draft = await attachment_step(session, person.id)
        if draft is None:
            return False
        sent = message.photo[-1] if message.photo else message.document
        kind = "photo" if message.photo else "document"
        pledge = await set_attachment(session, pledge_id=draft.id, author=person,
                                      file_id=sent.file_id, kind=kind, size=sent.file_size)
        await show_step(update, context, session, _, pledge, person, in_place=False)
        return True
    return False


@domain_errors
async def draft_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button of the draft dialog."""
    query = update.callback_query
    data = parse(query.data)
    if data is None:
        raise StaleButton()
    action, pid = data.action, data.int(0)
    async with deps(context).db.session() as session:
        person, _ = await staff(session, update, context)
        browse: int | None = None
        page = data.int(2) if len(data.args) > 2 else 0
        if action == "new":
            pledge, _resumed = await start_draft(session, author=person)
        elif action == "bd":
            pledge = await finish_body(session, pledge_id=pid, author=person)
        elif action == "na":
            pledge = await set_attachment(session, pledge_id=pid, author=person, file_id=None,
                                          kind=None)
        elif action == "sp":
            pledge, browse = await get_pledge(session, pid), data.int(1)
            if pledge.created_by_id != person.id or pledge.step != Step.SCOPE:
                raise StaleButton()
        elif action == "sc":
            pledge = await set_scope(session, pledge_id=pid, author=person, place_id=data.int(1))
        elif action == "sg" and len(data.args) > 1 and data.args[1] in SIGNER_CODES:
            pledge = await set_signers(session, pledge_id=pid, author=person,
                                       signers=SIGNER_CODES[data.args[1]])
        elif action == "dt":
            days = data.int(1)
            if days not in PRESET_DAYS:
                raise StaleButton()
            pledge = await set_closing(session, pledge_id=pid, author=person,
                                       closes_at=end_of_day_in(days, deps(context).settings.tz))
        elif action == "go" and len(data.args) > 1 and data.args[1] in {s.value for s in Step}:
            pledge = await go_to_step(session, pledge_id=pid, author=person,
                                      step=Step(data.args[1]))
        elif action == "cx":
            await cancel_draft(session, pledge_id=pid, author=person)
            await edit(update, _("Draft discarded."))
            await query.answer()
            return
        elif action == "pub":
            done = await publish(session, pledge_id=pid, author=person)
            deps(context).wake_outbox()
            await edit(update, _("📢 Published: «{title}» is on its way to {count} people.",
                                 title=escape(done.pledge.title), count=done.notified),
                       manage_keyboard(_, done.pledge))
            await query.answer(_("Published."))
            return
        else:
            raise StaleButton()
        await show_step(update, context, session, _, pledge, person,
                        in_place=pledge.step != Step.PREVIEW, browse=browse, page=page)
    await query.answer()


def end_of_day_in(days: int, tz: dt.tzinfo) -> dt.datetime:
    day = dt.datetime.now(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz).astimezone(dt.UTC)


# --- following a published pledge -----------------------------------------------------------


def closed_rows(_: Translator, pid: int) -> list[list[InlineKeyboardButton]]:
    """A closed pledge: what is left is to look, download or reopen."""
    return [[button(_("📊 Progress"), f"pa:pg:{pid}:0"), button(_("+7 days"), f"pa:xt:{pid}:7")],
            [button(_("⬇ CSV"), f"pa:x:{pid}:csv"), button(_("⬇ XLSX"), f"pa:x:{pid}:xlsx")]]


def manage_keyboard(_: Translator, pledge: Pledge) -> InlineKeyboardMarkup:
    pid = pledge.id
    if not pledge.is_open(utcnow()):
        return InlineKeyboardMarkup([*closed_rows(_, pid),
                                     [button(_("◀ All pledges"), "pa:list")]])
    return InlineKeyboardMarkup([
        [button(_("📊 Progress"), f"pa:pg:{pid}:0"),
         button(_("⏰ Remind those who have not signed"), f"pa:rm:{pid}")],
        [button(_("✍️ Sign for a resident"), f"pa:as:{pid}:0"),
         button(_("🖼 QR poster"), f"pa:qr:{pid}:0")],
        [button(_("⬇ CSV"), f"pa:x:{pid}:csv"), button(_("⬇ XLSX"), f"pa:x:{pid}:xlsx")],
        [button(_("✏️ New version of the text"), f"pa:ed:{pid}"),
         button(_("+7 days"), f"pa:xt:{pid}:7"), button(_("⏹ Close now"), f"pa:cl:{pid}")],
        [button(_("◀ All pledges"), "pa:list")],
    ])


