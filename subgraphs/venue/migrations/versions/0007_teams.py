"""teams: venue team members (managers, box office) and invitations

Revision ID: 3d7f9b1c5e24
Revises: a1c7e5d3b902
Create Date: 2026-12-06 17:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '3d7f9b1c5e24'
down_revision = 'a1c7e5d3b902'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('team_members',
    sa.Column('venue_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('added_by', sa.String(length=36), nullable=False),
    sa.Column('added_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'],
                            name=op.f('fk_team_members_venue_id_venues')),
    sa.PrimaryKeyConstraint('venue_id', 'user_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index('ix_team_members_user', ['user_id'], unique=False)
    op.create_table('team_invitations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('venue_ids', sa.JSON(), nullable=False),
    sa.Column('invited_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('accepted_by', sa.String(length=36), nullable=True),
    sa.Column('accepted_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_team_invitations_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('team_invitations')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index('ix_team_members_user')
    op.drop_table('team_members')
