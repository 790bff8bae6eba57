"""Pledges' verbs write what #11 asks of them: the question each draft step asks (so the
author's next message goes to it, and only while it waits), an audit row for every action by
staff or a grid worker, and the line under a pledge escapes what an error quotes."""
# ruff: noqa: F811 (the `people` fixture, imported, is each test's argument)

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.feature import Call
from bot.i18n import tr
from handlers.pledges.reading import sign_state
from models import asks
from models.audit import AuditEntry
from models.places import Place
from models.pledges import (
    Signers,
    Step,
    add_text,
    ask_to_resign,
    begin_edit,
    cancel_draft,
    close_pledge,
    export_signatures,
    extend_pledge,
    finish_body,
    go_to_step,
    remind_non_signers,
    save_version,
    set_attachment,
    set_scope,
    set_signers,
    sign_pledge,
    start_draft,
)
from tests.test_pledges_service import NOW, people, published  # noqa: F401 (people: a fixture)

pytestmark = pytest.mark.usefixtures("places")


async def asked(session, person) -> tuple[str, int | None] | None:
    question = await asks.asked(session, person.id)
    return (question.feature, question.step, question.object_id) if question else None


async def test_each_step_asks_for_what_it_wants_and_stops_asking(session, people):
    staff = people["staff"]
    draft, _ = await start_draft(session, author=staff)
    assert await asked(session, staff) == ("pledges", "title", draft.id)
    await add_text(session, author=staff, text="公筷公勺", pledge_id=draft.id)
    assert await asked(session, staff) == ("pledges", "body", draft.id)
    await add_text(session, author=staff, text="第一段。")
    await finish_body(session, pledge_id=draft.id, author=staff)
    assert await asked(session, staff) == ("pledges", "attachment", draft.id)
    await set_attachment(session, pledge_id=draft.id, author=staff, file_id=None, kind=None)
    assert await asked(session, staff) is None  # the place is chosen by buttons
    community = await session.scalar(select(Place).where(Place.name == "阳光社区"))
    await set_scope(session, pledge_id=draft.id, author=staff, place_id=community.id)
    await set_signers(session, pledge_id=draft.id, author=staff, signers=Signers.HOUSEHOLD)
    assert await asked(session, staff) == ("pledges", "dates", draft.id)
    await go_to_step(session, pledge_id=draft.id, author=staff, step=Step.TITLE)
    assert await asked(session, staff) == ("pledges", "title", draft.id)
    await cancel_draft(session, pledge_id=draft.id, author=staff)
    assert await asked(session, staff) is None


async def test_a_new_version_asks_for_its_text_until_saved(session, people):
    staff = people["staff"]
    pledge = await published(session, staff)
    assert await asked(session, staff) is None  # published: nothing more to type
    await begin_edit(session, pledge_id=pledge.id, by=staff)
    assert await asked(session, staff) == ("pledges", "edit", pledge.id)
    await add_text(session, author=staff, text="新的文本。", pledge_id=pledge.id)
    await save_version(session, pledge_id=pledge.id, by=staff, now=NOW)
    assert await asked(session, staff) is None


async def test_every_staff_action_is_audited(session, people):
    staff, grid = people["staff"], people["grid"]
    pledge = await published(session, staff)
    await sign_pledge(session, pledge_id=pledge.id, person=people["family102"], version=1,
                      assisted_by=grid, now=NOW)
    await remind_non_signers(session, pledge_id=pledge.id, by=grid, now=NOW)
    await export_signatures(session, pledge_id=pledge.id, by=staff, file_format="csv")
    await begin_edit(session, pledge_id=pledge.id, by=staff)
    await add_text(session, author=staff, text="新的文本。")
    await save_version(session, pledge_id=pledge.id, by=staff, now=NOW)
    await ask_to_resign(session, pledge_id=pledge.id, by=staff, now=NOW)
    await extend_pledge(session, pledge_id=pledge.id, by=staff, days=7, now=NOW)
    await close_pledge(session, pledge_id=pledge.id, by=staff, now=NOW)
    rows = (await session.execute(select(AuditEntry.action, AuditEntry.actor_id).where(
        AuditEntry.subject == "pledge", AuditEntry.subject_id == pledge.id)
        .order_by(AuditEntry.id))).all()
    assert rows == [("pledge.draft", staff.id), ("pledge.publish", staff.id),
                    ("pledge.sign_assisted", grid.id), ("pledge.remind", grid.id),
                    ("pledge.export", staff.id), ("pledge.new_version", staff.id),
                    ("pledge.ask_resign", staff.id), ("pledge.extend", staff.id),
                    ("pledge.close", staff.id)]
    details = await session.scalar(select(AuditEntry.detail).where(
        AuditEntry.action == "pledge.sign_assisted"))
    assert details["person_id"] == people["family102"].id  # ids, never names


async def test_the_line_under_a_pledge_escapes_the_place_it_quotes(session, people):
    pledge = await published(session, people["staff"])
    community = await session.scalar(select(Place).where(Place.name == "阳光社区"))
    community.name = "<b>阳光</b>&社区"
    await session.commit()
    call = Call(None, None, session, people["other"], tr("en"), None)  # type: ignore[arg-type]
    text, markup = await sign_state(call, pledge, people["other"])
    assert "&lt;b&gt;阳光&lt;/b&gt;&amp;社区" in text and "<b>" not in text and markup is None
