"""check-in: door staff (a replica of venue's grants), scans, and per-show counters

Revision ID: 5e7a3c9d2b18
Revises: 7a3c5e9d1f20
Create Date: 2026-12-06 16:30:00.000000

The tickets of bookings confirmed before this revision are counted once here.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '5e7a3c9d2b18'
down_revision = '7a3c5e9d1f20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('venue_staff',
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('venue_id', 'user_id', name=op.f('pk_venue_staff'))
    )
    with op.batch_alter_table('venue_staff', schema=None) as batch_op:
        batch_op.create_index('ix_venue_staff_user', ['user_id'], unique=False)

    op.create_table('check_ins',
    sa.Column('ticket_id', sa.String(length=120), nullable=False),
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('seat', sa.String(length=250), nullable=False),
    sa.Column('gate', sa.String(length=64), nullable=False),
    sa.Column('at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('recorded_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('scanned_by', sa.String(length=36), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_check_ins'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_check_ins_show', ['show_id'], unique=False)

    op.create_table('check_in_counts',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('admitted', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('show_id', name=op.f('pk_check_in_counts'))
    )
    op.execute(
        "INSERT INTO check_in_counts (show_id, expected, admitted) "
        "SELECT show_id, SUM(n), 0 FROM ("
        " SELECT b.show_id AS show_id, COUNT(*) AS n FROM bookings b"
        " JOIN booking_lines l ON l.booking_id = b.id WHERE b.status = 'CONFIRMED'"
        " GROUP BY b.show_id"
        " UNION ALL"
        " SELECT b.show_id AS show_id, SUM(g.quantity) AS n FROM bookings b"
        " JOIN booking_ga_lines g ON g.booking_id = b.id WHERE b.status = 'CONFIRMED'"
        " GROUP BY b.show_id"
        ") AS tickets GROUP BY show_id")


def downgrade() -> None:
    op.drop_table('check_in_counts')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ins_show')
    op.drop_table('check_ins')
    with op.batch_alter_table('venue_staff', schema=None) as batch_op:
        batch_op.drop_index('ix_venue_staff_user')
    op.drop_table('venue_staff')
