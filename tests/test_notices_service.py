"""Notices as rules: who gets them, once; scheduling, cancelling, acknowledging, reminding."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from jobs.tick import run_tick
from models import notices as svc
from models.errors import Conflict, Invalid, NotAllowed
from models.groups import GroupPurpose, bind_chat
from models.notices import NoticeStatus, Target
from models.outbox import OutboxMessage, OutboxStatus
from models.people import PersonTag, Relation, Role, Tag
from models.schedule import DueItem
from tests.conftest import COMMUNITY, person, place, resident

pytestmark = pytest.mark.usefixtures("places")
B1 = COMMUNITY + "/第一网格/1栋"
B3 = COMMUNITY + "/第二网格/3栋"
T0 = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


@pytest.fixture
async def community(session, places):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    await resident(session, staff, 1, B1 + "/1单元/101")
    await resident(session, staff, 2, B1 + "/1单元/101", relation=Relation.TENANT,
                   language="en")
    await resident(session, staff, 3, B1 + "/2单元/301")
    await resident(session, staff, 4, B3 + "/1单元/101", relation=Relation.TENANT)
    await person(session, 6, "volunteer", role=Role.VOLUNTEER, at=COMMUNITY + "/第一网格")
    # the join requests' messages and reminders are not the point here
    await session.execute(OutboxMessage.__table__.delete())
    await session.execute(DueItem.__table__.delete())
    await session.commit()
    return staff


async def draft_for(session, staff, where: str, text="停水通知：明天 9:00-12:00",
                    target=Target.ALL, tag=None):
    draft = await svc.start_draft(session, author=staff)
    await svc.set_text(session, draft=draft, text=text)
    await svc.set_place(session, draft=draft, place_id=(await place(session, where)).id,
                        author=staff)
    await svc.set_target(session, draft=draft, target=target, tag=tag)
    return draft


async def chats(session, topic) -> list[int]:
    return sorted(await session.scalars(select(OutboxMessage.chat_id)
                                        .where(OutboxMessage.topic == topic)))


async def test_targeting_subtree_role_and_tag(session, community):
    staff = community
    d = await draft_for(session, staff, B1)
    assert (await svc.preview(session, notice=d)).recipients == 3
    await svc.confirm(session, notice_id=d.id, author=staff)
    assert await chats(session, d.topic) == [1, 2, 3]

    owners = await draft_for(session, staff, COMMUNITY, target=Target.OWNERS)
    await svc.confirm(session, notice_id=owners.id, author=staff)
    assert await chats(session, owners.topic) == [1, 3]

    vols = await draft_for(session, staff, COMMUNITY, target=Target.VOLUNTEERS)
    await svc.confirm(session, notice_id=vols.id, author=staff)
    assert await chats(session, vols.topic) == [6]

    await svc.tag_person(session, person_id=(await person(session, 3, "resident 3")).id,
                         tag=Tag.ELDERLY_ALONE, by=staff, on=True)
    tagged = await draft_for(session, staff, COMMUNITY, target=Target.TAG,
                             tag=Tag.ELDERLY_ALONE)
    await svc.confirm(session, notice_id=tagged.id, author=staff)
    assert await chats(session, tagged.topic) == [3]


async def test_text_per_language(session, community):
    d = await draft_for(session, community, B1)
    await svc.set_text(session, draft=d, text="Water cut tomorrow 9:00-12:00", language="en")
    assert d.text_for("en").startswith("Water cut") and d.text_for("zh_CN").startswith("停水")


async def test_bad_input_is_refused_with_a_reason(session, community):
    d = await svc.start_draft(session, author=community)
    with pytest.raises(Invalid, match="empty"):
        await svc.set_text(session, draft=d, text="   ")
    with pytest.raises(Invalid) as long:
        await svc.set_text(session, draft=d, text="字" * 4097)
    assert long.value.params == {"length": 4097, "limit": 3996}  # room for the heading
    await svc.set_text(session, draft=d, text="字" * 3996)  # the longest that fits
    with pytest.raises(Invalid):
        await svc.set_text(session, draft=d, text="x" * 1025, media_kind="photo",
                           media_file_id="f")
    resident = await person(session, 1, "resident 1")
    with pytest.raises(NotAllowed):
        await svc.start_draft(session, author=resident)


async def test_grid_worker_is_limited_to_the_grid(session, community):
    grid = await person(session, 950, "网格员", role=Role.GRID_WORKER, at=COMMUNITY + "/第一网格")
    d = await svc.start_draft(session, author=grid)
    await svc.set_text(session, draft=d, text="检查楼道杂物")
    with pytest.raises(NotAllowed):
        await svc.set_place(session, draft=d, place_id=(await place(session, B3)).id,
                            author=grid)
    await svc.set_place(session, draft=d, place_id=(await place(session, B1)).id, author=grid)


async def test_scheduled_notice_fires_once_after_downtime(db, session, community):
    d = await draft_for(session, community, B1)
    await svc.confirm(session, notice_id=d.id, author=community, at=T0 + dt.timedelta(hours=2),
                      now=T0)
    assert d.status == NoticeStatus.SCHEDULED and await chats(session, d.topic) == []
    assert await run_tick(db, now=T0 + dt.timedelta(hours=1)) == 0
    assert await run_tick(db, now=T0 + dt.timedelta(days=2)) == 1  # the bot was down
    assert await run_tick(db, now=T0 + dt.timedelta(days=2, seconds=5)) == 0
    topic = d.topic
    session.expire_all()
    assert await chats(session, topic) == [1, 2, 3]


async def test_cancel_keeps_what_was_sent(session, community):
    d = await draft_for(session, community, B1)
    await svc.confirm(session, notice_id=d.id, author=community)
    first = await session.scalar(select(OutboxMessage).where(OutboxMessage.topic == d.topic)
                                 .order_by(OutboxMessage.id))
    first.status = OutboxStatus.SENT
    await session.commit()
    assert await svc.cancel(session, notice_id=d.id, by=community) == 2
    counts = dict((await session.execute(
        select(OutboxMessage.status, func.count()).where(OutboxMessage.topic == d.topic)
        .group_by(OutboxMessage.status))).all())
    assert counts == {"sent": 1, "cancelled": 2}
    with pytest.raises(Conflict):
        await svc.cancel(session, notice_id=d.id, by=community)


async def test_cancel_a_scheduled_notice(db, session, community):
    d = await draft_for(session, community, B1)
    await svc.confirm(session, notice_id=d.id, author=community, at=T0 + dt.timedelta(hours=2),
                      now=T0)
    await svc.cancel(session, notice_id=d.id, by=community)
    assert await run_tick(db, now=T0 + dt.timedelta(days=1)) == 0
    assert await chats(session, d.topic) == []


async def test_acknowledge_and_remind_only_the_others(session, community):
    d = await draft_for(session, community, B1)
    await svc.confirm(session, notice_id=d.id, author=community)
    await session.execute(OutboxMessage.__table__.update().values(status="sent"))
    await session.commit()
    one = await person(session, 1, "resident 1")
    first = await svc.acknowledge(session, notice_id=d.id, person=one, now=T0)
    again = await svc.acknowledge(session, notice_id=d.id, person=one,
                                  now=T0 + dt.timedelta(days=1))
    assert (first.first, first.at) == (True, T0)
    assert (again.first, again.at) == (False, T0)  # when it was recorded, not pressed again
    outsider = await person(session, 4, "resident 4")
    with pytest.raises(NotAllowed):
        await svc.acknowledge(session, notice_id=d.id, person=outsider)
    overall, buildings = await svc.acknowledgements(session, notice_id=d.id, viewer=community)
    assert (overall.acked, overall.total) == (1, 3)
    assert [(b.name, b.acked, b.total) for b in buildings] == [("1栋", 1, 3)]
    assert await svc.remind_unacknowledged(session, notice_id=d.id, by=community, now=T0) == 2
    reminded = sorted(await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == "notice.reminder")))
    assert reminded == [2, 3]
    with pytest.raises(Conflict):  # once a day
        await svc.remind_unacknowledged(session, notice_id=d.id, by=community,
                                        now=T0 + dt.timedelta(hours=3))


async def test_pinned_once_per_bound_group(session, community):
    building = await place(session, B1)
    await bind_chat(session, chat_id=-101, title="1栋 邻里群", place_id=building.id,
                    purpose=GroupPurpose.PLACE, by=community)
    await bind_chat(session, chat_id=-103, title="3栋 邻里群",
                    place_id=(await place(session, B3)).id, purpose=GroupPurpose.PLACE,
                    by=community)
    d = await draft_for(session, community, B1)
    await svc.toggle_pin(session, draft=d)
    assert (await svc.preview(session, notice=d)).groups == 1
    await svc.confirm(session, notice_id=d.id, author=community)
    groups = list(await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.topic == d.topic, OutboxMessage.kind == "notice.group")))
    assert groups == [-101]


async def test_tags_need_scope(session, community):
    grid3 = await person(session, 951, "网格员3", role=Role.GRID_WORKER,
                         at=COMMUNITY + "/第二网格")
    one = await person(session, 1, "resident 1")
    with pytest.raises(NotAllowed):
        await svc.tag_person(session, person_id=one.id, tag=Tag.ELDERLY, by=grid3, on=True)
    assert await session.scalar(select(func.count()).select_from(PersonTag)) == 0


async def test_a_notice_just_sent_waits_for_its_authors_message_before_it_is_closed(
        session, community):
    """Sent to nobody, a notice is delivered at once; the progress job must still not close it
    before the handler has attached the author's "Sending…" message, or the author is never
    told it was delivered (seen on a busy machine)."""
    d = await draft_for(session, community, B3, target=Target.VOLUNTEERS)  # none there
    sent = await svc.confirm(session, notice_id=d.id, author=community)
    assert (await svc.progress(session, sent)).done
    now = sent.sent_at
    assert svc.awaits_progress_message(sent, now + dt.timedelta(seconds=5))
    await svc.set_progress_message(session, notice_id=sent.id, chat_id=900, message_id=7)
    await session.refresh(sent)
    assert not svc.awaits_progress_message(sent, now + dt.timedelta(seconds=5))
    sent.progress_message_id = None  # the handler never got to it: closed after a while
    assert not svc.awaits_progress_message(sent, now + dt.timedelta(minutes=3))
