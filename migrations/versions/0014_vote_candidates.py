"""votes: an election's candidates (name, short description, photo)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vote_candidate",
        sa.Column("id", ID, nullable=False),
        sa.Column("matter_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("about", sa.String(length=300), nullable=False),
        sa.Column("photo_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["vote_matter.id"],
            name=op.f("fk_vote_candidate_matter_id_vote_matter"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_candidate")),
        sa.UniqueConstraint(
            "matter_id", "number", name=op.f("uq_vote_candidate_matter_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("vote_candidate")
