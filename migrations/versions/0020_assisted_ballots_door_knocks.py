"""votes: assisted ballots with their written proxy's photo, door-knock states

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    name = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{name}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    table = "vote_assisted_ballot"
    op.create_table(
        table,
        sa.Column("id", ID, nullable=False),
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("proxy_file_id", sa.String(length=255), nullable=False),
        sa.Column("assisted_by_id", ID, nullable=True),
        sa.Column("proxy_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ballot_id", ID, nullable=True),
        _fk(table, "vote_id", "vote.id", "CASCADE"),
        _fk(table, "owner_id", "vote_roll_owner.id", "CASCADE"),
        _fk(table, "assisted_by_id", "person.id", "SET NULL"),
        _fk(table, "ballot_id", "vote_ballot.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("vote_id", "owner_id", name=op.f(f"uq_{table}_vote_id_owner_id")),
        sa.UniqueConstraint("ballot_id", name=op.f(f"uq_{table}_ballot_id")),
    )
    table = "vote_door_knock"
    op.create_table(
        table,
        sa.Column("id", ID, nullable=False),
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("set_by_id", ID, nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        _fk(table, "vote_id", "vote.id", "CASCADE"),
        _fk(table, "owner_id", "vote_roll_owner.id", "CASCADE"),
        _fk(table, "set_by_id", "person.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("vote_id", "owner_id", name=op.f(f"uq_{table}_vote_id_owner_id")),
    )


def downgrade() -> None:
    op.drop_table("vote_door_knock")
    op.drop_table("vote_assisted_ballot")
