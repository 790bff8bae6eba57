"""estates (物业管理区域) and owners' committees; households' owner reference and developer flag

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "estate",
        sa.Column("id", ID, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["place.id"],
                                name=op.f("fk_estate_community_id_place"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estate")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_estate_community_id_name")),
    )
    op.create_table(
        "committee_seat",
        sa.Column("id", ID, nullable=False),
        sa.Column("estate_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["estate_id"], ["estate.id"],
                                name=op.f("fk_committee_seat_estate_id_estate"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_id"], ["person.id"],
                                name=op.f("fk_committee_seat_granted_by_id_person"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_committee_seat_person_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_seat")),
        sa.UniqueConstraint("estate_id", "person_id",
                            name=op.f("uq_committee_seat_estate_id_person_id")),
    )
    op.create_index(op.f("ix_committee_seat_person_id"), "committee_seat", ["person_id"],
                    unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; a batch "create_foreign_key"
        # would copy and drop the place table, which every membership points at
        op.execute("ALTER TABLE place ADD COLUMN estate_id INTEGER "
                   "CONSTRAINT fk_place_estate_id_estate REFERENCES estate (id)")
    else:
        op.add_column("place", sa.Column("estate_id", ID, nullable=True))
        op.create_foreign_key(op.f("fk_place_estate_id_estate"), "place", "estate",
                              ["estate_id"], ["id"])
    op.add_column("place", sa.Column("owner_ref", sa.String(length=64), nullable=True))
    op.add_column("place", sa.Column("developer", sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.create_index(op.f("ix_place_estate_id"), "place", ["estate_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_estate_id"))
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(batch_op.f("fk_place_estate_id_estate"),
                                     type_="foreignkey")
        batch_op.drop_column("developer")
        batch_op.drop_column("owner_ref")
        batch_op.drop_column("estate_id")
    op.drop_index(op.f("ix_committee_seat_person_id"), table_name="committee_seat")
    op.drop_table("committee_seat")
    op.drop_table("estate")
