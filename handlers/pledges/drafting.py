"""Writing a pledge (staff and grid workers): /pledge lists the pledges I may follow and starts
a new one; the draft is written step by step (title → text → attachment → place → who signs →
closing date → preview → publish). The draft lives in the database with the question its step
asks (models/asks.py), so my next message goes to it, whichever process serves it.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import ButtonData, keyboard
from bot.feature import Call
from bot.i18n import N_, Translator
from handlers.places_picker import level
from handlers.pledges.buttons import (
    AllPledges,
    BodyDone,
    ChoosePlace,
    ChooseSigners,
    CloseIn,
    Discard,
    GoTo,
    Manage,
    NewDraft,
    NoAttachment,
    OpenPlace,
    Publish,
    SignerCode,
    Translate,
    TranslationCancel,
    TranslationDone,
)
from handlers.pledges.rendering import full_text, manage_keyboard, signers_label, status_of
from models import pledges
from models.errors import StaleButton
from models.people import Person
from models.pledges import Pledge, PledgeStatus, Signers, Step
from models.telegram_limits import utf16_len

SIGNER_CODES: dict[SignerCode, Signers] = {"r": Signers.RESIDENT, "h": Signers.HOUSEHOLD,
                                           "o": Signers.OWNER, "l": Signers.LANDLORD}
PRESET_DAYS = (7, 14, 30)
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
    Step.TITLE_EN: N_("🌐 <b>English text</b>, for residents who read English: send the "
                      "<b>title</b> in English."),
    Step.BODY_EN: N_("🌐 Now send the <b>full text in English</b>. A long text can come in "
                     "several messages; press Done when it is complete."),
}


async def staff(call: Call[object]) -> Person:
    """The sender, if they may write pledges (else: "Only staff and grid workers …")."""
    return await pledges.staff_member(call.session, call.person)


async def all_pledges(call: Call[object]) -> None:
    """List the pledges I may follow, and offer to write a new one."""
    _ = call._
    listed = await pledges.pledges_for_manager(call.session, person=await staff(call))
    rows = [[(f"{pledges.text_in(p, _.language).title or _('(untitled)')} · "
              f"{status_of(_, p)}", Manage(p.id))]
            for p in listed]
    rows.append([(_("➕ New pledge"), NewDraft(0))])
    await call.show(_("<b>Pledges</b>") if listed else _("No pledges yet."), keyboard(*rows))


Rows = list[list[InlineKeyboardButton]]


def _step_rows(_: Translator, pledge: Pledge, step: Step) -> tuple[str, Rows]:
    """The prompt and buttons of a step that needs no place picker."""
    pid, text = pledge.id, _(PROMPTS[step]) if step in PROMPTS else ""
    rows: list[list[tuple[str, ButtonData]]] = []
    if step == Step.BODY:
        rows = [[(_("Done ▶"), BodyDone(pid))]]
        if pledge.body:
            text += "\n" + _("So far: {count} characters.", count=utf16_len(pledge.body))
    elif step == Step.BODY_EN:
        rows = [[(_("Done ▶"), TranslationDone(pid))]]
    elif step == Step.ATTACHMENT:
        rows = [[(_("Skip ▶"), NoAttachment(pid))]]
    elif step == Step.SIGNERS:
        rows = [[(signers_label(_, s), ChooseSigners(pid, code))]
                for code, s in SIGNER_CODES.items()]
    elif step == Step.DATES:
        rows = [[(_("{days} days", days=d), CloseIn(pid, d)) for d in PRESET_DAYS]]
    return text, [[data.button(label) for label, data in row] for row in rows]


async def show_step(call: Call[object], pledge: Pledge, me: Person, *, in_place: bool = True,
                    browse: int | None = None, page: int = 0) -> None:
    """Ask for what the draft's step needs, with its buttons."""
    step = Step(pledge.step) if pledge.step else Step.PREVIEW
    if step == Step.PREVIEW:
        await show_preview(call, pledge)
        return
    if step == Step.SCOPE:
        text, rows = await scope_picker(call, pledge, me, browse, page)
    else:
        text, rows = _step_rows(call._, pledge, step)
    if step in (Step.TITLE_EN, Step.BODY_EN):  # the pledge stays as it was until Done
        rows.append([TranslationCancel(pledge.id).button(call._("Cancel"))])
    else:
        rows.append([Discard(pledge.id).button(call._("🗑 Discard draft"))])
    markup = InlineKeyboardMarkup(rows)
    await (call.show(text, markup) if in_place else call.reply(text, markup))


