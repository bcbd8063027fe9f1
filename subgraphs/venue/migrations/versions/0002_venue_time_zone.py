"""venue time zone: the IANA zone a venue's show times are announced in

Revision ID: 7f3b2d9c4e10
Revises: 6ad8679d89d3
Create Date: 2026-12-06 14:00:00.000000

Venues created before this revision get 'UTC', the zone every time was shown in until then.
"""
import sqlalchemy as sa
from alembic import op

revision = '7f3b2d9c4e10'
down_revision = '6ad8679d89d3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
