"""ticket types: a show's types, a hold's typed lines with frozen prices, typed booking lines

Revision ID: 6d2f8b4a1c93
Revises: 5e7a3c9d2b18
Create Date: 2026-12-06 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '6d2f8b4a1c93'
down_revision = '5e7a3c9d2b18'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('show_ticket_types',
    sa.Column('show_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prices', sa.JSON(), nullable=False),
    sa.Column('min_per_order', sa.Integer(), nullable=False),
    sa.Column('max_per_order', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['show_id'], ['shows.id'],
                            name=op.f('fk_show_ticket_types_show_id_shows')),
    sa.PrimaryKeyConstraint('show_id', 'key', name=op.f('pk_show_ticket_types'))
    )
    op.create_table('hold_ticket_lines',
    sa.Column('hold_id', sa.String(length=36), nullable=False),
    sa.Column('place_id', sa.String(length=36), nullable=False),
    sa.Column('ticket_type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('price_amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'],
                            name=op.f('fk_hold_ticket_lines_hold_id_holds')),
    sa.PrimaryKeyConstraint('hold_id', 'place_id', name=op.f('pk_hold_ticket_lines'))
    )
    for table in ('booking_lines', 'booking_ga_lines'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('ticket_type', sa.String(length=40), nullable=True))
            batch_op.add_column(sa.Column('ticket_type_name', sa.String(length=100),
                                          nullable=True))


def downgrade() -> None:
    for table in ('booking_ga_lines', 'booking_lines'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('ticket_type_name')
            batch_op.drop_column('ticket_type')
    op.drop_table('hold_ticket_lines')
    op.drop_table('show_ticket_types')
