"""Group chats over their life: a group that becomes a supergroup keeps its binding and goes on
getting its notices; a group the bot was removed from (or cannot send to any more) is unbound
and the staff member who bound it is told."""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from models import notices as svc
from models.groups import GROUP_UNBOUND, ChatBinding, GroupPurpose, bind_chat
from models.outbox import OutboxMessage, OutboxStatus, enqueue
from models.people import Person, Role
from tests.botenv import running_bot
from tests.conftest import COMMUNITY, person, place
from tests.test_notices_service import B1, draft_for
from tests.test_onboarding_e2e import staff_member

GROUP_TITLE = "1栋 邻里群"


async def bound_group(env) -> tuple[int, int]:
    """A staff member (English) and a group bound to building 1 by them."""
    staff = await staff_member(env)
    group = (await env.client.create_group(GROUP_TITLE, [staff], admin_ids=[staff]))["id"]
    async with env.db.session() as s:
        me = await s.scalar(select(Person).where(Person.telegram_id == staff))
        await bind_chat(s, chat_id=group, title=GROUP_TITLE, place_id=(await place(s, B1)).id,
                        purpose=GroupPurpose.PLACE, by=me)
    return staff, group


async def bindings(env) -> list[int]:
    async with env.db.session() as s:
        return list(await s.scalars(select(ChatBinding.chat_id)))


async def pinned_notice(env, staff: int, text: str) -> None:
    """Send a notice for building 1, pinned in its groups, through the services."""
    async with env.db.session() as s:
        me = await s.scalar(select(Person).where(Person.telegram_id == staff))
        draft = await draft_for(s, me, B1, text=text)
        await svc.toggle_pin(s, draft=draft)
        await svc.confirm(s, notice_id=draft.id, author=me)
    await env.drain_outbox()


async def test_a_group_that_becomes_a_supergroup_keeps_its_binding(env):
    staff, group = await bound_group(env)
    since = env.mark()
    supergroup = (await env.client.migrate(group, by_user_id=staff))["id"]
    # the two service messages (old chat, new chat) are handled side by side, after which
    # the binding is under the new id
    for _ in range(200):
        if await bindings(env) == [supergroup]:
            break
        await env.client._get("/wait", chat_id=supergroup, timeout=0.05)
    assert await bindings(env) == [supergroup]
    await pinned_notice(env, staff, "Lift maintenance on Friday.")
    posted = await env.wait(supergroup, "Lift maintenance on Friday.", since=since)
    assert posted["chat"]["id"] == supergroup


async def test_a_message_queued_for_the_old_group_reaches_the_supergroup(env):
    staff, group = await bound_group(env)
    supergroup = (await env.client.migrate(group, by_user_id=staff))["id"]
    # the upgrade's service messages may still be in hand (other chats' updates run side by
    # side): the row below reaches the supergroup either way, and the binding follows it,
    # through those messages or through Telegram's "migrated" answer to the old id
    await env.say(staff, "/help", "What I can do")
    since = env.mark()
    async with env.db.session() as s:  # queued under the old id before the upgrade was known
        row = enqueue(s, chat_id=group, kind=GROUP_UNBOUND,
                      payload={"title": "旧群", "place_id": (await place(s, B1)).id})
        await s.commit()
    await env.drain_outbox()
    await env.wait(supergroup, "旧群", since=since)
    for _ in range(200):  # until the sender has recorded where it went
        async with env.db.session() as s:
            sent = await s.get(OutboxMessage, row.id)
        if sent.status == OutboxStatus.SENT:
            break
        await env.client._get("/wait", chat_id=supergroup, timeout=0.05)
    assert (sent.status, sent.chat_id) == (OutboxStatus.SENT, supergroup)
    assert await bindings(env) == [supergroup]


async def test_the_bot_removed_from_a_group_ends_its_binding_and_the_binder_is_told(env):
    staff, group = await bound_group(env)
    since = env.mark()
    await env.client.set_bot_status(group, "kicked", by_user_id=staff)
    await env.drain_outbox()
    told = await env.wait(staff, "I am no longer in the group", since=since)
    assert GROUP_TITLE in told["text"] and "add me to the group again" in told["text"]
    assert await bindings(env) == []
    # added again, the bot offers the button that binds it (#13: nobody types /bind)
    since = env.mark()
    await env.client.set_bot_status(group, "member", by_user_id=staff)
    offer = await env.wait_for(group, "bind this group", since=since,
                               button="🔗 Bind this group")
    await env.tap_on(staff, "🔗 Bind this group", on=offer, expect="choose it all")


async def test_a_group_the_outbox_cannot_reach_is_unbound_and_the_binder_told(env):
    staff, group = await bound_group(env)
    # removed without the bot hearing of it (its update never arrived): sending finds out
    async with env.db.session() as s:
        me = await s.scalar(select(Person).where(Person.telegram_id == staff))
        draft = await draft_for(s, me, B1, text="Fire drill at 3.")
        await svc.toggle_pin(s, draft=draft)
        env.em.world.chats[group].bot_member = False
        await svc.confirm(s, notice_id=draft.id, author=me)
    since = env.mark()
    await env.drain_outbox()
    told = await env.wait(staff, "I am no longer in the group", since=since)
    assert GROUP_TITLE in told["text"]
    assert await bindings(env) == []


async def test_a_member_leaving_or_the_bot_made_admin_changes_nothing(env):
    staff, group = await bound_group(env)
    chat = {"id": group, "type": "group", "title": GROUP_TITLE}
    bot = {"id": 123456789, "is_bot": True, "first_name": "Linli"}
    user = {"id": staff, "is_bot": False, "first_name": "Wang"}
    await env.client.inject({"my_chat_member": {
        "chat": chat, "from": user, "date": int(time.time()),
        "old_chat_member": {"status": "member", "user": bot},
        "new_chat_member": {"status": "administrator", "user": bot, "can_be_edited": False,
                            "is_anonymous": False, "can_manage_chat": True,
                            "can_delete_messages": True, "can_manage_video_chats": True,
                            "can_restrict_members": True, "can_promote_members": False,
                            "can_change_info": True, "can_invite_users": True,
                            "can_post_stories": False, "can_edit_stories": False,
                            "can_delete_stories": False}}})
    await env.say(staff, "/help", "What I can do")
    assert await bindings(env) == [group]


async def test_start_up_warns_when_bound_groups_cannot_be_read(db, places, caplog):
    async with db.session() as s:
        staff = await person(s, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
        await bind_chat(s, chat_id=-5, title=GROUP_TITLE, place_id=(await place(s, B1)).id,
                        purpose=GroupPurpose.PLACE, by=staff)
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        async with running_bot(db):  # a new bot: privacy mode on
            pass
    warned = [r.getMessage() for r in caplog.records if "privacy mode is on" in r.getMessage()]
    assert len(warned) == 1 and "/setprivacy" in warned[0]
