"""votes: printable ballots, each owner's token for its QR code

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vote_printed_ballot",
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"],
                                name=op.f("fk_vote_printed_ballot_vote_id_vote"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["household_id"], ["place.id"],
                                name=op.f("fk_vote_printed_ballot_household_id_place"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_vote_printed_ballot")),
        sa.UniqueConstraint("vote_id", "household_id",
                            name=op.f("uq_vote_printed_ballot_vote_id_household_id")),
    )


def downgrade() -> None:
    op.drop_table("vote_printed_ballot")
