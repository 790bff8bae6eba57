"""pledges in more than one language: the text per language, and which one a signature signed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # existing pledges have their own text only; existing signatures signed it (zh_CN)
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("texts", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
    with op.batch_alter_table("pledge_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("texts", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=False,
                                      server_default="zh_CN"))


def downgrade() -> None:
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("pledge_version", schema=None) as batch_op:
        batch_op.drop_column("texts")
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_column("texts")
