"""check-in sync: a per-show sequence for gate devices that sync

Revision ID: 3c8e1f5a7d29
Revises: d45d52f74a24
Create Date: 2026-12-06 20:00:00.000000

``check_in_counts.seq`` is moved by every transaction that confirms or cancels a booking of
the show or records a scan; ``bookings.door_seq`` and ``check_ins.seq`` keep the number of
the transaction that last wrote them, so ``Show.checkInList`` pages tickets and hands out
what changed after a device's last sync (rows written before this revision have 0).
"""
import sqlalchemy as sa
from alembic import op

revision = '3c8e1f5a7d29'
down_revision = 'd45d52f74a24'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_in_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_check_ins_show_seq', ['show_id', 'seq', 'ticket_id'],
                              unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('door_seq', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_bookings_show_door_seq', ['show_id', 'door_seq', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_show_door_seq')
        batch_op.drop_column('door_seq')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ins_show_seq')
        batch_op.drop_column('seq')
    with op.batch_alter_table('check_in_counts', schema=None) as batch_op:
        batch_op.drop_column('seq')
