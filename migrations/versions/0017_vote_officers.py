"""votes: officers the convenors authorise to enter paper and on-site ballots

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vote_officer",
        sa.Column("id", ID, nullable=False),
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("granted_by_id", ID, nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"],
                                name=op.f("fk_vote_officer_vote_id_vote"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_vote_officer_person_id_person"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_id"], ["person.id"],
                                name=op.f("fk_vote_officer_granted_by_id_person"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_officer")),
        sa.UniqueConstraint("vote_id", "person_id",
                            name=op.f("uq_vote_officer_vote_id_person_id")),
    )
    op.create_index(op.f("ix_vote_officer_person_id"), "vote_officer", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_vote_officer_person_id"), table_name="vote_officer")
    op.drop_table("vote_officer")
