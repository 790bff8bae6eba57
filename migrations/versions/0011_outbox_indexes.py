"""outbox: an index for the urgent rows that quiet hours let through, and one for edits_id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # in quiet hours the claim asks for urgent rows only: without this it reads every row
    # held for the morning, once a second, all night
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_urgent_status_not_before",
                              ["urgent", "status", "not_before"], unique=False)
        batch_op.create_index("ix_outbox_message_edits_id", ["edits_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_edits_id")
        batch_op.drop_index("ix_outbox_message_urgent_status_not_before")
