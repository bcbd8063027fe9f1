"""ticket types: per show, a price per category, eligibility, min and max per order

Revision ID: 3c8e1a5d7f42
Revises: 9a4c6e2f1b73
Create Date: 2026-12-06 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '3c8e1a5d7f42'
down_revision = '9a4c6e2f1b73'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_types',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('eligibility', sa.String(length=500), nullable=True),
    sa.Column('prices', sa.JSON(), nullable=False),
    sa.Column('min_per_order', sa.Integer(), nullable=False),
    sa.Column('max_per_order', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'],
                            name=op.f('fk_ticket_types_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'key', name=op.f('pk_ticket_types'))
    )


def downgrade() -> None:
    op.drop_table('ticket_types')
