"""seats per leg, seat placement, hold legs, booking confirmation

Revision ID: 5b2f0c7a91e4
Revises: d78828471d32
Create Date: 2026-11-21 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '5b2f0c7a91e4'
down_revision = 'd78828471d32'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stops', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('layout', sa.String(length=20), server_default='OTHER',
                                      nullable=False))
    # Existing seats are on leg 0, the only leg of a show without stops.
    with op.batch_alter_table('show_seats', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('leg', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('row', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('col', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('x', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('y', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('pk_show_seats', type_='primary')
        batch_op.create_primary_key('pk_show_seats', ['show_id', 'seat_id', 'leg'])
    with op.batch_alter_table('show_seats', schema=None) as batch_op:
        batch_op.alter_column('leg', server_default=None)
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leg_from', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('leg_to', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.create_index('ix_holds_show_user', ['show_id', 'user_id'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('updated_at', subgraphs.kernel.db.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('payment_id')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_show_user')
        batch_op.drop_column('leg_to')
        batch_op.drop_column('leg_from')
    op.execute("DELETE FROM show_seats WHERE leg <> 0")
    with op.batch_alter_table('show_seats', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_show_seats', type_='primary')
        batch_op.create_primary_key('pk_show_seats', ['show_id', 'seat_id'])
        for column in ('y', 'x', 'col', 'row', 'leg'):
            batch_op.drop_column(column)
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_column('layout')
        batch_op.drop_column('stops')
