"""votes: paper ballots found unsigned (invalid, not taking part), counted in the result

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vote_unsigned_ballot",
        sa.Column("id", ID, nullable=False),
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"],
                                name=op.f("fk_vote_unsigned_ballot_vote_id_vote"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["vote_roll_owner.id"],
                                name=op.f("fk_vote_unsigned_ballot_owner_id_vote_roll_owner"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"],
                                name=op.f("fk_vote_unsigned_ballot_recorded_by_id_person"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_unsigned_ballot")),
        sa.UniqueConstraint("vote_id", "owner_id",
                            name=op.f("uq_vote_unsigned_ballot_vote_id_owner_id")),
    )


def downgrade() -> None:
    op.drop_table("vote_unsigned_ballot")
