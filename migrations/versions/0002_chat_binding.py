"""group chats bound to places

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:33:26.273792
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_binding",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column(
            "place_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column(
            "bound_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bound_by_id"],
            ["person.id"],
            name=op.f("fk_chat_binding_bound_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["place.id"],
            name=op.f("fk_chat_binding_place_id_place"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_binding")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_chat_binding_chat_id")),
    )
    with op.batch_alter_table("chat_binding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_binding_place_id"), ["place_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_binding_place_id"))

    op.drop_table("chat_binding")
