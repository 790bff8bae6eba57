"""Rules found in review: each is something a person would notice if it were wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.webhook import create_webhook_app
from jobs.tick import EFFECTS, run_tick
from models.errors import NotAllowed
from models.groups import GroupPurpose, bind_chat
from models.onboarding import decide_membership, request_membership
from models.outbox import OutboxMessage
from models.people import Person, Relation, Role
from models.schedule import DueItem, schedule
from tests.conftest import COMMUNITY, ROOM_101, person, place
from tests.test_onboarding_e2e import join, staff_member


def test_a_webhook_needs_a_secret():
    with pytest.raises(ConfigError, match="LINLI_WEBHOOK_SECRET"):
        Settings(webhook_url="https://example.org/hook").require_webhook_secret()
    with pytest.raises(ValueError):
        create_webhook_app(None, None, "")  # type: ignore[arg-type]


@pytest.mark.usefixtures("places")
async def test_nobody_approves_their_own_request(session):
    worker = await person(session, 950, "网格员", role=Role.GRID_WORKER, at=COMMUNITY)
    request = await request_membership(session, person=worker, relation=Relation.OWNER,
                                       household_id=(await place(session, ROOM_101)).id)
    with pytest.raises(NotAllowed):
        await decide_membership(session, membership_id=request.membership.id, decider=worker,
                                approve=True)


@pytest.mark.usefixtures("places")
async def test_staff_elsewhere_cannot_take_over_a_bound_group(session):
    ours = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    theirs = await person(session, 901, "桂花 staff", role=Role.STAFF, at="城东街道/桂花社区")
    building = await place(session, COMMUNITY + "/第一网格/1栋")
    await bind_chat(session, chat_id=-5, title="1栋", place_id=building.id,
                    purpose=GroupPurpose.PLACE, by=ours)
    with pytest.raises(NotAllowed):
        await bind_chat(session, chat_id=-5, title="1栋", purpose=GroupPurpose.PLACE, by=theirs,
                        place_id=(await place(session, "城东街道/桂花社区")).id)


@pytest.mark.usefixtures("places")
async def test_a_failing_due_item_does_not_block_the_others(db, session, monkeypatch):
    t0 = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)

    async def broken(session, item, now):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(EFFECTS, "broken", broken)
    schedule(session, kind="broken", due_at=t0)
    good = schedule(session, kind="join.remind", due_at=t0 + dt.timedelta(seconds=1))
    await session.commit()
    good_id = good.id
    assert await run_tick(db, now=t0 + dt.timedelta(minutes=1)) == 1
    session.expire_all()
    assert (await session.get(DueItem, good_id)).status == "done"
    stuck = await session.scalar(select(DueItem).where(DueItem.kind == "broken"))
    assert stuck.status == "pending" and stuck.due_at > t0 + dt.timedelta(minutes=1)


async def test_someone_who_unblocked_the_bot_gets_messages_again(env):
    staff = await staff_member(env)
    async with env.db.session() as s:
        p = await s.scalar(select(Person).where(Person.telegram_id == staff))
        p.unreachable_at = dt.datetime.now(dt.UTC)  # a 403 once marked them
        await s.commit()
    await env.say(staff, "/help", "What I can do")  # they are back
    alice = await env.user("Alice", language_code="en")
    since = env.mark()
    await join(env, alice, language_button="✓ English", agree="I agree")
    request = await env.wait(staff, "Alice asks to join", since=since)
    assert request
    async with env.db.session() as s:
        assert await s.scalar(select(OutboxMessage.id).where(OutboxMessage.chat_id == staff))


async def test_staff_elsewhere_cannot_read_a_residents_name_through_assisted_signing(env):
    from tests import test_pledges_service as pledges

    await staff_member(env)
    alice = await env.user("Alice", language_code="en")
    await join(env, alice, language_button="✓ English", agree="I agree")
    await env.user("OtherStaff", id=950, language_code="en")
    async with env.db.session() as s:
        other = await person(s, 950, "桂花 staff", language="en", role=Role.STAFF,
                             at="城东街道/桂花社区")
        pledge = await pledges.published(s, other, at="城东街道/桂花社区")
        alice_id = (await s.scalar(select(Person).where(Person.telegram_id == alice))).id
    listed = await env.say(950, "/pledge", "Pledges")
    toast = await env.tap(950, data=f"pa:ap:{pledge.id}:{alice_id}", forge=True,
                          message_id=listed["message_id"])
    assert toast["text"] == "You do not have permission to do that here."
    assert not [m for m in await env.client.bot_messages(950) if "Alice" in (m.get("text") or "")]
