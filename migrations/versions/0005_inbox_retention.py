"""inbox keeps no payload once processed; unreadable updates record why

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=True)
        batch_op.add_column(sa.Column("error", sa.String(length=64), nullable=True))
    # what was processed before this version kept its payload: drop it now
    op.execute("UPDATE inbox_update SET payload = NULL WHERE processed_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM inbox_update WHERE payload IS NULL")
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=False)
