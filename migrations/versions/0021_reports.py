"""reports: photo reports, their photos and history, categories per community, departments

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('department',
    sa.Column('id', ID, nullable=False),
    sa.Column('community_id', ID, nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['place.id'],
        name=op.f('fk_department_community_id_place'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_department_community_id_name'))
    )
    op.create_index(op.f('ix_department_community_id'), 'department',
        ['community_id'], unique=False)
    op.create_table('report_category',
    sa.Column('id', ID, nullable=False),
    sa.Column('community_id', ID, nullable=False),
    sa.Column('code', sa.String(length=24), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=60), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['place.id'],
        name=op.f('fk_report_category_community_id_place'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_category')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_report_category_community_id_name'))
    )
    op.create_index(op.f('ix_report_category_community_id'), 'report_category',
        ['community_id'], unique=False)
    op.create_table('department_category',
    sa.Column('department_id', ID, nullable=False),
    sa.Column('category_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['report_category.id'],
        name=op.f('fk_department_category_category_id_report_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'],
        name=op.f('fk_department_category_department_id_department'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'category_id', name=op.f('pk_department_category'))
    )
    op.create_index(op.f('ix_department_category_category_id'), 'department_category',
        ['category_id'], unique=False)
    op.create_table('department_member',
    sa.Column('department_id', ID, nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'],
        name=op.f('fk_department_member_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'],
        name=op.f('fk_department_member_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'person_id', name=op.f('pk_department_member'))
    )
    op.create_index(op.f('ix_department_member_person_id'), 'department_member',
        ['person_id'], unique=False)
    op.create_table('department_place',
    sa.Column('department_id', ID, nullable=False),
    sa.Column('place_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'],
        name=op.f('fk_department_place_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'],
        name=op.f('fk_department_place_place_id_place'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'place_id', name=op.f('pk_department_place'))
    )
    op.create_index(op.f('ix_department_place_place_id'), 'department_place',
        ['place_id'], unique=False)
    op.create_table('report',
    sa.Column('id', ID, nullable=False),
    sa.Column('reporter_id', ID, nullable=True),
    sa.Column('place_id', ID, nullable=True),
    sa.Column('category_id', ID, nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('department_id', ID, nullable=True),
    sa.Column('assignee_id', ID, nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('merged_into_id', ID, nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fixed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['person.id'],
        name=op.f('fk_report_assignee_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['report_category.id'],
        name=op.f('fk_report_category_id_report_category'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'],
        name=op.f('fk_report_department_id_department'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['report.id'],
        name=op.f('fk_report_merged_into_id_report'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'],
        name=op.f('fk_report_place_id_place'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporter_id'], ['person.id'],
        name=op.f('fk_report_reporter_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report'))
    )
    op.create_index(op.f('ix_report_assignee_id'), 'report', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_report_category_id'), 'report', ['category_id'], unique=False)
    op.create_index(op.f('ix_report_department_id'), 'report', ['department_id'], unique=False)
    op.create_index(op.f('ix_report_place_id'), 'report', ['place_id'], unique=False)
    op.create_index('ix_report_reporter_id_status', 'report',
        ['reporter_id', 'status'], unique=False)
    op.create_index('ix_report_status_place_id', 'report', ['status', 'place_id'], unique=False)
    op.create_table('report_event',
    sa.Column('id', ID, nullable=False),
    sa.Column('report_id', ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', ID, nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'],
        name=op.f('fk_report_event_actor_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'],
        name=op.f('fk_report_event_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_event'))
    )
    op.create_index('ix_report_event_report_id_at', 'report_event',
        ['report_id', 'at'], unique=False)
    op.create_table('report_photo',
    sa.Column('id', ID, nullable=False),
    sa.Column('report_id', ID, nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('file_id', sa.String(length=255), nullable=False),
    sa.Column('file_unique_id', sa.String(length=64), nullable=True),
    sa.Column('added_by_id', ID, nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['person.id'],
        name=op.f('fk_report_photo_added_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'],
        name=op.f('fk_report_photo_report_id_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_photo'))
    )
    op.create_index('ix_report_photo_report_id_stage', 'report_photo',
        ['report_id', 'stage'], unique=False)


def downgrade() -> None:
    # (dropping a table drops its indexes)
    for table in ('report_photo', 'report_event', 'report', 'department_place',
                  'department_member', 'department_category', 'report_category', 'department'):
        op.drop_table(table)
