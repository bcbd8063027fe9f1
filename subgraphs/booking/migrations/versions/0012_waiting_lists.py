"""waiting lists: entries per show in join order, and the show's waiting count

Revision ID: 5e2b7c9d1a08
Revises: 8c2e4a6f1b37
Create Date: 2026-12-06 16:30:00.000000

``shows.waiting`` counts WAITING entries (a lapsed hold's seats wait for the sweeper while it
is above 0, so they go to the line); ``shows.waitlist_last`` is the last position given out.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '5e2b7c9d1a08'
down_revision = '8c2e4a6f1b37'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('WAITING', 'OFFERED')")


def upgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('waitlist_last', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=True),
        sa.Column('section_id', sa.String(length=36), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('hold_id', sa.String(length=36), nullable=True),
        sa.Column('reserved', sa.Integer(), server_default='0', nullable=False),
        sa.Column('joined_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
        sa.Column('offered_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
        sa.Column('offer_expires_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
        sa.Column('updated_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'],
                                name=op.f('fk_waitlist_entries_show_id_shows')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_line', ['show_id', 'status', 'position'],
                              unique=False)
        batch_op.create_index('ux_waitlist_position', ['show_id', 'position'], unique=True)
        batch_op.create_index('ix_waitlist_hold', ['hold_id'], unique=False)
        batch_op.create_index('ix_waitlist_user', ['user_id'], unique=False)
        batch_op.create_index('ux_waitlist_active', ['show_id', 'user_id'], unique=True,
                              postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_table('waitlist_entries')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_column('waitlist_last')
        batch_op.drop_column('waiting')