async def scope_picker(call: Call[object], pledge: Pledge, me: Person, browse: int | None,
                       page: int = 0) -> tuple[str, Rows]:
    """Places within my own scope: choose one, or open it to choose something under it."""
    _ = call._
    text = _(PROMPTS[Step.SCOPE])
    _draft, place, mine, under = await pledges.scope_choices(
        call.session, pledge_id=pledge.id, author=me, browse=browse)
    if place is None:
        return text, [[OpenPlace(pledge.id, p.id, 0).button(p.name_in(_.language))]
                      for p in mine]
    where = await pledges.place_label(call.session, place.id, language=_.language)
    choose = ChoosePlace(pledge.id, place.id).button(_("✅ All of {place}", place=where))
    # Back goes one level up: the parent within my scope, or the list of my places
    up = (OpenPlace(pledge.id, place.parent_id or 0, 0) if place.id not in {p.id for p in mine}
          else OpenPlace(pledge.id, 0, 0) if len(mine) > 1 else None)
    markup = level(_, under, page=page, open_=lambda c: OpenPlace(pledge.id, c.id, 0),
                   page_data=lambda n: OpenPlace(pledge.id, place.id, n), up=up, per_page=24)
    rows = [[choose], *[list(r) for r in markup.inline_keyboard]]
    return text + "\n" + _("Or open one of the places below."), rows


async def show_preview(call: Call[object], pledge: Pledge) -> None:
    """The pledge as residents will see it, who it reaches, and Publish."""
    _, pid = call._, pledge.id
    where = await pledges.where(call.session, pledge, language=_.language)
    reach = await pledges.audience_size(call.session, pledge)
    for part in full_text(_, pledge, where):
        await call.reply(part)
    text = _("<b>Preview</b> — this is how residents will see it. Publishing sends it to "
             "{count} people now.", count=reach)
    if pledge.attachment_id:
        text += "\n" + _("With an attachment.")
    english = pledges.translated(pledge).get("en")
    text += "\n" + (_("🌐 With an English text: «{title}», {count} characters.",
                      title=escape(english["title"]), count=utf16_len(english["body"]))
                    if english else
                    _("🌐 No English text: English-speaking residents will read the Chinese "
                      "text."))
    await call.reply(text, keyboard(
        [(_("📢 Publish"), Publish(pid))],
        [(_("Title"), GoTo(pid, Step.TITLE)), (_("Text"), GoTo(pid, Step.BODY)),
         (_("Attachment"), GoTo(pid, Step.ATTACHMENT))],
        [(_("Place"), GoTo(pid, Step.SCOPE)), (_("Who signs"), GoTo(pid, Step.SIGNERS)),
         (_("Closing date"), GoTo(pid, Step.DATES))],
        [(_("🌐 English text"), Translate(pid, "en"))],
        [(_("🗑 Discard draft"), Discard(pid))]))


async def moved(call: Call[object], pledge: Pledge, me: Person, **shown: int) -> None:
    """After a button moved the draft: the next step, in place (the preview: anew)."""
    await show_step(call, pledge, me, in_place=pledge.step != Step.PREVIEW, **shown)


# --- one handler per button ---------------------------------------------------------------------


async def new_draft(call: Call[NewDraft]) -> None:
    me = await staff(call)
    pledge, _resumed = await pledges.start_draft(call.session, author=me)
    await moved(call, pledge, me)


async def body_done(call: Call[BodyDone]) -> None:
    me = await staff(call)
    await moved(call, await pledges.finish_body(call.session, pledge_id=call.data.pledge_id,
                                                author=me), me)


