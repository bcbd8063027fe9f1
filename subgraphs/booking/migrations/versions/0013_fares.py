"""fares: a show's fares per segment and fare classes, per-leg fare-class quotas, and each
hold's fare (class and unit prices fixed when it was made)

Revision ID: 6c2e8a4f1d93
Revises: 5e2b7c9d1a08
Create Date: 2026-12-06 17:00:00.000000

Shows published before this revision have no fares (category prices) and no classes.
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '6c2e8a4f1d93'
down_revision = '5e2b7c9d1a08'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fares', sa.JSON(), nullable=True))

    op.create_table('fare_quotas',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('fare_class', sa.String(length=40), nullable=False),
    sa.Column('leg', sa.Integer(), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_fare_quotas_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'fare_class', 'leg', name=op.f('pk_fare_quotas'))
    )
    op.create_table('hold_fares',
    sa.Column('hold_id', sa.String(length=36), nullable=False),
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('fare_class', sa.String(length=40), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('prices', sa.JSON(), nullable=False),
    sa.Column('returned_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_fares_hold_id_holds')),
    sa.PrimaryKeyConstraint('hold_id', name=op.f('pk_hold_fares'))
    )
    with op.batch_alter_table('hold_fares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hold_fares_show_id'), ['show_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hold_fares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hold_fares_show_id'))
    op.drop_table('hold_fares')
    op.drop_table('fare_quotas')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_column('fares')
