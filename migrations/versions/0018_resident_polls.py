"""polls: resident polls (the poll, named answers, an anonymous poll's marks and answers, the
roll frozen at closing)

The anonymous poll's three tables are WITHOUT ROWID on SQLite, as the secret ballots' are:
their rows lie in the order of their keys, not of their writes (models/polls/tables.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "poll",
        sa.Column("id", ID, nullable=False),
        sa.Column("place_id", ID, nullable=True),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("min_turnout", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("closes_at", WHEN, nullable=True),
        sa.Column("opened_at", WHEN, nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("published_at", WHEN, nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("poll", "created_by_id", "person", "SET NULL"),
        _fk("poll", "place_id", "place", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll")),
    )
    op.create_index(op.f("ix_poll_created_by_id"), "poll", ["created_by_id"])
    op.create_index(op.f("ix_poll_place_id"), "poll", ["place_id"])
    op.create_index(op.f("ix_poll_status"), "poll", ["status"])
    op.create_index("ix_poll_status_closes_at", "poll", ["status", "closes_at"])
    op.create_table(
        "poll_answer",
        sa.Column("id", ID, nullable=False),
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("voter", sa.String(length=24), nullable=False),
        sa.Column("person_id", ID, nullable=True),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("answered_at", WHEN, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("poll_answer", "household_id", "place", "RESTRICT"),
        _fk("poll_answer", "person_id", "person", "SET NULL"),
        _fk("poll_answer", "poll_id", "poll", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_answer")),
        sa.UniqueConstraint("poll_id", "voter", name=op.f("uq_poll_answer_poll_id_voter")),
    )
    op.create_index(op.f("ix_poll_answer_household_id"), "poll_answer", ["household_id"])
    op.create_index(op.f("ix_poll_answer_person_id"), "poll_answer", ["person_id"])
    op.create_table(
        "poll_choice",
        sa.Column("id", ID, nullable=False),
        sa.Column("answer_id", ID, nullable=False),
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        _fk("poll_choice", "answer_id", "poll_answer", "CASCADE"),
        _fk("poll_choice", "poll_id", "poll", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_choice")),
        sa.UniqueConstraint("answer_id", "option", name=op.f("uq_poll_choice_answer_id_option")),
    )
    op.create_index("ix_poll_choice_poll_id_option", "poll_choice", ["poll_id", "option"])
    op.create_table(
        "poll_roll",
        sa.Column("id", ID, nullable=False),
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("voter", sa.String(length=24), nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("voted", sa.Boolean(), nullable=False),
        _fk("poll_roll", "household_id", "place", "RESTRICT"),
        _fk("poll_roll", "poll_id", "poll", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_roll")),
        sa.UniqueConstraint("poll_id", "voter", "household_id",
                            name=op.f("uq_poll_roll_poll_id_voter_household_id")),
    )
    op.create_table(
        "poll_voter",
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("voter", sa.String(length=24), nullable=False),
        sa.Column("person_id", ID, nullable=True),
        sa.Column("household_id", ID, nullable=False),
        _fk("poll_voter", "household_id", "place", "RESTRICT"),
        _fk("poll_voter", "person_id", "person", "SET NULL"),
        _fk("poll_voter", "poll_id", "poll", "CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "voter", name=op.f("pk_poll_voter")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_poll_voter_household_id"), "poll_voter", ["household_id"])
    op.create_table(
        "poll_secret_answer",
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("key", sa.String(length=12), nullable=False),
        _fk("poll_secret_answer", "poll_id", "poll", "CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "key", name=op.f("pk_poll_secret_answer")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "poll_secret_choice",
        sa.Column("poll_id", ID, nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["poll_id", "key"],
                                ["poll_secret_answer.poll_id", "poll_secret_answer.key"],
                                name=op.f("fk_poll_secret_choice_poll_id_poll_secret_answer"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "option", "key", name=op.f("pk_poll_secret_choice")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_poll_secret_choice_poll_id_key", "poll_secret_choice",
                    ["poll_id", "key"])


def downgrade() -> None:
    op.drop_table("poll_secret_choice")
    op.drop_table("poll_secret_answer")
    op.drop_index(op.f("ix_poll_voter_household_id"), table_name="poll_voter")
    op.drop_table("poll_voter")
    op.drop_table("poll_roll")
    op.drop_index("ix_poll_choice_poll_id_option", table_name="poll_choice")
    op.drop_table("poll_choice")
    op.drop_index(op.f("ix_poll_answer_person_id"), table_name="poll_answer")
    op.drop_index(op.f("ix_poll_answer_household_id"), table_name="poll_answer")
    op.drop_table("poll_answer")
    for index in ("ix_poll_status_closes_at", op.f("ix_poll_status"), op.f("ix_poll_place_id"),
                  op.f("ix_poll_created_by_id")):
        op.drop_index(index, table_name="poll")
    op.drop_table("poll")
