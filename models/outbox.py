"""The outbox: every message the bot owes someone, written in the same transaction as the
change that caused it, so nothing is lost when the process dies and nothing is sent twice.

A row names its recipient and a `kind` with a JSON payload, not finished text: the sender
renders it in the recipient's language at send time (models know no translations). `topic`
groups the rows of one broadcast ("notice:42") for progress and cancelling; `subject` names
the object a message is about ("membership:7"), so that whatever was sent about it can be
edited later for everyone who got it (`enqueue_edits`: an approver's decision shown on every
other approver's copy; models/outbox_edits.py). An edit is an outbox row of its own pointing
at the row it edits (`edits_id`): claimed, paced and recorded like a send, after a crash too.

Quiet hours (models/quiet_hours.py): a row that is not `urgent` is not due while they last;
it goes when they end. Urgent rows (a flood warning, an edit) go at once. Replies to someone
who just acted are the handlers' own, never in the outbox, and never held.

Sending is claim → send → record. A claim moves rows to `sending` with a lease; a sender that
dies leaves them there, and once the lease has run out the next claim takes them again — so a
kill loses nothing and re-sends at most what was in flight.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Select,
    String,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow
from models.people import Person
from models.quiet_hours import QuietHours


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # overtaken by events (a request already decided)


DONE = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.BLOCKED, OutboxStatus.CANCELLED,
        OutboxStatus.SKIPPED)


class OutboxMessage(Base):
    """One message to one chat, waiting to be sent or already sent."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_not_before", "status", "not_before"),
        Index("ix_outbox_message_topic_status", "topic", "status"),
        Index("ix_outbox_message_subject", "subject"),
        # in quiet hours only urgent rows are due: found without reading the night's backlog
        Index("ix_outbox_message_urgent_status_not_before", "urgent", "status", "not_before"),
        Index("ix_outbox_message_edits_id", "edits_id"),  # (its foreign key's cascade)
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(48))
    topic: Mapped[str | None] = mapped_column(String(48))
    subject: Mapped[str | None] = mapped_column(String(48))  # the object it is about
    # an edit of the message this row sent (None: a new message)
    edits_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # goes in quiet hours too
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)


_KINDS: set[str] = set()


def declare_kind(*kinds: str) -> None:
    """Declare the outbox kinds a feature's verbs enqueue (at import); the wiring checks at
    start-up that each has a renderer, and enqueueing an undeclared kind fails at once."""
    _KINDS.update(kinds)


def declared_kinds() -> frozenset[str]:
    return frozenset(_KINDS)



def _declared(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"outbox kind {kind!r} is not declared (models.outbox.declare_kind)")
    return kind


def enqueue(
    session: AsyncSession, *, chat_id: int, kind: str, payload: dict[str, Any],
    person_id: int | None = None, not_before: dt.datetime | None = None,
    topic: str | None = None, subject: str | None = None, urgent: bool = False,
) -> OutboxMessage:
    """Add a message to the outbox; it is sent once the surrounding transaction commits.
    `subject` names the object it is about (to edit it later); `urgent`: in quiet hours too."""
    row = OutboxMessage(chat_id=chat_id, person_id=person_id, kind=_declared(kind),
                        payload=payload, topic=topic, subject=subject,
                        urgent=urgent,
                        status=OutboxStatus.PENDING, attempts=0,
                        not_before=not_before or utcnow())
    session.add(row)
    return row


async def enqueue_select(
    session: AsyncSession, people: Select[*tuple[Any, ...]], *, kind: str,
    payload: dict[str, Any],
    topic: str | None = None, now: dt.datetime | None = None, urgent: bool = False,
) -> int:
    """One outbox row per row of `people` (columns: chat id, person id), as a single
    INSERT … SELECT in the caller's transaction — audiences of 100,000 never become Python
    objects. Returns how many rows were written."""
    now = now or utcnow()
    who = people.subquery()
    chat_id, person_id = list(who.c)[:2]
    result = await session.execute(insert(OutboxMessage).from_select(
        ["chat_id", "person_id", "kind", "topic", "payload", "urgent", "status", "attempts",
         "not_before", "created_at"],
        select(chat_id, person_id, literal(_declared(kind)), literal(topic, String()),
               literal(payload, OutboxMessage.payload.type),
               literal(urgent),
               literal(OutboxStatus.PENDING.value),
               literal(0), literal(now, OutboxMessage.not_before.type),
               literal(now, OutboxMessage.created_at.type)),
    ))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claimed:
    """A claimed row, with what the sender needs to render and send it."""

    id: int
    chat_id: int
    person_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    language: str | None
    # an edit: the row whose message it edits, that message's id and that row's status
    edits_id: int | None = None
    edit_message_id: int | None = None
    edited_status: str | None = None


