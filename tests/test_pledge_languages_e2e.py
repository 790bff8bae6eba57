"""A pledge in two languages, end to end through the emulator: staff (in Chinese) add the
English text with buttons; a Chinese owner and an English-speaking tenant each read and sign
their own language's text, and the certificate and the export say which text, by language and
fingerprint. A pledge that exists only in Chinese says so to the English reader, who can still
sign it; the English text can be added to an open pledge, and a new version drops it."""

from __future__ import annotations

import csv
import hashlib
import io

from sqlalchemy import select

from bot.i18n import tr
from models.onboarding import decide_membership, request_membership
from models.people import Relation, Role
from models.pledges import Pledge, Signature, Signers
from tests.conftest import COMMUNITY, person, place, published_pledge

B1 = COMMUNITY + "/第一网格/1栋/1单元/"
STAFF, OWNER, TENANT, VISITOR = 900, 1, 2, 3
ZH = tr("zh_CN").gettext
TITLE_ZH, BODY_ZH = "楼道禁停电动车承诺书", "本户承诺：不在楼道内停放电动车，不在室内充电。"
TITLE_EN = "No e-bikes in the stairwell"
BODY_EN = "Our household pledges not to park e-bikes in the stairwell and not to charge them " \
          "indoors."


def fingerprint(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


async def setup_people(env) -> None:
    """Staff who read Chinese; a Chinese owner in 101; English-speaking tenants in 102, 201."""
    await env.user("王芳", id=STAFF)
    async with env.db.session() as s:
        staff = await person(s, STAFF, "王芳", role=Role.STAFF, at=COMMUNITY)
    for tid, name, language, room, relation in (
            (OWNER, "张伟", "zh_CN", "101", Relation.OWNER),
            (TENANT, "Anna Schmidt", "en", "102", Relation.TENANT),
            (VISITOR, "David Miller", "en", "201", Relation.TENANT)):
        await env.user(name, id=tid, language_code="zh-hans" if language == "zh_CN" else "en")
        async with env.db.session() as s:
            p = await person(s, tid, name, language=language)
            req = await request_membership(s, person=p, relation=relation,
                                           household_id=(await place(s, B1 + room)).id)
            await decide_membership(s, membership_id=req.membership.id, decider=staff,
                                    approve=True)


async def read_and_sign(env, user: int, announcement: dict, *, read: str, agree: str,
                        confirm: str) -> str:
    """Read the pledge from its announcement, agree, confirm: the certificate's text."""
    asked = await env.tap_on(user, read, on=announcement, button=agree)
    confirming = await env.tap_on(user, agree, on=asked, button=confirm)
    since = env.mark()
    await env.tap(user, confirm, message_id=confirming["message_id"])
    return (await env.wait(user, "SHA-256", since=since))["text"]


async def test_each_reader_signs_the_text_in_their_own_language(env):
    await setup_people(env)
    menu = await env.say(STAFF, "/pledge", ZH("No pledges yet."))
    await env.tap_on(STAFF, ZH("➕ New pledge"), on=menu, expect="1")
    await env.say(STAFF, TITLE_ZH, "2")
    added = await env.say(STAFF, BODY_ZH, str(len(BODY_ZH)))
    step3 = await env.tap_on(STAFF, ZH("Done ▶"), on=added, expect="3")
    step4 = await env.tap_on(STAFF, ZH("Skip ▶"), on=step3, expect="4")
    step5 = await env.tap_on(STAFF, ZH("✅ All of {place}", place="阳光社区"), on=step4,
                             expect="5")
    step6 = await env.tap_on(STAFF, ZH("one person per household"), on=step5, expect="6")
    preview = await env.tap_on(STAFF, ZH("{days} days", days=14), on=step6,
                               expect=ZH("🌐 No English text: English-speaking residents will "
                                         "read the Chinese text."))
    # the English text, by buttons: title, then the text, then Done
    await env.tap_on(STAFF, ZH("🌐 English text"), on=preview, expect="🌐")
    await env.say(STAFF, TITLE_EN, "🌐")
    added = await env.say(STAFF, BODY_EN, str(len(BODY_EN)))
    preview = await env.tap_on(STAFF, ZH("Done ▶"), on=added, expect=TITLE_EN)
    assert ZH("📢 Publish") in env.buttons(preview)
    since = env.mark()
    await env.tap_on(STAFF, ZH("📢 Publish"), on=preview, expect="3")

    # each resident is told in their language, and reads and signs that text
    owner_news = await env.wait(OWNER, TITLE_ZH, since=since)
    tenant_news = await env.wait(TENANT, TITLE_EN, since=since)
    assert TITLE_ZH not in tenant_news["text"] and "only in Chinese" not in tenant_news["text"]
    certificate = await read_and_sign(env, TENANT, tenant_news, read="📖 Read and sign",
                                      agree="✍️ I agree and sign",
                                      confirm="✅ Confirm and sign")
    assert f"Signed</b>: {TITLE_EN}" in certificate or f"Signed: {TITLE_EN}" in certificate
    assert "Text: English, version 1" in certificate
    assert fingerprint(TITLE_EN, BODY_EN)[:16] in certificate
    assert "China time" in certificate  # the time says its zone
    certificate = await read_and_sign(env, OWNER, owner_news, read=ZH("📖 Read and sign"),
                                      agree=ZH("✍️ I agree and sign"),
                                      confirm=ZH("✅ Confirm and sign"))
    assert ZH("Text: {language}, version {version}", language="中文", version=1) in certificate
    assert fingerprint(TITLE_ZH, BODY_ZH)[:16] in certificate and "北京时间" in certificate

    async with env.db.session() as s:
        signed = {(language, digest) for language, digest in await s.execute(
            select(Signature.language, Signature.text_hash))}
    assert signed == {("en", fingerprint(TITLE_EN, BODY_EN)),
                      ("zh_CN", fingerprint(TITLE_ZH, BODY_ZH))}

    # the export says which text each household signed
    listed = await env.say(STAFF, "/pledge")  # the list: each pledge a button
    manage = await env.tap_on(STAFF, f"{TITLE_ZH} · {ZH('open')}", on=listed, expect="2")
    since = env.mark()
    await env.tap(STAFF, ZH("⬇ CSV"), message_id=manage["message_id"])
    sent = await env.wait(STAFF, TITLE_ZH, since=since)
    data = env.em.world.files[sent["document"]["file_id"]].data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-2:] == [ZH("Language of the text"), ZH("Fingerprint of the text (SHA-256)")]
    assert sorted((r[0], r[-2], r[-1]) for r in rows[1:]) == [
        ("Anna Schmidt", "English", fingerprint(TITLE_EN, BODY_EN)),
        ("张伟", "中文", fingerprint(TITLE_ZH, BODY_ZH))]


