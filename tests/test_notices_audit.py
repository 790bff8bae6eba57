"""What staff do to notices and tags is in the audit log (ids only), and a reminder names each
person it went to in the shared reminder log; the questions a draft asks go with it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import asks
from models import notices as svc
from models.audit import AuditEntry, entries_for
from models.outbox import OutboxMessage
from models.participation import Reminder
from models.people import Tag
from models.tags import toggle_tag
from tests.conftest import person
from tests.test_notices_service import B1, T0, community, draft_for  # noqa: F401

pytestmark = pytest.mark.usefixtures("places")


async def test_send_remind_cancel_and_tags_are_audited(session, community):  # noqa: F811
    staff = community
    d = await draft_for(session, staff, B1)
    await svc.confirm(session, notice_id=d.id, author=staff)
    await session.execute(OutboxMessage.__table__.update().values(status="sent"))
    await session.commit()
    assert await svc.remind_unacknowledged(session, notice_id=d.id, by=staff, now=T0) == 3
    await svc.cancel(session, notice_id=d.id, by=staff)
    entries = await entries_for(session, "notice", d.id)
    assert [(e.action, e.actor_id, e.place_id) for e in entries] == [
        ("notice.confirm", staff.id, d.place_id), ("notice.remind", staff.id, d.place_id),
        ("notice.cancel", staff.id, d.place_id)]
    assert entries[0].detail == {"recipients": 3} and entries[1].detail == {"reminded": 3}
    logged = list(await session.scalars(select(Reminder).where(Reminder.subject == "notice")))
    assert len(logged) == 3 and {r.by_id for r in logged} == {staff.id}
    assert {r.subject_id for r in logged} == {d.id}

    later = await draft_for(session, staff, B1)
    await svc.confirm(session, notice_id=later.id, author=staff, at=T0 + dt.timedelta(days=1),
                      now=T0)
    assert [e.action for e in await entries_for(session, "notice", later.id)] == \
        ["notice.schedule"]

    one = await person(session, 1, "resident 1")
    assert await toggle_tag(session, person_id=one.id, tag=Tag.ELDERLY, by=staff) is True
    assert await toggle_tag(session, person_id=one.id, tag=Tag.ELDERLY, by=staff) is False
    await svc.tag_person(session, person_id=one.id, tag=Tag.ELDERLY, by=staff, on=False)  # as is
    tags = await entries_for(session, "person", one.id)
    # who changed a tag on whom, never which tag (that is sensitive data in itself)
    assert [(e.action, e.detail) for e in tags] == [("tag.set", {}), ("tag.unset", {})]
    assert not await session.scalar(select(AuditEntry.id).where(
        AuditEntry.action.like("notice.draft%")))


async def test_a_draft_asks_for_its_text_and_forgets_it_when_done(session, community):  # noqa: F811
    staff = community
    d = await svc.start_draft(session, author=staff)
    question = await asks.asked(session, staff.id)
    assert (question.feature, question.step, question.object_id) == ("notices", "text", d.id)
    again = await svc.start_draft(session, author=staff)  # the old draft and its question go
    question = await asks.asked(session, staff.id)
    assert question.object_id == again.id
    await svc.set_text(session, draft=again, text="停水通知")
    assert await asks.asked(session, staff.id) is None
    await svc.ask_time(session, notice_id=again.id, author=staff)
    assert (await asks.asked(session, staff.id)).step == "when"
    await svc.cancel(session, notice_id=again.id, by=staff)
    assert await asks.asked(session, staff.id) is None
