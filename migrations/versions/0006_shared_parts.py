"""shared parts: open questions (ask), the audit log, one reminder log for every feature

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:15:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ask",
        sa.Column("id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("feature", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=48), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_ask_person_id_person"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ask")),
    )
    with op.batch_alter_table("ask", schema=None) as batch_op:
        batch_op.create_index("ix_ask_person_id_asked_at", ["person_id", "asked_at"],
                              unique=False)
    op.create_table(
        "audit_entry",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("subject", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("place_id", ID, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"],
                                name=op.f("fk_audit_entry_actor_id_person"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"],
                                name=op.f("fk_audit_entry_place_id_place"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_subject_subject_id", ["subject", "subject_id"],
                              unique=False)
        batch_op.create_index("ix_audit_entry_actor_id_at", ["actor_id", "at"], unique=False)
    op.create_table(
        "reminder",
        sa.Column("id", ID, nullable=False),
        sa.Column("subject", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_reminder_person_id_person"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_id"], ["person.id"],
                                name=op.f("fk_reminder_by_id_person"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_subject_subject_id_person_id_reminded_at",
                              ["subject", "subject_id", "person_id", "reminded_at"],
                              unique=False)
    _ask_open_drafts()
    # the pledges' own reminder log becomes the shared one
    op.execute("INSERT INTO reminder (subject, subject_id, person_id, reminded_at) "
               "SELECT 'pledge', pledge_id, person_id, reminded_at FROM pledge_reminder")
    with op.batch_alter_table("pledge_reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_pledge_reminder_pledge_id_person_id_reminded_at")
    op.drop_table("pledge_reminder")


PLEDGE_STEPS = "('title', 'body', 'dates', 'edit', 'attachment')"
NOTICE_STEPS = "('text', 'text_en', 'text_zh_CN', 'when')"


def _ask_open_drafts() -> None:
    """Drafts waiting for typed input keep waiting: each has its open question (a person's
    newest draft answers first)."""
    now = dt.datetime.now(dt.UTC)
    until = now + dt.timedelta(days=90)
    times = [sa.bindparam("now", now, type_=sa.DateTime(timezone=True)),
             sa.bindparam("until", until, type_=sa.DateTime(timezone=True))]
    who = "COALESCE({t}.step_by_id, {t}.created_by_id)"
    op.get_bind().execute(sa.text(f"""
        INSERT INTO ask (person_id, feature, step, object_id, asked_at, expires_at)
        SELECT {who.format(t="p")}, 'pledges', p.step, p.id, :now, :until FROM pledge p
        WHERE p.step IN {PLEDGE_STEPS} AND p.status IN ('draft', 'open')
          AND {who.format(t="p")} IS NOT NULL
    """).bindparams(*times))
    op.get_bind().execute(sa.text(f"""
        INSERT INTO ask (person_id, feature, step, object_id, asked_at, expires_at)
        SELECT n.author_id, 'notices', n.step, n.id, :now, :until FROM notice n
        WHERE n.step IN {NOTICE_STEPS} AND n.status = 'draft'
    """).bindparams(*times))


def downgrade() -> None:
    op.create_table(
        "pledge_reminder",
        sa.Column("id", ID, nullable=False),
        sa.Column("pledge_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_pledge_reminder_person_id_person"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"],
                                name=op.f("fk_pledge_reminder_pledge_id_pledge"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_reminder")),
    )
    with op.batch_alter_table("pledge_reminder", schema=None) as batch_op:
        batch_op.create_index("ix_pledge_reminder_pledge_id_person_id_reminded_at",
                              ["pledge_id", "person_id", "reminded_at"], unique=False)
    op.execute("INSERT INTO pledge_reminder (pledge_id, person_id, reminded_at) "
               "SELECT subject_id, person_id, reminded_at FROM reminder "
               "WHERE subject = 'pledge' AND subject_id IN (SELECT id FROM pledge)")
    op.drop_table("reminder")
    op.drop_table("audit_entry")
    op.drop_table("ask")