async def no_attachment(call: Call[NoAttachment]) -> None:
    me = await staff(call)
    await moved(call, await pledges.set_attachment(
        call.session, pledge_id=call.data.pledge_id, author=me, file_id=None, kind=None), me)


async def open_place(call: Call[OpenPlace]) -> None:
    me, data = await staff(call), call.data
    pledge = await pledges.draft_at_scope(call.session, pledge_id=data.pledge_id, author=me)
    await moved(call, pledge, me, browse=data.place_id or None, page=data.page)


async def choose_place(call: Call[ChoosePlace]) -> None:
    me = await staff(call)
    await moved(call, await pledges.set_scope(call.session, pledge_id=call.data.pledge_id,
                                              author=me, place_id=call.data.place_id), me)


async def choose_signers(call: Call[ChooseSigners]) -> None:
    me = await staff(call)
    await moved(call, await pledges.set_signers(
        call.session, pledge_id=call.data.pledge_id, author=me,
        signers=SIGNER_CODES[call.data.code]), me)


async def close_in(call: Call[CloseIn]) -> None:
    me, data = await staff(call), call.data
    if data.days not in PRESET_DAYS:
        raise StaleButton()
    await moved(call, await pledges.set_closing(
        call.session, pledge_id=data.pledge_id, author=me,
        closes_at=pledges.end_of_day_in(data.days, call.tz)), me)


async def go_to(call: Call[GoTo]) -> None:
    me = await staff(call)
    await moved(call, await pledges.go_to_step(call.session, pledge_id=call.data.pledge_id,
                                               author=me, step=call.data.step), me)


async def translate(call: Call[Translate]) -> None:
    """Write the text in English (a draft's, or an open pledge's current version's)."""
    me = await staff(call)
    pledge = await pledges.begin_translation(call.session, pledge_id=call.data.pledge_id,
                                             author=me, language=call.data.language)
    await show_step(call, pledge, me)


async def translation_cancel(call: Call[TranslationCancel]) -> None:
    me = await staff(call)
    pledge = await pledges.cancel_translation(call.session, pledge_id=call.data.pledge_id,
                                              author=me)
    await _translation_ended(call, pledge, me, call._("The English text was not added."))


async def translation_done(call: Call[TranslationDone]) -> None:
    me = await staff(call)
    pledge = await pledges.finish_translation(call.session, pledge_id=call.data.pledge_id,
                                              author=me)
    await _translation_ended(call, pledge, me, call._(
        "🌐 The English text is added to version {version}: residents who read English read "
        "and sign it from now on.", version=pledge.version))


async def _translation_ended(call: Call[object], pledge: Pledge, me: Person,
                             said: str) -> None:
    """A draft goes back to its preview; an open pledge's menu says what happened."""
    if pledge.status == PledgeStatus.DRAFT:
        await moved(call, pledge, me)
    else:
        await call.edit(said, manage_keyboard(call._, pledge))


async def discard(call: Call[Discard]) -> None:
    await pledges.cancel_draft(call.session, pledge_id=call.data.pledge_id,
                               author=await staff(call))
    await call.edit(call._("Draft discarded."))


async def publish(call: Call[Publish]) -> None:
    _ = call._
    done = await pledges.publish_pledge(call.session, pledge_id=call.data.pledge_id,
                                        author=await staff(call))
    call.wake_outbox()
    await call.edit(_("📢 Published: «{title}» is on its way to {count} people.",
                      title=escape(done.pledge.title), count=done.notified),
                    manage_keyboard(_, done.pledge))
    await call.toast(_("Published."))


BUTTONS = {NewDraft: new_draft, BodyDone: body_done, NoAttachment: no_attachment,
           OpenPlace: open_place, ChoosePlace: choose_place, ChooseSigners: choose_signers,
           CloseIn: close_in, GoTo: go_to, Discard: discard, Publish: publish,
           AllPledges: all_pledges, Translate: translate, TranslationDone: translation_done,
           TranslationCancel: translation_cancel}
