"""initial venue schema

Revision ID: 6ad8679d89d3
Revises: 
Create Date: 2026-11-21 06:41:19.071721
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db
from subgraphs.kernel.kernel_migration import create_kernel_tables_v1, drop_kernel_tables_v1

revision = '6ad8679d89d3'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables_v1()
    op.create_table('venues',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues'))
    )
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venues_owner_id'), ['owner_id'], unique=False)

    op.create_table('halls',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('seat_map', sa.Text(), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_halls_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_halls')),
    sa.UniqueConstraint('venue_id', 'name', name=op.f('uq_halls_venue_id'))
    )
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_halls_venue_id'), ['venue_id'], unique=False)

    op.create_table('sections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('hall_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_sections_hall_id_halls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections')),
    sa.UniqueConstraint('hall_id', 'key', name=op.f('uq_sections_hall_id'))
    )
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sections_hall_id'), ['hall_id'], unique=False)

    op.create_table('shows',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('hall_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('starts_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('ends_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_shows_hall_id_halls')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_shows_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shows'))
    )
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.create_index('ix_shows_hall_time', ['hall_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shows_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shows_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_shows_venue_id'), ['venue_id'], unique=False)

    op.create_table('price_tiers',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_price_tiers_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'category', name=op.f('pk_price_tiers'))
    )
    op.create_table('seats',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('hall_id', sa.String(length=36), nullable=False),
    sa.Column('section_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('row_label', sa.String(length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('x', sa.Integer(), nullable=False),
    sa.Column('y', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('accessible', sa.Boolean(), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_seats_hall_id_halls')),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_seats_section_id_sections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seats')),
    sa.UniqueConstraint('hall_id', 'label', name=op.f('uq_seats_hall_id'))
    )
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.create_index('ix_seats_hall_position', ['hall_id', 'position'], unique=False)

    op.create_table('stops',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('departs_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_stops_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'position', name=op.f('pk_stops'))
    )


def downgrade() -> None:
    op.drop_table('stops')
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_index('ix_seats_hall_position')

    op.drop_table('seats')
    op.drop_table('price_tiers')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shows_venue_id'))
        batch_op.drop_index(batch_op.f('ix_shows_status'))
        batch_op.drop_index(batch_op.f('ix_shows_starts_at'))
        batch_op.drop_index('ix_shows_hall_time')

    op.drop_table('shows')
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sections_hall_id'))

    op.drop_table('sections')
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_halls_venue_id'))

    op.drop_table('halls')
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venues_owner_id'))

    op.drop_table('venues')
    drop_kernel_tables_v1()
