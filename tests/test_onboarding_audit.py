"""Staff actions of joining, roles and groups leave an audit row (ids only), written by the
verb in the same transaction as the change; a refused action leaves none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import roles
from models.audit import AuditEntry
from models.errors import NotAllowed
from models.groups import GroupPurpose, bind_chat, end_binding
from models.onboarding import decide_membership, request_membership
from models.people import Relation, Role
from tests.conftest import COMMUNITY, ROOM_101, person, place

pytestmark = pytest.mark.usefixtures("places")


async def audit(session) -> list[tuple[str, int | None, str, int | None]]:
    rows = await session.execute(select(AuditEntry.action, AuditEntry.actor_id,
                                        AuditEntry.subject, AuditEntry.place_id)
                                 .order_by(AuditEntry.id))
    return list(rows)


@pytest.mark.parametrize("approve", [True, False])
async def test_deciding_a_request_is_audited(session, approve):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    req = await request_membership(session, person=resident, household_id=room.id,
                                   relation=Relation.OWNER)
    assert await audit(session) == []  # a resident's own request is not a staff action
    ids = req.membership.id, staff.id, room.id, resident.id
    other = await person(session, 901, "桂花 staff", role=Role.STAFF, at="城东街道/桂花社区")
    with pytest.raises(NotAllowed):
        await decide_membership(session, membership_id=ids[0], decider=other,
                                approve=approve)
    assert await audit(session) == []
    await decide_membership(session, membership_id=ids[0], decider=staff, approve=approve)
    action = "membership.approve" if approve else "membership.reject"
    assert await audit(session) == [(action, ids[1], "membership", ids[2])]
    entry = await session.scalar(select(AuditEntry))
    assert entry.subject_id == ids[0] and entry.detail == {"person_id": ids[3]}


async def test_granting_and_revoking_roles_by_hand_is_audited(session):
    community = await place(session, COMMUNITY)
    names = COMMUNITY.split("/")
    assert await roles.grant(session, telegram_id=555, place_names=names, role=Role.STAFF,
                             name="王主任", language="zh_CN")
    assert not await roles.grant(session, telegram_id=555, place_names=names,
                                 role=Role.STAFF, name="王主任", language="zh_CN")
    assert [h.telegram_id for h in await roles.role_holders(session, Role.STAFF)] == [555]
    assert await roles.revoke(session, telegram_id=555, place_names=names, role=Role.STAFF)
    assert not await roles.revoke(session, telegram_id=555, place_names=names,
                                  role=Role.STAFF)
    assert await audit(session) == [("role.grant", None, "person", community.id),
                                    ("role.revoke", None, "person", community.id)]


async def test_binding_a_group_and_its_end_are_audited(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    building = await place(session, COMMUNITY + "/第一网格/1栋")
    await bind_chat(session, chat_id=-100, title="1栋", place_id=building.id,
                    purpose=GroupPurpose.PLACE, by=staff)
    assert await end_binding(session, chat_id=-100, why="kicked")
    assert await audit(session) == [("group.bind", staff.id, "chat_binding", building.id),
                                    ("group.unbind", None, "chat_binding", building.id)]
