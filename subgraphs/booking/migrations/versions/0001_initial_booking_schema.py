"""initial booking schema

Revision ID: 9e088290522f
Revises: 
Create Date: 2026-11-21 06:35:54.947281
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db
from subgraphs.kernel.kernel_migration import create_kernel_tables_v1, drop_kernel_tables_v1

revision = '9e088290522f'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables_v1()
    op.create_table('shows',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('organizer_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shows'))
    )
    op.create_table('holds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_holds_show_id_shows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_show_id'), ['show_id'], unique=False)
        batch_op.create_index('ix_holds_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_user_id'), ['user_id'], unique=False)

    op.create_table('show_seats',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('seat_id', sa.String(length=36), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('price_amount', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('hold_id', sa.String(length=36), nullable=True),
    sa.Column('hold_expires_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_show_seats_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'seat_id', name=op.f('pk_show_seats'))
    )
    with op.batch_alter_table('show_seats', schema=None) as batch_op:
        batch_op.create_index('ix_show_seats_hold', ['hold_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('hold_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total_amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_bookings_hold_id_holds')),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_bookings_show_id_shows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_bookings_hold_id'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_show_id'), ['show_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_user_id'), ['user_id'], unique=False)

    op.create_table('booking_lines',
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('seat_id', sa.String(length=36), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('price_amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_lines_booking_id_bookings')),
    sa.PrimaryKeyConstraint('booking_id', 'seat_id', name=op.f('pk_booking_lines'))
    )


def downgrade() -> None:
    op.drop_table('booking_lines')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_user_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_show_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('show_seats', schema=None) as batch_op:
        batch_op.drop_index('ix_show_seats_hold')

    op.drop_table('show_seats')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_user_id'))
        batch_op.drop_index('ix_holds_status_expires')
        batch_op.drop_index(batch_op.f('ix_holds_show_id'))

    op.drop_table('holds')
    op.drop_table('shows')
    drop_kernel_tables_v1()
