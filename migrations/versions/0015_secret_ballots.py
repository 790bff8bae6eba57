"""votes: secret ballots for elections (the roll's mark, the ballot under its receipt code)

The three tables are WITHOUT ROWID on SQLite: their rows lie in the order of their keys, not
of their writes (models/votes/secret.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("vote") as batch:
        batch.add_column(sa.Column("secret", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    op.create_table(
        "vote_secret_voter",
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"],
                                name=op.f("fk_vote_secret_voter_vote_id_vote"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["vote_roll_owner.id"],
                                name=op.f("fk_vote_secret_voter_owner_id_vote_roll_owner"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_id", "owner_id", name=op.f("pk_vote_secret_voter")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_vote_secret_voter_owner_id"), "vote_secret_voter", ["owner_id"])
    op.create_table(
        "vote_secret_ballot",
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("receipt", sa.String(length=12), nullable=False),
        sa.Column("area", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"],
                                name=op.f("fk_vote_secret_ballot_vote_id_vote"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_id", "receipt", name=op.f("pk_vote_secret_ballot")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "vote_secret_choice",
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("matter", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("receipt", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["vote_id", "receipt"],
                                ["vote_secret_ballot.vote_id", "vote_secret_ballot.receipt"],
                                name=op.f("fk_vote_secret_choice_vote_id_vote_secret_ballot"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_id", "matter", "value", "receipt",
                                name=op.f("pk_vote_secret_choice")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_vote_secret_choice_vote_id_receipt", "vote_secret_choice",
                    ["vote_id", "receipt"])


def downgrade() -> None:
    op.drop_table("vote_secret_choice")
    op.drop_index(op.f("ix_vote_secret_voter_owner_id"), table_name="vote_secret_voter")
    op.drop_table("vote_secret_voter")
    op.drop_table("vote_secret_ballot")
    with op.batch_alter_table("vote") as batch:
        batch.drop_column("secret")
