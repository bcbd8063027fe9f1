"""queues may require verified email addresses

Revision ID: 8d5a3b7e2c41
Revises: 7a3e5c1d9b20
Create Date: 2026-12-06 17:45:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '8d5a3b7e2c41'
down_revision = '7a3e5c1d9b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('show_queues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_verified_email', sa.Boolean(),
                                      server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('show_queues', schema=None) as batch_op:
        batch_op.drop_column('require_verified_email')
