"""waiting room: a show's queue settings and the queue passes spent on holds

Revision ID: 7a3e5c1d9b20
Revises: 6c2e8a4f1d93
Create Date: 2026-12-06 16:45:00.000000

docs/waiting-room.md. Who waits where is kept in the queue store (Redis, or memory when
embedded); the database keeps what must survive and what a hold checks in a transaction.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '7a3e5c1d9b20'
down_revision = '6c2e8a4f1d93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'show_queues',
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('opens_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
        sa.Column('rate_per_minute', sa.Integer(), nullable=True),
        sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('updated_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_show_queues_show_id_shows')),
        sa.PrimaryKeyConstraint('show_id', name=op.f('pk_show_queues')),
    )
    op.create_table(
        'queue_pass_uses',
        sa.Column('jti', sa.String(length=200), nullable=False),
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('idempotency_key', sa.String(length=256), nullable=True),
        sa.Column('hold_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('jti', name=op.f('pk_queue_pass_uses')),
    )
    op.create_index(op.f('ix_queue_pass_uses_show_id'), 'queue_pass_uses', ['show_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_queue_pass_uses_show_id'), table_name='queue_pass_uses')
    op.drop_table('queue_pass_uses')
    op.drop_table('show_queues')
