"""email verification

Revision ID: 7c4f2a9e1b63
Revises: 5b2e7c1d9a40
Create Date: 2026-12-06 17:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import subgraphs.kernel.db

revision = '7c4f2a9e1b63'
down_revision = '5b2e7c1d9a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', subgraphs.kernel.db.UTCDateTime(),
                                      nullable=True))
    # Accounts made before verification existed had no way to verify: they count as
    # verified from their creation (docs/waiting-room.md, "Verified accounts").
    op.execute("UPDATE users SET email_verified_at = created_at")
    op.create_table('email_verifications',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', subgraphs.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', subgraphs.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_email_verifications_user_id_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_email_verifications'))
    )
    with op.batch_alter_table('email_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_verifications_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('email_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_verifications_user_id'))
    op.drop_table('email_verifications')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