async def claim(
    session: AsyncSession, *, limit: int, lease: dt.timedelta, now: dt.datetime | None = None,
    look: bool = True, quiet: QuietHours | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows for sending (and rows whose lease ran out); commits.

    UPDATE … WHERE id IN (the due rows), then what the sender needs of them, with the
    recipient's language looked up per row: on PostgreSQL as RETURNING, on SQLite read back as
    one JSON value (see `_claimed_on_sqlite`). Broadcast rows share one payload, so each
    distinct payload text is parsed once per batch. With `look`, a read finds out first
    whether anything is due (an idle outbox is polled: no write lock for nothing); a sender
    in the middle of a broadcast claims at once. In `quiet` hours only urgent rows are due."""
    now = now or utcnow()
    table = cast(Table, OutboxMessage.__table__)
    is_due = (((table.c.status == OutboxStatus.PENDING) & (table.c.not_before <= now))
              | ((table.c.status == OutboxStatus.SENDING) & (table.c.claimed_at < now - lease)))
    if quiet is not None and quiet.holds(now):
        is_due = is_due & table.c.urgent
    # an idle outbox is polled every second: find that out by reading, without a write lock
    if look and await session.scalar(select(table.c.id).where(is_due).limit(1)) is None:
        await session.rollback()
        return []
    due = (
        select(table.c.id).where(is_due)
        # one-to-one messages (a reply to a join request) before broadcasts (they have a topic)
        .order_by(table.c.topic.is_not(None), table.c.id)
        .limit(limit)
    )
    sqlite = session.bind is not None and session.bind.dialect.name == "sqlite"
    if not sqlite:
        due = due.with_for_update(skip_locked=True)  # several workers share one outbox
    language = (select(Person.language).where(Person.id == table.c.person_id)
                .scalar_subquery())
    edited = table.alias("edited")
    edited_id = (select(edited.c.message_id).where(edited.c.id == table.c.edits_id)
                 .scalar_subquery())
    edited_status = (select(edited.c.status).where(edited.c.id == table.c.edits_id)
                     .scalar_subquery())
    columns = (table.c.id, table.c.chat_id, table.c.person_id, table.c.kind,
               type_coerce(table.c.payload, Text), table.c.attempts, language,
               table.c.edits_id, edited_id, edited_status)
    claiming = (update(table).where(table.c.id.in_(due))
                .values(status=OutboxStatus.SENDING, claimed_at=now))
    if sqlite:
        rows = await _claimed_on_sqlite(session, claiming, columns, now)
    else:
        rows = list((await session.execute(claiming.returning(*columns))).all())
    await session.commit()
    payloads: dict[str, dict[str, Any]] = {}
    claimed = []
    for id_, chat_id, person_id, kind, payload, attempts, lang, *edit in rows:
        if isinstance(payload, dict):  # asyncpg decodes JSON itself
            parsed: dict[str, Any] = payload
        elif payload in payloads:
            parsed = payloads[payload]
        else:
            parsed = payloads[payload] = json.loads(payload) if payload else {}
        claimed.append(Claimed(id_, chat_id, person_id, kind, parsed, attempts, lang, *edit))
    claimed.sort(key=lambda row: row.id)
    return claimed


async def _claimed_on_sqlite(session: AsyncSession, claiming: Any, columns: Sequence[Any],
                             now: dt.datetime) -> list[Any]:
    """Claim, then read the claimed rows back as one JSON value. SQLite hands RETURNING rows
    back one step each, and each step waits for the GIL held by the busy event loop thread
    (the sends): a batch of 500 took 500 such hand-overs, one statement takes one. The rows
    are those this claim marked (`claimed_at` = its moment, in the same write transaction:
    no other writer comes between)."""
    table = cast(Table, OutboxMessage.__table__)
    await session.execute(claiming)
    packed = await session.scalar(
        select(func.json_group_array(func.json_array(*columns)))
        .where(table.c.status == OutboxStatus.SENDING, table.c.claimed_at == now))
    return cast(list[Any], json.loads(packed or "[]"))


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row."""

    id: int
    status: OutboxStatus
    message_id: int | None = None
    error: str | None = None
    retry_at: dt.datetime | None = None  # back to pending until then
    unreachable_person_id: int | None = None
    count_attempt: bool = True
    moved_to: int | None = None  # its group became this supergroup: send there instead


# the drivers' own placeholders for three parameters (aiosqlite, asyncpg)
PLACEHOLDERS = {"qmark": ("?", "?", "?"), "numeric_dollar": ("$1", "$2", "$3")}
# Sent rows on SQLite: [[message_id, id], …] as one JSON parameter, then the sending time. A
# message that went out is sent, even if its broadcast was cancelled meanwhile. (The CTE is
# materialised so that each row is found by its id, not the table scanned for each.)
SENT_ON_SQLITE = (
    "WITH sent(message_id, id) AS MATERIALIZED (SELECT json_extract(value, '$[0]'),"
    " json_extract(value, '$[1]') FROM json_each(?))"
    " UPDATE outbox_message SET status = 'sent', message_id = sent.message_id, sent_at = ?,"
    " attempts = attempts + 1, claimed_at = NULL, error = NULL"
    " FROM sent WHERE outbox_message.id = sent.id AND status IN ('sending', 'cancelled')")


async def record(session: AsyncSession, outcomes: Sequence[Outcome], *,
                 commit: bool = True) -> None:
    """Write a batch of outcomes in one transaction (and mark blocked people unreachable);
    commits unless told not to (the caller commits it with more)."""
    if not outcomes:
        return
    now = utcnow()
    sent = [(o.message_id, o.id) for o in outcomes
            if o.status == OutboxStatus.SENT and o.retry_at is None]
    if sent:  # the common case, one executemany straight to the driver (a broadcast writes
        # thousands of these a second; SQLAlchemy's per-row parameter handling cost 4× SQLite's)
        connection = await session.connection()
        dialect = connection.dialect
        # the value exactly as SQLAlchemy writes it elsewhere (on SQLite a fixed-width text)
        to_db = OutboxMessage.__table__.c.sent_at.type.dialect_impl(dialect).bind_processor(
            dialect)
        when = to_db(now) if to_db else now
        if dialect.name == "sqlite":  # one statement, one step (see _claimed_on_sqlite)
            await connection.exec_driver_sql(SENT_ON_SQLITE, (json.dumps(sent), when))
        else:
            p = PLACEHOLDERS[dialect.paramstyle]
            # a message that went out is sent, even if its broadcast was cancelled meanwhile
            await connection.exec_driver_sql(
                f"UPDATE outbox_message SET status = 'sent', message_id = {p[0]},"
                f" sent_at = {p[1]}, attempts = attempts + 1, claimed_at = NULL, error = NULL"
                f" WHERE id = {p[2]} AND status IN ('sending', 'cancelled')",
                [(message_id, when, id_) for message_id, id_ in sent],
            )
    for outcome in outcomes:
        if outcome.status == OutboxStatus.SENT and outcome.retry_at is None:
            continue
        values: dict[str, Any] = {"error": outcome.error, "claimed_at": None}
        if outcome.count_attempt:
            values["attempts"] = OutboxMessage.attempts + 1
        if outcome.moved_to is not None:
            values["chat_id"] = outcome.moved_to
        if outcome.retry_at is not None:
            values |= {"status": OutboxStatus.PENDING, "not_before": outcome.retry_at}
        else:
            values |= {"status": outcome.status, "message_id": outcome.message_id}
            if outcome.status == OutboxStatus.SENT:
                values["sent_at"] = now
        # only a row still claimed by us: a cancel meanwhile must stay cancelled
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outcome.id, OutboxMessage.status == OutboxStatus.SENDING)
            .values(values)
        )
    unreachable = {o.unreachable_person_id for o in outcomes if o.unreachable_person_id}
    if unreachable:
        await session.execute(update(Person).where(Person.id.in_(unreachable))
                              .values(unreachable_at=now))
    if commit:
        await session.commit()


