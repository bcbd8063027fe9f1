"""show fares: a journey's fares per segment and its fare classes (JSON)

Revision ID: 3f8a6c1d9e27
Revises: 3d7f9b1c5e24
Create Date: 2026-12-06 17:00:00.000000

Shows made before this revision have no fares: their seats sell at the category's price.
"""
import sqlalchemy as sa
from alembic import op

revision = '3f8a6c1d9e27'
down_revision = '3d7f9b1c5e24'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fares', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_column('fares')
