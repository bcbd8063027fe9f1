"""venue staff: door staff granted per venue by its owner or an admin

Revision ID: 9a4c6e2f1b73
Revises: 8b4d1f6a2e93
Create Date: 2026-12-06 16:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '9a4c6e2f1b73'
down_revision = '8b4d1f6a2e93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('venue_staff',
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('granted_by', sa.String(length=36), nullable=False),
    sa.Column('granted_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'],
                            name=op.f('fk_venue_staff_venue_id_venues')),
    sa.PrimaryKeyConstraint('venue_id', 'user_id', name=op.f('pk_venue_staff'))
    )


def downgrade() -> None:
    op.drop_table('venue_staff')