async def release(session: AsyncSession, ids: Sequence[int]) -> None:
    """Give claimed rows that were never sent back to the outbox (a sender stopping cleanly),
    so the next claim takes them at once instead of after their lease; commits."""
    for start in range(0, len(ids), 500):
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids[start:start + 500]),
                   OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.PENDING, claimed_at=None)
        )
    await session.commit()


async def topic_counts(session: AsyncSession, topic: str) -> dict[str, int]:
    """How many rows of a broadcast are in each status."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).where(OutboxMessage.topic == topic)
        .group_by(OutboxMessage.status)
    )
    return {str(status): int(n) for status, n in rows}


async def cancel_topic(session: AsyncSession, topic: str) -> int:
    """Cancel what of a broadcast is not sent yet (what was sent stays sent). Rows a sender
    has claimed are cancelled too; it sees that within a flush and drops them."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.topic == topic,
               OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        .values(status=OutboxStatus.CANCELLED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def take_cancelled_claims(session: AsyncSession, *, commit: bool = True) -> set[int]:
    """Rows cancelled after a sender claimed them (they still carry `claimed_at`); clears the
    mark so each is reported once (commits, unless told not to). Cheap when nothing was
    cancelled, which is nearly always."""
    ids = set(await session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.CANCELLED, OutboxMessage.claimed_at.is_not(None))))
    if ids:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                              .values(claimed_at=None))
        if commit:
            await session.commit()
    return ids
