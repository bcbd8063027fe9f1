"""issued tickets: the e-tickets of confirmed bookings, served by Booking.tickets

Revision ID: 7b3d2e9c41a6
Revises: f8ebec053772
Create Date: 2026-12-06 16:30:00.000000

Bookings confirmed before this revision have no stored tickets; a confirmation mail still
waiting to be sent issues (and stores) them when it is sent.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '7b3d2e9c41a6'
down_revision = 'f8ebec053772'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tickets',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('issued_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('voided_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_booking_id'), ['booking_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_booking_id'))

    op.drop_table('tickets')
