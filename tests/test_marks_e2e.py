"""One-time actions leave a lasting mark (#13): after "Got it" the notice's button reads
"✅ Got it · 3 Dec" / "✅ 已收到 · 12月3日", after signing the certificate keeps
"✅ Signed · 3 Dec" / "✅ 已签署 · 12月3日" — in each reader's language, with the day it was
done; pressing the mark again records nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.i18n import tr
from models import notices as svc
from models.base import utcnow
from models.notices import NoticeAck
from models.people import Role
from models.pledges import Signature, Signers
from tests.conftest import COMMUNITY, person, place, published_pledge, resident

ROOM = COMMUNITY + "/第一网格/1栋/1单元/"
MARKS = {"en": ("✅ Got it · {day}", "✅ Signed · {day}"),
         "zh_CN": ("✅ 已收到 · {day}", "✅ 已签署 · {day}")}


def today(env, language: str) -> str:
    return tr(language, env.app.bot_data["deps"].settings.tz).short_day(utcnow())


async def two_residents(env):
    """Staff, a resident reading Chinese (1) and one reading English (2), both in 1栋."""
    await env.user("Wang", id=900, language_code="en")
    async with env.db.session() as s:
        staff = await person(s, 900, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
        for tid, language in ((1, "zh_CN"), (2, "en")):
            await env.user(f"R{tid}", id=tid)
            await resident(s, staff, tid, ROOM + f"10{tid}", language=language)
    return staff


async def count(env, table) -> int:
    async with env.db.session() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def test_got_it_leaves_the_day_on_the_button(env):
    staff = await two_residents(env)
    since = env.mark()
    async with env.db.session() as s:
        draft = await svc.start_draft(s, author=staff)
        await svc.set_text(s, draft=draft, text="Water cut tomorrow 9:00-12:00.")
        await svc.set_place(s, draft=draft, place_id=(await place(s, COMMUNITY)).id,
                            author=staff)
        await svc.confirm(s, notice_id=draft.id, author=staff)
    await env.drain_outbox()
    for tid, language, label in ((1, "zh_CN", "✅ 收到"), (2, "en", "✅ Got it")):
        got = await env.wait(tid, "Water cut", since=since)
        assert env.buttons(got) == [label]
        mark = MARKS[language][0].format(day=today(env, language))
        marked = await env.tap_on(tid, label, on=got, button=mark)
        assert marked["message_id"] == got["message_id"]  # the notice itself, edited
        assert "Water cut" in marked["text"]
        # the mark keeps the button: pressing it again is harmless and keeps the mark
        toast = await env.tap(tid, mark, message_id=got["message_id"])
        assert toast["text"] == tr(language)("You already confirmed this notice.")
        now = [m for m in await env.client.bot_messages(tid)
               if m["message_id"] == got["message_id"]]
        assert env.buttons(now[0]) == [mark]
    assert await count(env, NoticeAck) == 2


async def test_signing_leaves_the_day_on_the_certificate(env):
    staff = await two_residents(env)
    since = env.mark()
    async with env.db.session() as s:
        await published_pledge(s, staff, COMMUNITY, "Fire safety", "Keep the stairs free.",
                               signers=Signers.RESIDENT)
    await env.drain_outbox()
    for tid, language in ((1, "zh_CN"), (2, "en")):
        _ = tr(language)
        announced = await env.wait(tid, "Fire safety", since=since)
        asked = await env.tap_on(tid, _("📖 Read and sign"), on=announced,
                                 button=_("✍️ I agree and sign"))
        confirm = await env.tap_on(tid, _("✍️ I agree and sign"), on=asked,
                                   button=_("✅ Confirm and sign"))
        mark = MARKS[language][1].format(day=today(env, language))
        signed = await env.tap_on(tid, _("✅ Confirm and sign"), on=confirm, button=mark)
        assert "Fire safety" in signed["text"] and env.buttons(signed) == [mark]
        toast = await env.tap(tid, mark, message_id=signed["message_id"])
        assert toast["text"].startswith(_("Already signed on {date}.").split("{")[0])
    assert await count(env, Signature) == 2
