"""payments: providers, refunds, webhook log

Revision ID: 3d161b8db4a2
Revises: fc1199e3dc19
Create Date: 2026-11-21 10:17:18.572225
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '3d161b8db4a2'
down_revision = 'fc1199e3dc19'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refunds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('payment_id', sa.String(length=36), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('requested_by', sa.String(length=36), nullable=True),
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('provider_payment_id', sa.String(length=64), nullable=True),
    sa.Column('provider_refund_id', sa.String(length=64), nullable=True),
    sa.Column('failure_message', sa.String(length=300), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('settled_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_provider_refund_id'), ['provider_refund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_status'), ['status'], unique=False)

    op.create_table('webhook_events',
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('event_type', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('received_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('provider', 'event_id', name=op.f('pk_webhook_events'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_id', sa.String(length=36), server_default='', nullable=False))
        batch_op.add_column(sa.Column('booking_status', sa.String(length=20), server_default='PENDING_PAYMENT', nullable=False))
        batch_op.add_column(sa.Column('booking_expires_at', subgraphs.kernel.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('provider_order_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('provider_payment_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('captured_amount', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_amount', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failure_code', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('failure_message', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('settle_at', subgraphs.kernel.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('settle_outcome', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('succeeded_at', subgraphs.kernel.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_provider_order_id'), ['provider_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_provider_payment_id'), ['provider_payment_id'], unique=False)
    # The defaults only filled the rows that already existed; the models set every value.
    with op.batch_alter_table('payments', schema=None) as batch_op:
        for column in ('show_id', 'booking_status', 'captured_amount', 'refunded_amount',
                       'attempts'):
            batch_op.alter_column(column, server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_provider_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payments_provider_order_id'))
        batch_op.drop_column('succeeded_at')
        batch_op.drop_column('settle_outcome')
        batch_op.drop_column('settle_at')
        batch_op.drop_column('failure_message')
        batch_op.drop_column('failure_code')
        batch_op.drop_column('attempts')
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('captured_amount')
        batch_op.drop_column('provider_payment_id')
        batch_op.drop_column('provider_order_id')
        batch_op.drop_column('booking_expires_at')
        batch_op.drop_column('booking_status')
        batch_op.drop_column('show_id')

    op.drop_table('webhook_events')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_status'))
        batch_op.drop_index(batch_op.f('ix_refunds_provider_refund_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))

    op.drop_table('refunds')
