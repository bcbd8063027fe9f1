"""show time zone: the venue's IANA zone, named in notices of a booking

Revision ID: 4d8e1a6b2c57
Revises: 3c1f9a2e7b40
Create Date: 2026-12-06 14:00:00.000000

Shows published before this revision get 'UTC', the zone every time was shown in until then.
"""
import sqlalchemy as sa
from alembic import op

revision = '4d8e1a6b2c57'
down_revision = '3c1f9a2e7b40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
