"""sales reports: booking's ledger of refunds, and bookings by show and time

Revision ID: 7a3c5e9d1f20
Revises: 7a2c9e4f1b80
Create Date: 2026-12-06 16:30:00.000000

``booking_refunds`` is filled from payment's ``PaymentRefunded`` events from this revision
on: refunds made before it are not in reports (payment still has them).
"""
import sqlalchemy as sa
from alembic import op

from subgraphs.kernel.db import UTCDateTime

revision = '7a3c5e9d1f20'
down_revision = '7a2c9e4f1b80'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'booking_refunds',
        sa.Column('refund_id', sa.String(length=36), nullable=False),
        sa.Column('booking_id', sa.String(length=36), nullable=False),
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('payment_id', sa.String(length=36), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('refunded_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('refund_id', name=op.f('pk_booking_refunds')),
    )
    op.create_index('ix_booking_refunds_show_at', 'booking_refunds', ['show_id', 'refunded_at'])
    op.create_index('ix_booking_refunds_booking', 'booking_refunds', ['booking_id'])
    op.create_index('ix_bookings_show_created', 'bookings', ['show_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_bookings_show_created', table_name='bookings')
    op.drop_index('ix_booking_refunds_booking', table_name='booking_refunds')
    op.drop_index('ix_booking_refunds_show_at', table_name='booking_refunds')
    op.drop_table('booking_refunds')
