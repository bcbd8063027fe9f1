"""hidden price tiers: a category sold only to holds whose promo code unlocks it

Revision ID: 8b4d1f6a2e93
Revises: 7f3b2d9c4e10
Create Date: 2026-12-06 16:40:00.000000

Tiers made before this revision are not hidden.
"""
import sqlalchemy as sa
from alembic import op

revision = '8b4d1f6a2e93'
down_revision = '7f3b2d9c4e10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('price_tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('price_tiers', schema=None) as batch_op:
        batch_op.drop_column('hidden')
