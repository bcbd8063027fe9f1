"""show series: recurring schedules (createShowSeries) and the shows they made

Revision ID: a1c7e5d3b902
Revises: 3c8e1a5d7f42
Create Date: 2026-12-06 17:00:00.000000

Shows made before this revision belong to no series.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = 'a1c7e5d3b902'
down_revision = '3c8e1a5d7f42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('show_series',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('hall_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('weekdays', sa.String(length=40), nullable=False),
    sa.Column('times', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('exceptions', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'],
                            name=op.f('fk_show_series_hall_id_halls')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'],
                            name=op.f('fk_show_series_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_show_series'))
    )
    with op.batch_alter_table('show_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_show_series_venue_id'), ['venue_id'], unique=False)
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_shows_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_shows_series_id_show_series'),
                                    'show_series', ['series_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shows_series_id_show_series'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_shows_series_id'))
        batch_op.drop_column('series_id')
    with op.batch_alter_table('show_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_show_series_venue_id'))
    op.drop_table('show_series')
