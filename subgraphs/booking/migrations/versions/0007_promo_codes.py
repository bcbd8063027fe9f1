"""promo codes: codes, the code applied to a hold, redemptions and per-customer uses, the
discount a booking's lines carry, and hidden categories of shows

Revision ID: 7a2c9e4f1b80
Revises: 4d8e1a6b2c57
Create Date: 2026-12-06 16:30:00.000000

Bookings made before this revision had no discount: their columns start at 0.
"""
import sqlalchemy as sa
from alembic import op

from subgraphs.kernel.db import UTCDateTime

revision = '7a2c9e4f1b80'
down_revision = '4d8e1a6b2c57'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promo_codes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organizer_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('code_key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('show_ids', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('unlocks_categories', sa.JSON(), nullable=False),
    sa.Column('valid_from', UTCDateTime(), nullable=True),
    sa.Column('valid_until', UTCDateTime(), nullable=True),
    sa.Column('max_redemptions', sa.Integer(), nullable=True),
    sa.Column('max_per_customer', sa.Integer(), nullable=True),
    sa.Column('redeemed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promo_codes'))
    )
    with op.batch_alter_table('promo_codes', schema=None) as batch_op:
        batch_op.create_index('ux_promo_codes_organizer_code', ['organizer_id', 'code_key'],
                              unique=True)
    op.create_table('hidden_categories',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'], name=op.f('fk_hidden_categories_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'category', name=op.f('pk_hidden_categories'))
    )
    op.create_table('hold_promo_codes',
    sa.Column('hold_id', sa.String(length=36), nullable=False),
    sa.Column('code_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['promo_codes.id'], name=op.f('fk_hold_promo_codes_code_id_promo_codes')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_promo_codes_hold_id_holds')),
    sa.PrimaryKeyConstraint('hold_id', name=op.f('pk_hold_promo_codes'))
    )
    op.create_table('promo_customer_uses',
    sa.Column('code_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['promo_codes.id'], name=op.f('fk_promo_customer_uses_code_id_promo_codes')),
    sa.PrimaryKeyConstraint('code_id', 'user_id', name=op.f('pk_promo_customer_uses'))
    )
    op.create_table('promo_redemptions',
    sa.Column('booking_id', sa.String(length=36), nullable=False),
    sa.Column('code_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('discount_amount', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_promo_redemptions_booking_id_bookings')),
    sa.ForeignKeyConstraint(['code_id'], ['promo_codes.id'], name=op.f('fk_promo_redemptions_code_id_promo_codes')),
    sa.PrimaryKeyConstraint('booking_id', name=op.f('pk_promo_redemptions'))
    )
    with op.batch_alter_table('promo_redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_promo_redemptions_code_user', ['code_id', 'user_id'],
                              unique=False)
    for table in ('bookings', 'booking_lines', 'booking_ga_lines'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('discount_amount', sa.Integer(), server_default='0',
                                          nullable=False))


def downgrade() -> None:
    for table in ('booking_ga_lines', 'booking_lines', 'bookings'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('discount_amount')
    with op.batch_alter_table('promo_redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_promo_redemptions_code_user')
    op.drop_table('promo_redemptions')
    op.drop_table('promo_customer_uses')
    op.drop_table('hold_promo_codes')
    op.drop_table('hidden_categories')
    with op.batch_alter_table('promo_codes', schema=None) as batch_op:
        batch_op.drop_index('ux_promo_codes_organizer_code')
    op.drop_table('promo_codes')
