"""payments of queued shows: the cap on purchases per payment instrument

Revision ID: 5b8d2f6e4a17
Revises: 3d161b8db4a2
Create Date: 2026-12-06 17:40:00.000000

docs/payments.md, "Cards per queued show": payments.queued (from BookingCreated.queued) and
one instrument_uses row per (show, card fingerprint, booking) holding a slot of the cap.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '5b8d2f6e4a17'
down_revision = '3d161b8db4a2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('instrument_uses',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('payment_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('show_id', 'fingerprint', 'booking_id',
                            name=op.f('pk_instrument_uses'))
    )
    with op.batch_alter_table('instrument_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_uses_payment_id'), ['payment_id'],
                              unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('queued')
    with op.batch_alter_table('instrument_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_uses_payment_id'))
    op.drop_table('instrument_uses')
