"""Editing what the outbox sent: every message about an object (its `subject`, e.g.
"membership:7"), in every chat that got it, replaced by what a renderer makes of it now — an
approver's decision shown on each other approver's copy of the request, its buttons gone.

An edit is an outbox row like a send (`edits_id` names the row whose message it replaces):
written in the transaction of the change that makes it due, claimed, paced by the send budget
and recorded like a send, so a crash between the change and the edit still edits, once.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import String, Table, and_, case, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.outbox import OutboxMessage, OutboxStatus, declared_kinds


async def enqueue_edits(session: AsyncSession, *, subject: str, kind: str,
                        payload: dict[str, Any],
                        except_message: tuple[int, int] | None = None) -> int:
    """Edit every message sent (or still on its way) about `subject` in each chat that got
    it, to what `kind` renders from `payload`: one outbox row per message, pointing at the row
    that sent it, in the caller's transaction (so a decision and the edits it owes commit
    together and survive a crash). A row not sent yet when its edit's turn comes is waited
    for; one that never went out is not edited. An edit goes in quiet hours too (it makes no
    sound), unless the message it edits is itself still held. `except_message` (chat id,
    message id): the copy the person acting pressed, which their own answer edits already
    (a second edit to the same words is refused by Telegram as "not modified"). Returns how
    many were queued."""
    if kind not in declared_kinds():
        raise ValueError(f"outbox kind {kind!r} is not declared (models.outbox.declare_kind)")
    table = cast(Table, OutboxMessage.__table__)
    now = utcnow()
    # no topic: an edit is not one more message of a broadcast (its progress, its cancel)
    sent = (select(table.c.chat_id, table.c.person_id, literal(kind),
                   literal(None, String()), literal(subject, String()),
                   literal(payload, OutboxMessage.payload.type), table.c.id,
                   # a message already there is edited at once; one still held, with it
                   case((table.c.status == OutboxStatus.SENT, literal(True)),
                        else_=table.c.urgent),
                   literal(OutboxStatus.PENDING.value), literal(0),
                   literal(now, OutboxMessage.not_before.type),
                   literal(now, OutboxMessage.created_at.type))
            .where(table.c.subject == subject, table.c.edits_id.is_(None),
                   table.c.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING,
                                       OutboxStatus.SENT))))
    if except_message is not None:
        chat_id, message_id = except_message
        # rows to that chat with no message id recorded yet are left out too (NOT (x = NULL)
        # is not true): the pressed copy's outcome may not be written yet
        sent = sent.where(~and_(table.c.chat_id == chat_id,
                                table.c.message_id == message_id))
    result = await session.execute(insert(OutboxMessage).from_select(
        ["chat_id", "person_id", "kind", "topic", "subject", "payload", "edits_id", "urgent",
         "status", "attempts", "not_before", "created_at"], sent))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
