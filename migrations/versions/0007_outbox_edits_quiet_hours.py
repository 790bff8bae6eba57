"""outbox edits and quiet hours: what a message is about (subject), an edit's row (edits_id),
urgent rows that go in quiet hours, urgent notices

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column("edits_id", ID, nullable=True))
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key(op.f("fk_outbox_message_edits_id_outbox_message"),
                                    "outbox_message", ["edits_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index("ix_outbox_message_subject", ["subject"], unique=False)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("urgent", server_default=None)
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.alter_column("urgent", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("urgent")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_subject")
        batch_op.drop_constraint(op.f("fk_outbox_message_edits_id_outbox_message"),
                                 type_="foreignkey")
        batch_op.drop_column("urgent")
        batch_op.drop_column("edits_id")
        batch_op.drop_column("subject")
