"""notification preferences

Revision ID: 5b2e7c1d9a40
Revises: 3d8d4bafb437
Create Date: 2026-11-21 11:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '5b2e7c1d9a40'
down_revision = '3d8d4bafb437'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('email_notifications', sa.Boolean(),
                                      server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('sms_notifications', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sms_notifications')
        batch_op.drop_column('email_notifications')
        batch_op.drop_column('phone')
