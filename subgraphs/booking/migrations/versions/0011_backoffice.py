"""backoffice: booking history (confirmed, cancelled, expired), indexes for
organizerBookings, venue team replica

Revision ID: 8c2e4a6f1b37
Revises: 6d2f8b4a1c93
Create Date: 2026-12-06 17:10:00.000000

Bookings settled before this revision get one history row at their last status change
(``updated_at``): the time a booking that was paid and later cancelled was paid is not
known, so it has no CONFIRMED row.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '8c2e4a6f1b37'
down_revision = '6d2f8b4a1c93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('booking_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_history'))
    )
    with op.batch_alter_table('booking_history', schema=None) as batch_op:
        batch_op.create_index('ix_booking_history_booking', ['booking_id', 'at'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_created_id', ['created_at', 'id'], unique=False)
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.create_index('ix_shows_organizer', ['organizer_id'], unique=False)
        batch_op.create_index('ix_shows_venue', ['venue_id'], unique=False)
    with op.batch_alter_table('booking_lines', schema=None) as batch_op:
        batch_op.create_index('ix_booking_lines_label', ['label'], unique=False)
    op.create_table('venue_team',
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('venue_id', 'user_id', name=op.f('pk_venue_team'))
    )
    with op.batch_alter_table('venue_team', schema=None) as batch_op:
        batch_op.create_index('ix_venue_team_user', ['user_id'], unique=False)
    op.execute(
        "INSERT INTO booking_history (booking_id, kind, at) "
        "SELECT id, status, COALESCE(updated_at, created_at) FROM bookings "
        "WHERE status IN ('CONFIRMED', 'CANCELLED', 'EXPIRED')")


def downgrade() -> None:
    with op.batch_alter_table('venue_team', schema=None) as batch_op:
        batch_op.drop_index('ix_venue_team_user')
    op.drop_table('venue_team')
    with op.batch_alter_table('booking_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_lines_label')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_index('ix_shows_venue')
        batch_op.drop_index('ix_shows_organizer')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_created_id')
    with op.batch_alter_table('booking_history', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_history_booking')
    op.drop_table('booking_history')