async def chinese_only_pledge(env) -> int:
    async with env.db.session() as s:
        pledge_id = await published_pledge(s, await person(s, STAFF, "王芳"), COMMUNITY,
                                           TITLE_ZH, BODY_ZH, signers=Signers.HOUSEHOLD)
    await env.drain_outbox()
    return pledge_id


async def test_a_chinese_only_pledge_says_so_and_an_open_one_can_add_english(env):
    await setup_people(env)
    await chinese_only_pledge(env)
    # the English reader is told plainly, reads the Chinese text and can still sign it
    news = await env.wait(TENANT, TITLE_ZH, since=0)
    assert "This pledge exists only in Chinese. You can still read it and sign it." in \
        news["text"]
    certificate = await read_and_sign(env, TENANT, news, read="📖 Read and sign",
                                      agree="✍️ I agree and sign",
                                      confirm="✅ Confirm and sign")
    assert "Text: 中文, version 1" in certificate
    assert fingerprint(TITLE_ZH, BODY_ZH)[:16] in certificate

    # staff add the English text to the open pledge from its menu
    listed = await env.say(STAFF, "/pledge")  # the list: each pledge a button
    manage = await env.tap_on(STAFF, f"{TITLE_ZH} · {ZH('open')}", on=listed,
                              button=ZH("🌐 Add the English text"))
    # started and cancelled: nothing is kept, and the next message is not taken as its title
    asked = await env.tap_on(STAFF, ZH("🌐 Add the English text"), on=manage, expect="🌐")
    manage = await env.tap_on(STAFF, ZH("Cancel"), on=asked,
                              expect=ZH("The English text was not added."))
    async with env.db.session() as s:
        assert await s.scalar(select(Pledge.step)) is None
    await env.tap_on(STAFF, ZH("🌐 Add the English text"), on=manage, expect="🌐")
    await env.say(STAFF, TITLE_EN, "🌐")
    added = await env.say(STAFF, BODY_EN, str(len(BODY_EN)))
    done = await env.tap_on(STAFF, ZH("Done ▶"), on=added, expect="🌐")
    assert ZH("🌐 Add the English text") not in env.buttons(done)  # it has one now

    # a second English reader now reads and signs the English text
    since = env.mark()
    await env.say(VISITOR, "/pledges", "Open pledges")
    listing = await env.wait(VISITOR, TITLE_EN, since=since)
    asked = await env.tap_on(VISITOR, f"⬜ {TITLE_EN}", on=listing,
                             button="✍️ I agree and sign")
    shown = [m["text"] for m in await env.client.bot_messages(VISITOR)
             if m["message_id"] < asked["message_id"] and BODY_EN in m["text"]]
    assert shown and "only in Chinese" not in shown[-1]
    confirming = await env.tap_on(VISITOR, "✍️ I agree and sign", on=asked,
                                  button="✅ Confirm and sign")
    since = env.mark()
    await env.tap(VISITOR, "✅ Confirm and sign", message_id=confirming["message_id"])
    certificate = (await env.wait(VISITOR, "SHA-256", since=since))["text"]
    assert "Text: English, version 1" in certificate

    # a new version of the Chinese text: the English one said the old words, so it goes
    listed = await env.say(STAFF, "/pledge")  # the list: each pledge a button
    manage = await env.tap_on(STAFF, f"{TITLE_ZH} · {ZH('open')}", on=listed,
                              button=ZH("✏️ New version of the text"))
    await env.tap_on(STAFF, ZH("✏️ New version of the text"), on=manage, expect="保存")
    added = await env.say(STAFF, BODY_ZH + "发现违规及时劝阻。", "32")
    saved = await env.tap_on(STAFF, ZH("💾 Save as new version"), on=added, expect="2")
    assert ZH("🌐 Add the English text") in env.buttons(saved)
    since = env.mark()
    await env.say(TENANT, "/pledges", "Open pledges")
    listing = await env.wait(TENANT, TITLE_ZH, since=since)
    await env.tap_on(TENANT, f"⬜ {TITLE_ZH}", on=listing, expect="sign the new text")
    shown = [m["text"] for m in await env.client.bot_messages(TENANT, after=listing["message_id"])
             if "发现违规及时劝阻" in m["text"]]
    assert shown and "This pledge exists only in Chinese" in shown[0]
