"""initial notification schema

Revision ID: f8ebec053772
Revises: 
Create Date: 2026-11-21 11:16:37.704507
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db
from subgraphs.kernel.kernel_migration import create_kernel_tables_v1, drop_kernel_tables_v1

revision = 'f8ebec053772'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables_v1()
    op.create_table('deliveries',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('event_id', 'channel', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_user_id'), ['user_id'], unique=False)

    op.create_table('recipients',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('email_enabled', sa.Boolean(), nullable=False),
    sa.Column('sms_enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_recipients'))
    )
    op.create_table('ticket_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_ticket_keys'))
    )


def downgrade() -> None:
    op.drop_table('ticket_keys')
    op.drop_table('recipients')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_user_id'))
        batch_op.drop_index('ix_deliveries_due')

    op.drop_table('deliveries')
    drop_kernel_tables_v1()
