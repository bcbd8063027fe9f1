"""counters: seats per show, category and leg; places per customer; standing places held

Revision ID: 820615db3dad
Revises: 5b2f0c7a91e4
Create Date: 2026-12-04 02:00:00.000000

Holds no longer recount a show under its lock: every change moves these counters in the
same transaction. Existing data is counted once here.
"""
import sqlalchemy as sa
from alembic import op

revision = '820615db3dad'
down_revision = '5b2f0c7a91e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'show_counts',
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('leg', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('held', sa.Integer(), nullable=False),
        sa.Column('sold', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'],
                                name=op.f('fk_show_counts_show_id_shows')),
        sa.PrimaryKeyConstraint('show_id', 'category', 'leg', name=op.f('pk_show_counts')),
    )
    op.create_table(
        'customer_places',
        sa.Column('show_id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('places', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('show_id', 'user_id', name=op.f('pk_customer_places')),
    )
    with op.batch_alter_table('show_seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('was_held', sa.Boolean(), nullable=True))
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('places', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('ga_sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('hold_ga_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.execute("""
        INSERT INTO show_counts (show_id, category, leg, total, held, sold)
        SELECT show_id, category, leg, count(*),
               sum(CASE WHEN state = 'HELD' THEN 1 ELSE 0 END),
               sum(CASE WHEN state = 'SOLD' THEN 1 ELSE 0 END)
        FROM show_seats GROUP BY show_id, category, leg""")
    op.execute("""
        UPDATE holds SET places =
          (SELECT count(*) FROM show_seats s
           WHERE s.hold_id = holds.id AND s.leg = holds.leg_from)
          + coalesce((SELECT sum(l.quantity) FROM hold_ga_lines l
                      WHERE l.hold_id = holds.id), 0)""")
    op.execute("""
        UPDATE hold_ga_lines SET released = (SELECT h.status NOT IN ('ACTIVE', 'CHECKED_OUT')
                                             FROM holds h WHERE h.id = hold_ga_lines.hold_id)""")
    op.execute("""
        UPDATE ga_sections SET held = coalesce(
          (SELECT sum(l.quantity) FROM hold_ga_lines l
           WHERE l.show_id = ga_sections.show_id AND l.section_id = ga_sections.section_id
             AND NOT l.released), 0)""")
    op.execute("""
        INSERT INTO customer_places (show_id, user_id, places)
        SELECT show_id, user_id, sum(places) FROM holds
        WHERE status IN ('ACTIVE', 'CHECKED_OUT', 'BOOKED')
        GROUP BY show_id, user_id""")


def downgrade() -> None:
    with op.batch_alter_table('hold_ga_lines', schema=None) as batch_op:
        batch_op.drop_column('released')
    with op.batch_alter_table('ga_sections', schema=None) as batch_op:
        batch_op.drop_column('held')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_column('places')
    with op.batch_alter_table('show_seats', schema=None) as batch_op:
        batch_op.drop_column('was_held')
    op.drop_table('customer_places')
    op.drop_table('show_counts')
